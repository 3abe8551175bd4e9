"""A full disk or a read-only file system under the repository while a job's artifact is
published: a clear error, the job is not marked done, nothing half-written is left or
recorded. The repository's artifact directory is a real tmpfs mount (too small, or ro)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, new_repo

BIN = Path(sys.executable).parent
BIG = 64 * 1024  # bigger than the 16 KiB mount


@pytest.fixture(params=["disk-full", "read-only"])
def cramped_repo(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    repo = new_repo(tmp_path)
    (repo / "README.md").write_text("history, so the run gets a worktree\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "add", "README.md"], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    target = repo / "docs" / "striatum"
    target.mkdir(parents=True)
    options = "size=16k" if request.param == "disk-full" else "ro,size=16k"
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs CAP_SYS_ADMIN): {mounted.stderr}")
    try:
        yield repo, request.param
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


def big_output_workflow(tmp_path: Path) -> Path:
    folder = tmp_path / "wf"
    folder.mkdir()
    script = f'head -c {BIG} /dev/zero | tr "\\0" x > "$STRIATUM_OUTPUT"'
    (folder / "workflow.json").write_text(
        json.dumps(
            {
                "schema_version": "striatum.workflow.v1",
                "id": "big",
                "name": "Big",
                "lanes": {
                    "agent": {
                        "provider": "command",
                        "command": ["sh", "-c", script],
                        "timeout_s": 60,
                        "max_attempts": 1,
                    }
                },
                "jobs": [
                    {
                        "id": "draft",
                        "kind": "task",
                        "lane": "agent",
                        "artifacts": [{"path": "docs/striatum/out.md"}],
                    }
                ],
            }
        )
    )
    return folder / "workflow.json"


def test_publishing_into_a_full_or_read_only_repo_fails_cleanly(
    daemon: DaemonUnderTest, tmp_path: Path, cramped_repo: tuple[Path, str]
) -> None:
    repo, kind = cramped_repo
    operator = Operator(daemon=daemon, repo=repo)
    operator.cli("adopt")
    run_id = operator.cli("run", "prepare", "--workflow", str(big_output_workflow(tmp_path)))[
        "run_id"
    ]
    operator.cli("run", "start", "--run-id", run_id, "--no-supervise")
    result = subprocess.run(
        [str(BIN / "striatum"), "supervise", "--run-id", run_id, "--until-blocked"],
        env=daemon.env,
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in result.stderr
    status = operator.cli("status", "--run-id", run_id)
    assert status["jobs"][0]["state"] != "succeeded"
    assert operator.cli("list", "artifacts", "--run-id", run_id)["artifacts"] == []
    reasons = json.dumps(operator.cli("why", run_id)["events"])
    expected = "No space left on device" if kind == "disk-full" else "Read-only file system"
    assert "cannot write docs/striatum/" in reasons and expected in reasons
    leftovers = [p for p in (repo / "docs" / "striatum").rglob("*") if p.is_file()]
    assert leftovers == []  # no half-written artifact, no temporary file
