"""`striatum doctor`: the availability, provenance, skills and agents planes, each failing
alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg

from tests.support.agent_stubs import broken_bwrap, path_with, stub_clis
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import new_repo

BIN = Path(sys.executable).parent


def doctor(
    daemon: DaemonUnderTest, repo: Path, *extra: str, env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """By default with a configured stand-in `claude` on PATH, as `adopt_for_claude` needs."""
    env = {**daemon.env, "HOME": str(repo.parent), **(env or claude_ready(repo.parent))}
    result = subprocess.run(
        [str(BIN / "striatum"), "--repo", str(repo), "doctor", "--json", *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout)


def claude_ready(base: Path) -> dict[str, str]:
    return {"PATH": path_with(stub_clis(base / "bin", "claude")), "ANTHROPIC_API_KEY": "sk-test"}


def adopt_for_claude(daemon: DaemonUnderTest, repo: Path) -> None:
    env = {**daemon.env, "HOME": str(repo.parent)}
    done = subprocess.run(
        [str(BIN / "striatum"), "--repo", str(repo), "adopt", "--profile", "claude_code"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_a_healthy_setup_passes_every_plane(daemon: DaemonUnderTest, tmp_path: Path) -> None:
    repo = new_repo(tmp_path)
    adopt_for_claude(daemon, repo)
    code, report = doctor(daemon, repo)
    assert code == 0 and report["ok"], report
    assert [c["check"] for c in report["availability"]["checks"]] == [
        "daemon",
        "database",
        "migrations",
    ]
    assert {c["check"] for c in report["provenance"]["checks"]} >= {"chain audit"}
    assert [c["detail"] for c in report["skills"]["checks"]] == ["current (written by 0.1.0)"]


def test_an_edited_skill_is_flagged_with_its_fix(daemon: DaemonUnderTest, tmp_path: Path) -> None:
    repo = new_repo(tmp_path)
    adopt_for_claude(daemon, repo)
    skill = repo / ".claude/skills/striatum-escalate/SKILL.md"
    skill.write_text(skill.read_text() + "\nlocal tweak\n")
    code, report = doctor(daemon, repo)
    assert report["provenance"]["ok"], report["provenance"]  # (once seen flaking: say why)
    assert code == 5 and report["availability"]["ok"], report
    [check] = report["skills"]["checks"]
    assert check["detail"].startswith("edited")
    assert check["fix"] == (
        f"striatum --repo {repo} skills install --profile claude_code --project --force"
    )


def test_a_broken_chain_is_reported_beside_a_healthy_daemon(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    repo = new_repo(tmp_path)
    adopt_for_claude(daemon, repo)
    assert daemon.database is not None
    original = first_payload(daemon)
    set_first_payload(daemon, '{"path": "/elsewhere"}')
    try:  # records v2: the default check compares the payload column with its digest
        for flags in ((), ("--deep",)):
            code, report = doctor(daemon, repo, *flags)
            assert code == 8 and report["availability"]["ok"] and not report["provenance"]["ok"]
            broken = [c for c in report["provenance"]["checks"] if not c["ok"]]
            assert len(broken) == 1 and "BROKEN at seq 1" in broken[0]["detail"]
    finally:  # put the column back as it was written
        set_first_payload(daemon, original)
    assert doctor(daemon, repo, "--deep")[0] == 0


def first_payload(daemon: DaemonUnderTest) -> str:
    assert daemon.database is not None
    with psycopg.connect(daemon.database.admin_conninfo, autocommit=True) as conn:
        row = conn.execute("SELECT payload::text FROM striatumd.events WHERE seq = 1").fetchone()
    assert row is not None
    return str(row[0])


def set_first_payload(daemon: DaemonUnderTest, payload: str) -> None:
    assert daemon.database is not None
    with psycopg.connect(daemon.database.admin_conninfo, autocommit=True) as conn:
        conn.execute("ALTER TABLE striatumd.events DISABLE TRIGGER USER")
        conn.execute("UPDATE striatumd.events SET payload = %s::jsonb WHERE seq = 1", (payload,))
        conn.execute("ALTER TABLE striatumd.events ENABLE TRIGGER USER")


def test_without_a_daemon_availability_fails_and_skills_still_report(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    repo = new_repo(tmp_path)
    adopt_for_claude(daemon, repo)
    daemon.stop()
    try:
        code, report = doctor(daemon, repo)
        assert code == 7 and not report["availability"]["ok"]
        assert report["provenance"]["checks"][0]["detail"].startswith("not verified")
        assert report["skills"]["ok"] is True
    finally:
        daemon.start()


def agents(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["check"]: c for c in report["agents"]["checks"]}


def test_a_missing_cli_nobody_needs_is_listed_and_doctor_is_ok(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    repo = new_repo(tmp_path)
    assert daemon.cli("--repo", str(repo), "adopt").returncode == 0
    code, report = doctor(daemon, repo, env={"PATH": path_with(stub_clis(tmp_path / "bin"))})
    assert code == 0 and report["agents"]["ok"], report["agents"]
    codex = agents(report)["codex"]
    assert codex["ok"] and not codex["ready"] and not codex["needed"]
    assert codex["detail"] == "`codex` is not on PATH (not needed here)"


def test_a_missing_cli_an_active_run_uses_fails_doctor_with_18(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    repo = new_repo(tmp_path)
    workflow = tmp_path / "workflow.json"
    workflow.write_text(
        json.dumps(
            {
                "schema_version": "striatum.workflow.v1",
                "id": "w",
                "name": "W",
                "lanes": {"author": {"provider": "codex"}},
                "jobs": [
                    {
                        "id": "draft",
                        "kind": "task",
                        "lane": "author",
                        "artifacts": [{"path": "docs/striatum/out.md"}],
                    }
                ],
            }
        )
    )
    assert daemon.cli("--repo", str(repo), "adopt").returncode == 0
    run_id = daemon.json("--repo", str(repo), "run", "prepare", "--workflow", str(workflow))[
        "run_id"
    ]
    code, report = doctor(daemon, repo, env={"PATH": path_with(stub_clis(tmp_path / "bin"))})
    assert code == 18 and report["exit_code"] == 18 and not report["agents"]["ok"]
    codex = agents(report)["codex"]
    assert not codex["ok"] and codex["needed"] and codex["fix"] == "npm install -g @openai/codex"
    assert codex["detail"] == f"`codex` is not on PATH (needed: run {run_id})"
    human = subprocess.run(
        [str(BIN / "striatum"), "--repo", str(repo), "doctor"],
        env={**daemon.env, "HOME": str(tmp_path), "PATH": path_with(tmp_path / "bin")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert human.returncode == 18 and "BAD  codex: `codex` is not on PATH" in human.stdout
    plane = human.stdout[human.stdout.index("agents:") :].splitlines()
    assert max(len(line) for line in plane) <= 80


def test_a_stub_cli_that_answers_and_a_configured_env_are_ready(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    repo = new_repo(tmp_path)
    adopt_for_claude(daemon, repo)
    (tmp_path / ".gemini").mkdir()
    (tmp_path / ".gemini" / "settings.json").write_text(
        '{"security": {"auth": {"selectedType": "gemini-api-key"}}}'
    )
    stubs = stub_clis(tmp_path / "bin", "claude", "gemini")
    code, report = doctor(
        daemon, repo, env={"PATH": path_with(stubs), "ANTHROPIC_API_KEY": "sk-test"}
    )
    assert code == 0, report["agents"]
    found = agents(report)
    assert found["claude_code"]["ready"] and found["claude_code"]["needed"]
    assert found["claude_code"]["version"] == "claude 1.2.3"
    assert (
        found["claude_code"]["detail"]
        == "claude 1.2.3; configured: ANTHROPIC_API_KEY set (needed: adopted)"
    )
    assert found["gemini"]["ready"] and "auth 'gemini-api-key'" in found["gemini"]["detail"]


def test_an_adopted_cli_that_is_not_configured_fails_doctor(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    repo = new_repo(tmp_path)
    adopt_for_claude(daemon, repo)
    code, report = doctor(
        daemon, repo, env={"PATH": path_with(stub_clis(tmp_path / "bin", "claude"))}
    )
    claude = agents(report)["claude_code"]
    assert code == 18 and not claude["ok"] and not claude["configured"]
    assert claude["detail"].startswith("claude 1.2.3; no ANTHROPIC_API_KEY, no login in ")


def test_doctor_names_the_lane_sandbox_in_use_and_warns_where_there_is_none(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    repo = new_repo(tmp_path)
    adopt_for_claude(daemon, repo)
    code, report = doctor(daemon, repo)
    found = agents(report)["lane sandbox"]
    if found["ready"]:  # this machine can sandbox (the bundled bubblewrap works)
        assert code == 0 and found["detail"].startswith("bubblewrap (bubblewrap ")
        assert "lanes run in `standard`" in found["detail"]
    broken = {**claude_ready(tmp_path), **broken_bwrap(tmp_path / "broken-bwrap")}
    code, report = doctor(daemon, repo, env=broken)
    found = agents(report)["lane sandbox"]
    assert code == 0 and found["ok"] and found["warn"] and not found["ready"]
    assert "lanes that name no sandbox run without one" in found["detail"]
    assert "STRIATUM_BWRAP" in found["fix"]
    human = subprocess.run(
        [str(BIN / "striatum"), "--repo", str(repo), "doctor"],
        env={**daemon.env, "HOME": str(tmp_path), **broken},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert human.returncode == 0 and "   !   lane sandbox: none: " in human.stdout


def test_doctor_fails_where_an_active_runs_lane_names_a_sandbox_none_can_make(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    repo = new_repo(tmp_path)
    workflow = tmp_path / "workflow.json"
    lane = {"provider": "command", "command": ["true"], "sandbox": "standard"}
    job = {
        "id": "draft",
        "kind": "task",
        "lane": "a",
        "artifacts": [{"path": "docs/striatum/out.md"}],
    }
    document = {"schema_version": "striatum.workflow.v1", "id": "w", "name": "W"}
    workflow.write_text(json.dumps({**document, "lanes": {"a": lane}, "jobs": [job]}))
    assert daemon.cli("--repo", str(repo), "adopt").returncode == 0
    run_id = daemon.json("--repo", str(repo), "run", "prepare", "--workflow", str(workflow))[
        "run_id"
    ]
    broken = {**claude_ready(tmp_path), **broken_bwrap(tmp_path / "broken-bwrap")}
    code, report = doctor(daemon, repo, env=broken)
    found = agents(report)["lane sandbox"]
    assert code == 18 and not found["ok"] and found["needed"]
    assert found["detail"].endswith(f"(needed: run {run_id})")
