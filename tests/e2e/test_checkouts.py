"""One repository, many checkouts: two daemons on one database acting as two hosts
(STRIATUM_HOST), a repository adopted on one and joined from a clone on the other.

The clone joins the same repository (one id, one chain); each host resolves its own path to
it; a run prepared on either host reads as that host's checkout; equal paths on two hosts
that were not joined stay two repositories; and a join that cannot be right is refused with
the reason, changing nothing.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.support.daemons import DaemonUnderTest, daemon_pair
from tests.support.operator import commit_file, new_repo, task_workflow
from tests.support.servers import PgServer


@pytest.fixture
def hosts(server: PgServer) -> Iterator[tuple[DaemonUnderTest, DaemonUnderTest]]:
    with daemon_pair(server, hosts=("host-a", "host-b")) as both:
        yield both


def clone(source: Path, target: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(source), str(target)], check=True)
    return target


def adopt(daemon: DaemonUnderTest, repo: Path, *extra: str) -> dict[str, object]:
    result = daemon.cli("--repo", str(repo), "adopt", *extra, "--json")
    assert result.returncode == 0, result.stderr
    answer: dict[str, object] = json.loads(result.stdout)
    return answer


def refused(daemon: DaemonUnderTest, repo: Path, *extra: str) -> tuple[int, str]:
    result = daemon.cli("--repo", str(repo), "adopt", *extra)
    assert "Traceback" not in result.stderr
    return result.returncode, result.stderr


def exit_codes() -> dict[str, int]:
    from striatum.errors import CODES

    return {name: code.exit for name, code in CODES.items()}


def test_a_clone_on_another_host_joins_the_same_repository_and_chain(
    hosts: tuple[DaemonUnderTest, DaemonUnderTest], tmp_path: Path
) -> None:
    a, b = hosts
    origin = new_repo(tmp_path)
    commit_file(origin, "README.md", "hello\n")
    other = clone(origin, tmp_path / "clone-on-b")
    first = adopt(a, origin)
    joined = adopt(b, other, "--join", "auto")
    assert joined["repo_id"] == first["repo_id"]
    assert (joined["joined"], joined["host"], joined["path"]) == (True, "host-b", str(other))
    # Again on either host: nothing changes.
    assert adopt(b, other)["already_adopted"] is True
    assert adopt(a, origin, "--join", "auto")["already_adopted"] is True

    listed = {host: d.json("repo", "list")["repositories"] for host, d in (("a", a), ("b", b))}
    assert [r["repo_id"] for r in listed["a"]] == [first["repo_id"]]
    assert [(r["path"], r["here"]) for r in listed["a"]] == [(str(origin), True)]
    assert [(r["path"], r["here"]) for r in listed["b"]] == [(str(other), True)]
    assert listed["b"][0]["hosts"] == ["host-a", "host-b"]

    # A run prepared through host B, in its clone, is a run of the one repository; each
    # host reads it as its own checkout.
    workflow = task_workflow(
        tmp_path,
        "solo",
        {"main": {"provider": "command", "command": ["true"]}},
        [("j", "main", [])],
    )
    prepared = b.json("--repo", str(other), "run", "prepare", "--workflow", str(workflow))
    run_id = prepared["run_id"]
    assert b.json("status", "--run-id", run_id)["run"]["repo"] == str(other)
    assert a.json("status", "--run-id", run_id)["run"]["repo"] == str(origin)
    assert [r["run_id"] for r in a.json("--repo", str(origin), "list", "runs")["runs"]] == [run_id]

    # A job claimed through host B's daemon is leased on host B, which status shows on A
    # (a HOST column in the human view, where a lease is another host's) and not on B.
    b.json("--repo", str(other), "run", "start", run_id, "--no-supervise")
    session = b.json("--repo", str(other), "register-session", "--role", "operator")["session_id"]
    claimed = b.json("--repo", str(other), "claim-next", "--session", session, "--run-id", run_id)
    assert claimed["claimed"], claimed
    assert [
        lease["host"] for lease in a.json("--repo", str(origin), "status", run_id)["leases"]
    ] == ["host-b"]
    seen_from_a = a.cli("--repo", str(origin), "status", run_id, env={"COLUMNS": "80"}).stdout
    assert "HOST" in seen_from_a and "host-b" in seen_from_a, seen_from_a
    lease_lines = [line for line in seen_from_a.splitlines() if "LEASE" in line or "lease_" in line]
    assert lease_lines and max(map(len, lease_lines)) <= 80, seen_from_a
    assert "HOST" not in b.cli("--repo", str(other), "status", run_id, env={"COLUMNS": "80"}).stdout
    dashboard = a.cli("--repo", str(origin), "dashboard", run_id, "--once", env={"COLUMNS": "80"})
    assert "on host-b" in dashboard.stdout, dashboard.stdout + dashboard.stderr
    assert "on host-b" not in b.cli("--repo", str(other), "dashboard", run_id, "--once").stdout

    # One chain: both adoptions are events of it, each naming its host, and it verifies.
    assert a.database is not None
    with psycopg.connect(a.database.admin_conninfo) as conn:
        adopted = conn.execute(
            "SELECT host, payload FROM striatumd.events WHERE repo_id = %s "
            "AND type = 'repo.adopted' ORDER BY seq",
            (first["repo_id"],),
        ).fetchall()
    assert [(host, payload.get("joined", False)) for host, payload in adopted] == [
        ("host-a", False),
        ("host-b", True),
    ]
    for daemon in hosts:
        doctor = daemon.cli("daemon", "doctor", "--fast", "--json")
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr


def test_equal_paths_on_two_hosts_are_two_repositories_until_joined(
    hosts: tuple[DaemonUnderTest, DaemonUnderTest], tmp_path: Path
) -> None:
    a, b = hosts
    repo = new_repo(tmp_path)  # one directory here; two hosts would each have their own
    first, second = adopt(a, repo), adopt(b, repo)
    assert first["repo_id"] != second["repo_id"]
    assert second["already_adopted"] is False
    assert [r["repo_id"] for r in b.json("repo", "list")["repositories"] if r["here"]] == [
        second["repo_id"]
    ]


def test_a_join_that_cannot_be_right_is_refused_and_changes_nothing(
    hosts: tuple[DaemonUnderTest, DaemonUnderTest], tmp_path: Path
) -> None:
    a, b = hosts
    codes = exit_codes()
    origin = new_repo(tmp_path)
    commit_file(origin, "README.md", "hello\n")
    first = adopt(a, origin)
    stranger = tmp_path / "stranger"
    stranger.mkdir()
    subprocess.run(["git", "init", "-q", str(stranger)], check=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    subprocess.run(["git", "init", "-q", str(empty)], check=True)
    commit_file(stranger, "other.md", "unrelated\n")

    code, said = refused(b, stranger, "--join", "auto")
    assert code == codes["not_found"] and "starts with commit" in said, said
    code, said = refused(b, stranger, "--join", str(first["repo_id"]))
    assert code == codes["validation"] and "is not a clone of" in said, said
    code, said = refused(b, empty, "--join", "auto")
    assert code == codes["validation"] and "no commit to match" in said, said
    code, said = refused(b, empty, "--join", "repo_nosuchthing")
    assert code == codes["not_found"] and "no repository repo_nosuchthing" in said, said
    code, said = refused(a, clone(origin, tmp_path / "second-clone"), "--join", "auto")
    assert code == codes["not_found"] and "this host has its checkout" in said, said
    code, said = refused(a, tmp_path / "second-clone", "--join", str(first["repo_id"]))
    assert code == codes["conflict"] and "already checked out on this host" in said, said
    assert b.json("repo", "list")["repositories"][0]["hosts"] == ["host-a"]
    assert not (stranger / ".gitignore").exists()


def test_two_repositories_sharing_a_first_commit_must_be_named(
    hosts: tuple[DaemonUnderTest, DaemonUnderTest], tmp_path: Path
) -> None:
    a, b = hosts
    codes = exit_codes()
    origin = new_repo(tmp_path)
    commit_file(origin, "README.md", "hello\n")
    fork = clone(origin, tmp_path / "fork")
    first, second = adopt(a, origin), adopt(a, fork)  # two repositories on host A, one root
    assert first["repo_id"] != second["repo_id"]
    mine = clone(origin, tmp_path / "mine")
    code, said = refused(b, mine, "--join", "auto")
    assert code == codes["conflict"] and "name one" in said, said
    assert adopt(b, mine, "--join", str(second["repo_id"]))["repo_id"] == second["repo_id"]


def test_a_plain_adopt_of_a_clone_is_told_of_the_repository_it_may_have_meant_to_join(
    hosts: tuple[DaemonUnderTest, DaemonUnderTest], tmp_path: Path
) -> None:
    a, b = hosts
    origin = new_repo(tmp_path)
    commit_file(origin, "README.md", "hello\n")
    first = adopt(a, origin)
    mine = clone(origin, tmp_path / "mine")
    plain = adopt(b, mine)
    assert plain["repo_id"] != first["repo_id"]
    assert plain["same_first_commit"] == [first["repo_id"]]
    assert "adopt --join" in str(plain["hint"])
    code, said = refused(b, mine, "--join", str(first["repo_id"]))
    assert code == exit_codes()["conflict"] and "repo remove" in said, said
    # As the hint says: remove the new one, then join; the removed one keeps its chain.
    assert b.cli("--repo", str(mine), "--as", "principal", "repo", "remove").returncode == 0
    joined = adopt(b, mine, "--join", "auto")
    assert (joined["repo_id"], joined["joined"]) == (first["repo_id"], True)
    listed = b.json("repo", "list", "--all")["repositories"]
    assert {(r["repo_id"], r["here"], r["removed_at"] is None) for r in listed} == {
        (first["repo_id"], True, True),
        (plain["repo_id"], False, False),
    }


def test_a_host_without_a_checkout_refuses_to_claim_the_runs_jobs(
    hosts: tuple[DaemonUnderTest, DaemonUnderTest], tmp_path: Path
) -> None:
    """Its agent would have nowhere to work, and the path first adopted may name nothing on
    this host, or another repository: nothing is claimed, and the error says what to do."""
    a, b = hosts
    origin = new_repo(tmp_path)
    commit_file(origin, "README.md", "hello\n")
    adopt(a, origin)
    workflow = task_workflow(
        tmp_path,
        "solo",
        {"main": {"provider": "command", "command": ["true"]}},
        [("j", "main", [])],
    )
    run_id = a.json("--repo", str(origin), "run", "prepare", "--workflow", str(workflow))["run_id"]
    a.json("--repo", str(origin), "run", "start", run_id, "--no-supervise")
    # Host B has no checkout of it: a session opened in a repository B does have asks.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    subprocess.run(["git", "init", "-q", str(elsewhere)], check=True)
    adopt(b, elsewhere)
    session = b.json("--repo", str(elsewhere), "register-session", "--role", "operator")
    claim = b.cli(
        "--repo",
        str(elsewhere),
        "claim-next",
        "--session",
        session["session_id"],
        "--run-id",
        run_id,
    )
    assert claim.returncode == exit_codes()["conflict"], claim.stdout + claim.stderr
    assert "no checkout on this host (host-b)" in claim.stderr
    assert "adopt --join" in claim.stderr
    status = a.json("--repo", str(origin), "status", run_id)
    assert status["leases"] == [] and [j["state"] for j in status["jobs"]] == ["ready"]
