"""The one resolver of Striatum's places on disk.

Every process (daemon, CLI, tests) asks this module, so no two of them ever disagree about
where the data, the runtime directory or the embedded cluster live.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "striatum"


def home() -> Path:
    """`STRIATUM_HOME`, else the platform's user data directory for Striatum."""
    configured = os.environ.get("STRIATUM_HOME")
    if configured:
        return Path(configured).expanduser().absolute()
    import platformdirs  # lazy: keeps `striatum --help` lean

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def runtime_dir() -> Path:
    """`STRIATUM_RUNTIME_DIR`, else `<home>/run`.

    Deliberately not derived from `XDG_RUNTIME_DIR`: a client and the daemon started from
    different sessions may see different values of it, and they must agree.
    """
    configured = os.environ.get("STRIATUM_RUNTIME_DIR")
    if configured:
        return Path(configured).expanduser().absolute()
    return home() / "run"


def cluster_dir() -> Path:
    """Where the embedded PostgreSQL cluster lives when no database URL is configured."""
    return home() / "postgres"


def anchors_file() -> Path:
    """Chain heads recorded outside the database, compared by `doctor`."""
    return home() / "anchors.json"


def database_url() -> str | None:
    """`STRIATUM_DATABASE_URL`, or None for the embedded default."""
    return os.environ.get("STRIATUM_DATABASE_URL") or None
