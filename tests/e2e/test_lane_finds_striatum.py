"""A supervised lane's agent finds this installation's `striatum` on PATH even when the shell
that started the supervisor did not have it there (a venv not activated)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from striatum import __version__
from tests.support.agent_stubs import SYSTEM_PATH
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, new_repo

BIN = Path(sys.executable).parent
PROBE = "{ command -v striatum; striatum --version; } > {output}"


def probe_workflow(folder: Path) -> Path:
    folder.mkdir()
    lane = {"provider": "command", "command": ["sh", "-c", PROBE], "timeout_s": 60}
    (folder / "workflow.json").write_text(
        json.dumps(
            {
                "schema_version": "striatum.workflow.v1",
                "id": "probe",
                "name": "Probe",
                "lanes": {"agent": lane},
                "jobs": [
                    {
                        "id": "probe",
                        "kind": "task",
                        "lane": "agent",
                        "artifacts": [{"path": "docs/striatum/probe.md"}],
                    }
                ],
            }
        )
    )
    return folder / "workflow.json"


def test_a_command_lane_runs_this_installation_s_striatum(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    operator = Operator(daemon=daemon, repo=new_repo(tmp_path))
    run_id = operator.prepare(probe_workflow(tmp_path / "wf"))
    assert "striatum" not in os.listdir("/usr/bin")  # the supervisor's PATH cannot find it
    done = subprocess.run(
        [str(BIN / "striatum"), "supervise", "--run-id", run_id, "--until-blocked"],
        env={**daemon.env, "PATH": SYSTEM_PATH},
        cwd=operator.repo,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    [published] = (operator.repo / "docs/striatum" / run_id).rglob("probe.md")
    found, version = published.read_text().splitlines()
    assert os.path.samefile(found, BIN / "striatum")
    assert version == f"striatum, version {__version__}"
