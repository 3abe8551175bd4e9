"""The preflight against the real agent CLIs: each is found and answers `--version`."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from striatum.lanes import preflight
from tests.agents.clis import agents_cache

pytestmark = [
    pytest.mark.agents,
    pytest.mark.timeout(600),
    pytest.mark.usefixtures("agent_clis"),
]  # installs the CLIs, or skips saying why

BIN = agents_cache() / "node_modules" / ".bin"
VERSIONS = {
    "claude_code": "2.1.197 (Claude Code)",
    "codex": "codex-cli 0.169.0",
    "gemini": "0.61.0",
}


def test_the_preflight_reports_each_real_clis_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # whatever a CLI writes on start stays here
    node = os.path.dirname(str(shutil.which("node")))
    lanes = {name: {"provider": name} for name in VERSIONS}
    checks = preflight.check_lanes(
        lanes, workflow_dir=None, repo=None, search_path=f"{BIN}:{node}:/usr/bin:/bin"
    )
    assert {c.lane: c.version for c in checks} == VERSIONS
    assert all(c.ok and c.path and c.path.startswith(str(BIN)) for c in checks)
