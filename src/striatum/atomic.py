"""Writing a small file whole or not at all."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from striatum import errors


def write_text(path: Path, text: str) -> None:
    """Write through a temporary file and a rename: a reader sees the old file or the new,
    never half of one. A failure is a StorageError naming the file."""
    _write(path, text.encode("utf-8"), 0o644)


def write_private(path: Path, data: str | bytes) -> None:
    """As `write_text`, for a file only its owner may read (a token, a kept environment, a
    service file): created 0600, so it is never readable by others, even for an instant."""
    _write(path, data.encode("utf-8") if isinstance(data, str) else data, 0o600)


def _write(path: Path, data: bytes, mode: int) -> None:
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise errors.StorageError(
            f"cannot write {path}: {error.strerror or error}", path=str(path)
        ) from None
