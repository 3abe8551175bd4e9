"""Attempts' scratch folders, made ahead as a spare and renamed into place (real files)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from striatum.lanes.attempt_folders import AttemptFolders


def _layout(folder: Path) -> dict[str, str]:
    """Each entry of an attempt's folder: its kind and permission bits."""
    kinds = {stat.S_IFREG: "file", stat.S_IFIFO: "fifo", stat.S_IFDIR: "dir"}
    return {
        entry.name: f"{kinds[stat.S_IFMT(entry.lstat().st_mode)]} {entry.lstat().st_mode & 0o777:o}"
        for entry in sorted(folder.iterdir())
    }


@pytest.fixture(autouse=True)
def _umask() -> Iterator[None]:
    """The usual umask, whatever the test process had; put back afterwards."""
    before = os.umask(0o022)
    yield
    os.umask(before)


EXPECTED = {
    "agent.pid": "file 644",
    "input.fifo": "fifo 600",
    "prompt.md": "file 600",
    "stderr.log": "file 644",
    "stdout.log": "file 644",
}


def test_a_first_attempt_takes_the_whole_spare(tmp_path: Path) -> None:
    folders = AttemptFolders(tmp_path / "run")
    folders.prepare()
    folder = folders.take("draft", 1, "Write it.\n")
    assert folder == tmp_path / "run" / "draft" / "attempt-1"
    assert (folder / "prompt.md").read_text() == "Write it.\n"
    assert _layout(folder) == EXPECTED
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert not (tmp_path / "run" / ".next").exists()  # renamed: the job's folder now
    folders.prepare()  # the next spare
    assert _layout(tmp_path / "run" / ".next" / "attempt-1")["prompt.md"] == "file 600"


def test_a_later_attempt_takes_the_spare_attempt_into_its_job_folder(tmp_path: Path) -> None:
    run = tmp_path / "run"
    (run / "draft" / "attempt-1").mkdir(parents=True)
    folders = AttemptFolders(run)
    folders.prepare()
    folder = folders.take("draft", 2, "Again.\n")
    assert (folder / "prompt.md").read_text() == "Again.\n"
    assert _layout(folder) == EXPECTED
    assert list((run / ".next").iterdir()) == []  # emptied, filled again when next prepared
    folders.prepare()
    assert (run / ".next" / "attempt-1" / "input.fifo").exists()


def test_without_a_spare_the_folder_is_made_in_place(tmp_path: Path) -> None:
    folder = AttemptFolders(tmp_path / "run").take("draft", 1, "In place.\n")
    assert (folder / "prompt.md").read_text() == "In place.\n"
    # The logs and the pid file come with the agent's launch.
    assert _layout(folder) == {"input.fifo": "fifo 600", "prompt.md": "file 600"}


def test_a_leftover_attempt_folder_is_kept_and_its_prompt_replaced(tmp_path: Path) -> None:
    run = tmp_path / "run"
    leftover = run / "draft" / "attempt-3"
    leftover.mkdir(parents=True)
    (leftover / "stdout.log").write_text("an earlier try's output\n")
    (leftover / "prompt.md").write_text("old\n")
    (leftover / "input.fifo").write_text("not a fifo\n")
    folders = AttemptFolders(run)
    folders.prepare()
    folder = folders.take("draft", 3, "New.\n")
    assert folder == leftover
    assert (folder / "prompt.md").read_text() == "New.\n"
    assert (folder / "stdout.log").read_text() == "an earlier try's output\n"
    assert stat.S_ISFIFO((folder / "input.fifo").lstat().st_mode)


def test_a_spare_prompt_linked_elsewhere_is_never_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("")  # empty, as the spare's own prompt file would be
    for link in (os.link, os.symlink):
        run = tmp_path / f"run-{link.__name__}"
        folders = AttemptFolders(run)
        folders.prepare()
        planted = run / ".next" / "attempt-1" / "prompt.md"
        planted.unlink()
        link(outside, planted)
        folder = folders.take("draft", 1, "The prompt.\n")
        assert outside.read_text() == ""
        assert (folder / "prompt.md").read_text() == "The prompt.\n"
        assert not (folder / "prompt.md").is_symlink()
        assert (folder / "prompt.md").stat().st_nlink == 1


def test_a_former_supervisors_spare_is_not_used_and_discard_removes_ours(tmp_path: Path) -> None:
    run = tmp_path / "run"
    (run / ".next" / "attempt-1").mkdir(parents=True)
    (run / ".next" / "attempt-1" / "prompt.md").write_text("planted\n")
    folders = AttemptFolders(run)
    assert not (run / ".next").exists()
    folders.prepare()
    assert (run / ".next" / "attempt-1" / "prompt.md").read_text() == ""
    folders.discard()
    assert not (run / ".next").exists()
    folder = folders.take("draft", 1, "After.\n")  # no spare: made in place
    assert (folder / "prompt.md").read_text() == "After.\n"
