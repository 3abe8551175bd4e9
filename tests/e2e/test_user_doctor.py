"""`striatum doctor`: the availability, provenance and skills planes, each failing alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg

from tests.support.daemons import DaemonUnderTest
from tests.support.operator import new_repo

BIN = Path(sys.executable).parent


def doctor(daemon: DaemonUnderTest, repo: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    env = {**daemon.env, "HOME": str(repo.parent)}
    result = subprocess.run([str(BIN / "striatum"), "--repo", str(repo), "doctor", "--json",
                             *extra], env=env, capture_output=True, text=True, timeout=120,
                            check=False)
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout)


def adopt_for_claude(daemon: DaemonUnderTest, repo: Path) -> None:
    env = {**daemon.env, "HOME": str(repo.parent)}
    done = subprocess.run([str(BIN / "striatum"), "--repo", str(repo), "adopt", "--profile",
                           "claude_code"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr


def test_a_healthy_setup_passes_every_plane(daemon: DaemonUnderTest, tmp_path: Path) -> None:
    repo = new_repo(tmp_path)
    adopt_for_claude(daemon, repo)
    code, report = doctor(daemon, repo)
    assert code == 0 and report["ok"], report
    assert [c["check"] for c in report["availability"]["checks"]] == [
        "daemon", "database", "migrations"]
    assert {c["check"] for c in report["provenance"]["checks"]} >= {"chain audit"}
    assert [c["detail"] for c in report["skills"]["checks"]] == ["current (written by 0.1.0)"]


def test_an_edited_skill_is_flagged_with_its_fix(daemon: DaemonUnderTest, tmp_path: Path) -> None:
    repo = new_repo(tmp_path)
    adopt_for_claude(daemon, repo)
    skill = repo / ".claude/skills/striatum-escalate/SKILL.md"
    skill.write_text(skill.read_text() + "\nlocal tweak\n")
    code, report = doctor(daemon, repo)
    assert code == 5 and report["availability"]["ok"] and report["provenance"]["ok"]
    [check] = report["skills"]["checks"]
    assert check["detail"].startswith("edited")
    assert check["fix"] == (f"striatum --repo {repo} skills install --profile claude_code "
                            "--project --force")


def test_a_broken_chain_is_reported_beside_a_healthy_daemon(daemon: DaemonUnderTest,
                                                            tmp_path: Path) -> None:
    repo = new_repo(tmp_path)
    adopt_for_claude(daemon, repo)
    assert daemon.database is not None
    set_first_payload(daemon, "'{\"path\": \"/elsewhere\"}'::jsonb")
    try:
        code, report = doctor(daemon, repo, "--deep")
        assert code == 8 and report["availability"]["ok"] and not report["provenance"]["ok"]
        broken = [c for c in report["provenance"]["checks"] if not c["ok"]]
        assert len(broken) == 1 and "BROKEN at seq 1" in broken[0]["detail"]
    finally:  # the hashed bytes still hold the truth: put the column back from them
        set_first_payload(daemon, "(convert_from(canonical, 'UTF8')::jsonb -> 'payload')")
    assert doctor(daemon, repo, "--deep")[0] == 0


def set_first_payload(daemon: DaemonUnderTest, expression: str) -> None:
    assert daemon.database is not None
    with psycopg.connect(daemon.database.admin_conninfo, autocommit=True) as conn:
        conn.execute("ALTER TABLE striatumd.events DISABLE TRIGGER USER")
        conn.execute(f"UPDATE striatumd.events SET payload = {expression} WHERE seq = 1")
        conn.execute("ALTER TABLE striatumd.events ENABLE TRIGGER USER")


def test_without_a_daemon_availability_fails_and_skills_still_report(
        daemon: DaemonUnderTest, tmp_path: Path) -> None:
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
