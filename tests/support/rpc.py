"""Calling verbs over the daemon's socket from the test process (no CLI start-up cost)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from tests.support.daemons import DaemonUnderTest


@contextlib.contextmanager
def aimed_at(daemon: DaemonUnderTest) -> Iterator[None]:
    """Point this process's client at `daemon` (set once: threads share the environment)."""
    keys = ("STRIATUM_RUNTIME_DIR", "STRIATUM_HOME", "STRIATUM_TOKEN")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update(
        STRIATUM_RUNTIME_DIR=str(daemon.runtime_dir), STRIATUM_HOME=str(daemon.base / "home")
    )
    os.environ.pop("STRIATUM_TOKEN", None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def call(method: str, *, as_role: str | None = None, **params: Any) -> Any:
    from striatum.client import rpc

    return rpc.call(method, params, as_role=as_role)
