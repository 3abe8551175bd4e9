"""Attempts' scratch folders: `.striatum/runs/<run>/<job>/attempt-<n>/` (0700) with the
attempt's `prompt.md` (0600), `input.fifo`, `stdout.log`, `stderr.log` and `agent.pid`.

A folder and its files are seven new inodes, and on some file systems each costs 0.3 ms or
more (measured by `bench.scratch_fs`). So the supervisor makes the next attempt's folder
ahead, while it waits for the daemon, as a spare (`.striatum/runs/<run>/.next/attempt-1/`, its
files empty), and `take` renames it into place once the job is known: one or two renames
between a claim and the agent's start instead of seven creations. Where the spare cannot be
used (none made yet, the attempt's folder already there, a spare file that is not the
supervisor's own empty file) the folder is made as before, in place.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from pathlib import Path

from striatum import atomic

SPARE = ".next"  # hidden: never an attempt's, and skipped by the corpus export
PRIVATE = ("prompt.md",)  # files only the owner may read, even empty
FILES = ("prompt.md", "stdout.log", "stderr.log", "agent.pid")
FIFO = "input.fifo"


class AttemptFolders:
    """Where one supervisor's attempts get their scratch folders (one supervisor per run)."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.spare = run_dir / SPARE
        self.ready = False  # the spare's `attempt-1/` is made and untouched since
        with contextlib.suppress(OSError):  # a spare a former supervisor left: not trusted
            shutil.rmtree(self.spare)

    def prepare(self) -> None:
        """Make the spare if there is none; for an idle moment (a failure only means the next
        attempt's folder is made in place)."""
        if self.ready:
            return
        try:
            self.spare.mkdir(parents=True, exist_ok=True)  # its first attempt's job folder
            _make(self.spare / "attempt-1", empty_files=True)
        except OSError:
            with contextlib.suppress(OSError):
                shutil.rmtree(self.spare / "attempt-1")
            return
        self.ready = True

    def take(self, job_id: str, attempt: int, prompt: str) -> Path:
        """The attempt's folder with `prompt` in its `prompt.md`: the spare renamed into
        place, or one made there."""
        folder = self.run_dir / job_id / f"attempt-{attempt}"
        if self.ready:
            self.ready = False
            with contextlib.suppress(OSError):
                self._move_spare(folder)
                if _fill(folder / "prompt.md", prompt):
                    return folder
        _make(folder, empty_files=False)  # in place: the agent's launch makes the logs
        atomic.write_private(folder / "prompt.md", prompt)  # replacing what was there
        return folder

    def discard(self) -> None:
        """Remove the spare (the supervisor is leaving)."""
        self.ready = False
        with contextlib.suppress(OSError):
            shutil.rmtree(self.spare)

    def _move_spare(self, folder: Path) -> None:
        """Rename the spare into `folder` (which must not exist): a first attempt of a job
        takes the whole spare as its job's folder."""
        job_folder = folder.parent
        if folder.name == "attempt-1" and not os.path.lexists(job_folder):
            os.rename(self.spare, job_folder)
            return
        job_folder.mkdir(exist_ok=True)
        if os.path.lexists(folder):
            raise FileExistsError(folder)
        os.rename(self.spare / "attempt-1", folder)


def _make(folder: Path, *, empty_files: bool) -> None:
    """An attempt's folder (kept if there: an earlier try's, whose logs are appended to) with
    its FIFO (what was in its place is replaced) and, for the spare, its files, empty."""
    os.makedirs(folder, mode=0o700, exist_ok=not empty_files)
    for name in FILES if empty_files else ():
        mode = 0o600 if name in PRIVATE else 0o666
        os.close(os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode))
    fifo = folder / FIFO
    if os.path.lexists(fifo):
        fifo.unlink()
    os.mkfifo(fifo, 0o600)  # `striatum send` writes here; the agent may read it


def _fill(path: Path, text: str) -> bool:
    """Write `text` into the spare's empty prompt file; False (nothing written) when the file
    is not that: a link, not empty, not a regular file only this name points to."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    with os.fdopen(descriptor, "wb") as handle:
        facts = os.fstat(descriptor)
        if not stat.S_ISREG(facts.st_mode) or facts.st_nlink != 1 or facts.st_size:
            return False
        handle.write(text.encode("utf-8"))
    return True
