"""A git that stalls or floods is cut off: its output is bounded in time and in size."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from striatum.engine import bounded_git


def _fake_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "git").write_text(f"#!/bin/sh\n{script}\n")
    (bin_dir / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")


def test_a_git_that_stalls_without_printing_more_is_killed_at_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_git(tmp_path, monkeypatch, "echo first line; exec sleep 60")
    monkeypatch.setattr(bounded_git, "GIT_SECONDS", 0.5)
    started = time.monotonic()
    found = bounded_git.git(tmp_path, "log", limit=1000)
    assert found.text == "first line\n" and found.cut
    assert time.monotonic() - started < 30  # not the 60 s the stalled git would take


def test_output_past_the_limit_is_cut_and_not_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_git(tmp_path, monkeypatch, "yes 0123456789")
    found = bounded_git.git(tmp_path, "log", limit=50_000)
    assert found.cut and len(found.text) == 50_000 and found.text.startswith("0123456789\n")


def test_a_git_that_fails_is_not_ok(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_git(tmp_path, monkeypatch, "echo nope; exit 128")
    found = bounded_git.git(tmp_path, "log", limit=1000)
    assert (found.text, found.cut, found.ok) == ("nope\n", False, False)
