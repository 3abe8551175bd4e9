"""Agents find this installation's `striatum` first on their PATH, whatever PATH the shell
that started the supervisor had (a venv not activated, a teammate's setup), so an agent's
`striatum ...` and an MCP server registered as plain `striatum` reach this version.

What goes first is a folder of the run (`.striatum/runs/<run>/bin`, made once) holding only
a link to this installation's `striatum`, not the whole scripts folder of its Python: that
folder also holds this environment's `python3` and `pip`, which must not shadow the ones the
agent's PATH finds (an agent's `pip install` would land in Striatum's environment).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

NAME = "striatum"


def installed() -> Path | None:
    """The `striatum` beside the running Python (None when run from a bare source tree)."""
    beside = Path(sys.executable).parent / NAME
    return beside if beside.exists() else None


def link_folder(parent: Path) -> Path | None:
    """`<parent>/bin` holding a link to this installation's `striatum`; None without one. A
    link already right is left alone: an attempt's start makes no file it need not make."""
    target = installed()
    if target is None:
        return None
    folder = parent / "bin"
    link = folder / NAME
    with contextlib.suppress(OSError):
        if os.readlink(link) == str(target):
            return folder
    folder.mkdir(mode=0o700, exist_ok=True)
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target)
    return folder


def first_on(path: str | None, folder: Path) -> str:
    """Pure: `path` with `folder` in front (no PATH at all: the system's default after it)."""
    return os.pathsep.join([str(folder), path or os.defpath])
