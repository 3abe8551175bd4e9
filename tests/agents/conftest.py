"""Fixtures of the real-agent tests: the CLIs installed (else a clear skip) and a target
repository with history (so runs get a worktree)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.agents import clis
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, commit_file, new_repo


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
    commit_file(repo, "README.md", "demo\n")
    return Operator(daemon=daemon, repo=repo)
