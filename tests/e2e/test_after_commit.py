"""Side effects happen after commit, once: a retried transaction never repeats one, and a
transaction that fails for good performs none.

Faults are injected from inside the real database, not mocked: a trigger on the row a verb
writes fails its first attempt with SQLSTATE 40001 (a serialization failure; a SEQUENCE
counts the attempts, since nextval survives the rollback), or fails every attempt with an
ordinary error. The same trigger checks, at the moment the row is written, that the verb's
effect outside the database is not there yet — the merged file, the copied artifact, the
bundle's manifest — so a side effect made inside the transaction fails the test even when
doing it twice would be harmless.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, example, new_repo
from tests.support.servers import world_traversable_tempdir

GIT = ("-c", "user.name=t", "-c", "user.email=t@t")


@pytest.fixture
def operator(daemon: DaemonUnderTest) -> Iterator[Operator]:
    # The cluster's own user must reach the repository to look for files from a trigger.
    base = world_traversable_tempdir("after-commit-")
    try:
        yield Operator(daemon=daemon, repo=new_repo(base))
    finally:
        shutil.rmtree(base, ignore_errors=True)


def admin(daemon: DaemonUnderTest) -> psycopg.Connection[tuple[Any, ...]]:
    assert daemon.database is not None
    return psycopg.connect(daemon.database.admin_conninfo, autocommit=True)


@contextlib.contextmanager
def fault(
    daemon: DaemonUnderTest, table: str, when: str, absent: Path, *, for_good: bool = False
) -> Iterator[None]:
    """While the block runs, a row of `table` matching `when` fails its first write with a
    serialization failure (every write with an ordinary error if `for_good`), and any write
    made while `absent` exists fails: the verb's side effect came before its commit."""
    error = (
        "RAISE EXCEPTION 'refused for good'"
        if for_good
        else "IF nextval('striatumd.t_attempts') = 1 THEN "
        "RAISE EXCEPTION 'forced retry' USING ERRCODE = '40001'; END IF"
    )
    with admin(daemon) as conn:
        conn.execute("CREATE SEQUENCE striatumd.t_attempts")
        conn.execute(
            f"""CREATE FUNCTION striatumd.t_fault() RETURNS trigger
                LANGUAGE plpgsql SECURITY DEFINER AS $$
                BEGIN
                  IF (pg_stat_file('{absent}', true)).size IS NOT NULL THEN
                    RAISE EXCEPTION 'side effect inside the transaction: {absent} exists';
                  END IF;
                  {error};
                  RETURN NEW;
                END $$"""
        )
        conn.execute(
            f"CREATE TRIGGER t_fault BEFORE INSERT ON striatumd.{table} FOR EACH ROW "
            f"WHEN ({when}) EXECUTE FUNCTION striatumd.t_fault()"
        )
    try:
        yield
    finally:
        with admin(daemon) as conn:
            conn.execute(f"DROP TRIGGER t_fault ON striatumd.{table}")
            conn.execute("DROP FUNCTION striatumd.t_fault()")
            conn.execute("DROP SEQUENCE striatumd.t_attempts")


def attempts(daemon: DaemonUnderTest) -> int:
    """How many times the faulty trigger fired (while it exists)."""
    with admin(daemon) as conn:
        row = conn.execute(
            "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM striatumd.t_attempts"
        ).fetchone()
    assert row is not None
    return int(row[0])


def count(daemon: DaemonUnderTest, query: str, *params: object) -> int:
    with admin(daemon) as conn:
        row = conn.execute(query, params).fetchone()
    assert row is not None
    return int(row[0])


def doctor_passes(daemon: DaemonUnderTest) -> bool:
    return daemon.cli("daemon", "doctor", "--json").returncode == 0


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *GIT, *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


# run.land


def succeeded_run_with_branch(operator: Operator) -> str:
    """A succeeded run whose branch adds src/app.py to a repository with history."""
    (operator.repo / "README.md").write_text("user's file\n")
    git(operator.repo, "add", "README.md")
    git(operator.repo, "commit", "-qm", "init")
    run_id = operator.prepare(example("minimal-flow"))
    assert operator.drive(run_id)["run"]["state"] == "succeeded"
    git(operator.repo, "checkout", "-q", "-b", f"striatum/{run_id}")
    (operator.repo / "src").mkdir()
    (operator.repo / "src" / "app.py").write_text("x = 1\n")
    git(operator.repo, "add", "src/app.py")
    git(operator.repo, "commit", "-qm", "the run's work")
    git(operator.repo, "checkout", "-q", "-")
    assert not (operator.repo / "src").exists()
    return run_id


def landed_events(daemon: DaemonUnderTest, run_id: str) -> list[str]:
    with admin(daemon) as conn:
        rows = conn.execute(
            "SELECT payload->>'commit' FROM striatumd.events "
            "WHERE run_id = %s AND type = 'run.landed' ORDER BY seq",
            (run_id,),
        ).fetchall()
    return [row[0] for row in rows]


def test_a_retried_land_merges_once_after_commit(operator: Operator) -> None:
    run_id = succeeded_run_with_branch(operator)
    before = git(operator.repo, "rev-parse", "HEAD")
    tip = git(operator.repo, "rev-parse", f"striatum/{run_id}")
    merged = operator.repo / "src" / "app.py"
    with fault(operator.daemon, "events", "NEW.type = 'run.landed'", merged):
        landed = operator.cli("run", "land", "--run-id", run_id, principal=True)
        assert attempts(operator.daemon) == 2  # the first attempt was rolled back and retried
    head = git(operator.repo, "rev-parse", "HEAD")
    assert landed["commit"] == head
    assert git(operator.repo, "rev-list", "--parents", "-n1", "HEAD").split() == [head, before, tip]
    assert git(operator.repo, "rev-list", "--merges", "--count", "HEAD") == "1"
    assert merged.read_text() == "x = 1\n"
    assert git(operator.repo, "status", "--porcelain", "--untracked-files=no") == ""
    assert landed_events(operator.daemon, run_id) == [head]
    assert doctor_passes(operator.daemon)


def test_a_land_that_fails_for_good_merges_nothing(operator: Operator) -> None:
    run_id = succeeded_run_with_branch(operator)
    before = git(operator.repo, "rev-parse", "HEAD")
    merged = operator.repo / "src" / "app.py"
    with fault(operator.daemon, "events", "NEW.type = 'run.landed'", merged, for_good=True):
        refused = operator.daemon.cli(
            "--repo", str(operator.repo), "--as", "principal", "run", "land", "--run-id", run_id
        )
    assert refused.returncode != 0 and "refused for good" in refused.stderr, refused.stderr
    assert git(operator.repo, "rev-parse", "HEAD") == before
    assert git(operator.repo, "rev-list", "--merges", "--count", "HEAD") == "0"
    assert not merged.exists() and landed_events(operator.daemon, run_id) == []
    assert doctor_passes(operator.daemon)


def test_a_merge_that_fails_after_commit_is_reported_and_landing_again_finishes_it(
    operator: Operator,
) -> None:
    """The database says landed; the checkout could not follow (an untracked file appeared
    in the way between the check and the commit). The caller is told the recorded commit,
    marked committed; once the way is clear, landing again moves to that same commit."""
    run_id = succeeded_run_with_branch(operator)
    before = git(operator.repo, "rev-parse", "HEAD")
    in_the_way = operator.repo / "src" / "app.py"
    in_the_way.parent.mkdir()
    in_the_way.parent.chmod(0o777)  # the cluster's user writes into it, from the trigger
    with admin(operator.daemon) as conn:
        conn.execute(
            f"""CREATE FUNCTION striatumd.t_in_the_way() RETURNS trigger
                LANGUAGE plpgsql SECURITY DEFINER AS $$
                BEGIN
                  COPY (SELECT 'mine') TO '{in_the_way}';
                  RETURN NEW;
                END $$"""
        )
        conn.execute(
            "CREATE TRIGGER t_in_the_way BEFORE INSERT ON striatumd.events FOR EACH ROW "
            "WHEN (NEW.type = 'run.landed') EXECUTE FUNCTION striatumd.t_in_the_way()"
        )
    answer = rpc(operator.daemon, "run.land", run_id=run_id)
    with admin(operator.daemon) as conn:
        conn.execute("DROP TRIGGER t_in_the_way ON striatumd.events")
    recorded = landed_events(operator.daemon, run_id)
    assert len(recorded) == 1 and answer["ok"] is False
    error = answer["error"]
    assert error["code"] == "conflict" and error["details"]["committed"] is True
    assert error["details"]["commit"] == recorded[0] and recorded[0] in error["message"]
    assert f"git merge --ff-only {recorded[0]}" in error["hint"]
    assert git(operator.repo, "rev-parse", "HEAD") == before
    in_the_way.unlink()
    landed = operator.cli("run", "land", "--run-id", run_id, principal=True)
    assert landed["commit"] == recorded[0] == git(operator.repo, "rev-parse", "HEAD")
    assert landed_events(operator.daemon, run_id) == [recorded[0], recorded[0]]
    assert in_the_way.read_text() == "x = 1\n"


def rpc(daemon: DaemonUnderTest, method: str, **params: Any) -> dict[str, Any]:
    frame = {"v": 1, "id": "t", "method": method, "params": params}
    frame["token"] = daemon.token("principal")
    answer: dict[str, Any] = json.loads(daemon.rpc(json.dumps(frame).encode() + b"\n"))
    return answer


# publish-artifact


def output_in_worktree(operator: Operator) -> tuple[str, str, Path]:
    """A leased job whose declared output an agent wrote in the run's worktree only: the
    lease, the output's path, and the file in the worktree."""
    run_id = operator.prepare(example("minimal-flow"))
    packet = operator.claim(run_id)
    assert packet is not None
    relative = packet["expected_artifacts"][0]["path"]
    repo_id = operator.cli("status", "--run-id", run_id)["run"]["repo_id"]
    written = operator.daemon.base / "home" / "worktrees" / repo_id / run_id / relative
    written.parent.mkdir(parents=True)
    written.write_text("the agent's output\n")
    return packet["lease"]["lease_id"], relative, written


def artifact_rows(daemon: DaemonUnderTest, relative: str) -> int:
    return count(daemon, "SELECT count(*) FROM striatumd.artifacts WHERE path = %s", relative)


def test_a_retried_publish_copies_the_worktree_output_once_after_commit(
    operator: Operator,
) -> None:
    lease, relative, written = output_in_worktree(operator)
    copied = operator.repo / relative
    with fault(operator.daemon, "artifacts", f"NEW.path = '{relative}'", copied):
        published = operator.cli("publish-artifact", "--lease", lease, "--path", relative)
        assert attempts(operator.daemon) == 2
    assert copied.read_bytes() == written.read_bytes()
    assert published["sha256"] == hashlib.sha256(written.read_bytes()).hexdigest()
    assert artifact_rows(operator.daemon, relative) == 1
    assert sorted(p.name for p in copied.parent.iterdir()) == [copied.name]  # no temporaries
    assert doctor_passes(operator.daemon)


def test_a_publish_that_fails_for_good_copies_nothing(operator: Operator) -> None:
    lease, relative, _ = output_in_worktree(operator)
    copied = operator.repo / relative
    with fault(operator.daemon, "artifacts", "true", copied, for_good=True):
        refused = operator.daemon.cli(
            "--repo", str(operator.repo), "publish-artifact", "--lease", lease, "--path", relative
        )
    assert refused.returncode != 0 and "refused for good" in refused.stderr, refused.stderr
    assert not copied.exists() and artifact_rows(operator.daemon, relative) == 0
    assert doctor_passes(operator.daemon)


# corpus.export


def export(operator: Operator, run_id: str, out: Path) -> subprocess.CompletedProcess[str]:
    return operator.daemon.cli(
        "--repo", str(operator.repo), "--as", "principal", "corpus", "export",
        "--run-id", run_id, "--out", str(out), "--include-content",
    )  # fmt: skip


def finished_run(operator: Operator) -> str:
    run_id = operator.prepare(example("minimal-flow"))
    assert operator.drive(run_id)["run"]["state"] == "succeeded"
    return run_id


def test_a_retried_export_writes_its_bundle_once_after_commit(operator: Operator) -> None:
    """Before: the first attempt wrote the bundle, and the retry refused its own output."""
    run_id = finished_run(operator)
    out = operator.repo.parent / "bundle"
    method = "NEW.method = 'corpus.export'"
    with fault(operator.daemon, "audit_log", method, out / "manifest.json"):
        exported = export(operator, run_id, out)
        assert attempts(operator.daemon) == 2
    assert exported.returncode == 0, exported.stderr
    assert operator.daemon.cli("corpus", "verify", str(out)).returncode == 0
    audited = "SELECT count(*) FROM striatumd.audit_log WHERE method = 'corpus.export' AND ok"
    assert count(operator.daemon, audited) == 1
    assert doctor_passes(operator.daemon)


def test_an_export_whose_transaction_fails_for_good_writes_nothing(operator: Operator) -> None:
    """The handler built the bundle, but its transaction never committed (its audit row, and
    the stand-in for it, could not be written)."""
    run_id = finished_run(operator)
    out = operator.repo.parent / "bundle"
    method = "NEW.method IN ('corpus.export', '(unrecordable)')"
    with fault(operator.daemon, "audit_log", method, out / "manifest.json", for_good=True):
        refused = export(operator, run_id, out)
    assert refused.returncode != 0
    assert not out.exists()
    assert doctor_passes(operator.daemon)


# adopt


def test_a_retried_adopt_adds_the_ignore_line_once_after_commit(operator: Operator) -> None:
    """Before: the first attempt wrote .gitignore and the retry answered that it had not."""
    gitignore = operator.repo / ".gitignore"
    with fault(operator.daemon, "events", "NEW.type = 'repo.adopted'", gitignore):
        adopted = operator.cli("adopt")
        assert attempts(operator.daemon) == 2
    assert adopted["gitignore_updated"] is True and adopted["already_adopted"] is False
    assert gitignore.read_text() == ".striatum/\n"
    assert doctor_passes(operator.daemon)


# an audit row the database refuses


def test_a_request_whose_audit_row_is_refused_does_nothing_and_a_stand_in_says_so(
    operator: Operator,
) -> None:
    """No savepoint guards each request's audit row: when the database refuses it, the whole
    request rolls back (the token is not created), the caller is told, and the audit chain
    still records that a request came (the stand-in row)."""
    operator.cli("adopt")
    marker = operator.repo.parent / "never-created"
    labels = "SELECT count(*) FROM striatumd.tokens WHERE label = 'refused-audit'"
    stand_ins = "SELECT count(*) FROM striatumd.audit_log WHERE method = '(unrecordable)'"
    before = count(operator.daemon, stand_ins)
    with fault(operator.daemon, "audit_log", "NEW.method = 'token.create'", marker, for_good=True):
        refused = operator.daemon.cli(
            "--as", "principal", "token", "create", "--role", "operator", "--label", "refused-audit"
        )
    assert refused.returncode != 0
    assert "could not be audited, so nothing was done" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert count(operator.daemon, labels) == 0
    assert count(operator.daemon, stand_ins) == before + 1
    assert doctor_passes(operator.daemon)
