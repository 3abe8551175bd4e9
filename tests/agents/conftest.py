"""Fixtures of the real-agent tests: the CLIs installed (else a clear skip) and a target
repository with history (so runs get a worktree)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.agents import clis
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, new_repo


@pytest.fixture
def agent_clis() -> None:
    """Skip, saying why, when the pinned CLIs cannot be installed here."""
    reason = clis.skip_reason()
    if reason:
        pytest.skip(reason)


@pytest.fixture
def operator(daemon: DaemonUnderTest, tmp_path: Path) -> Operator:
    """The daemon's operator on a repository with one commit."""
    repo = new_repo(tmp_path)
    (repo / "README.md").write_text("demo\n")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "add", "README.md"], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
    return Operator(daemon=daemon, repo=repo)
