"""Writing a small text file whole or not at all."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from striatum import errors


def write_text(path: Path, text: str) -> None:
    """Write through a temporary file and a rename: a reader sees the old file or the new,
    never half of one. A failure is a StorageError naming the file."""
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(text, "utf-8")
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise errors.StorageError(
            f"cannot write {path}: {error.strerror or error}", path=str(path)
        ) from None
