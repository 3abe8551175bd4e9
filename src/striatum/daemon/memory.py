"""Giving freed memory back to the system after a burst.

CPython returns large buffers to the C allocator, but glibc keeps freed heap pages mapped
(fragmentation, and a raised mmap threshold after big frees), so a daemon that once buffered
a flood would stay that size. `malloc_trim(0)` hands free pages back; elsewhere it is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError, TypeError):  # not glibc
        return None
    return trim


def trim() -> None:
    release = _malloc_trim()
    if release is not None:
        release(0)
