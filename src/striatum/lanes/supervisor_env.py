"""The environment a run's supervisor was launched with, kept for the daemon to resume it.

`run start` launches the supervisor with the caller's environment: the PATH that finds the
agent CLIs, the provider keys. A daemon resuming the run after the supervisor died (or after
a reboot, from a login service) has none of that, so `run start` keeps what the run's lanes
need in a 0600 JSON file under the home (`paths.supervisor_env_file`), never in the database
or a chain: the minimal base every agent gets, the variables the lanes' profiles need, the
variables their `env` refers to (everything, for an `inherit_env` lane), and Striatum's own
settings, except secrets no supervisor needs (tokens, database URLs: the supervisor reads
this host's operator token file). The file goes when the run ends.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from striatum import atomic, paths
from striatum.lanes import environment, markers
from striatum.lanes.profiles import PROFILES
from striatum.model.workflow import lane_env

SECRET_SETTINGS = (
    "STRIATUM_TOKEN",
    "STRIATUM_DATABASE_URL",
    "STRIATUM_RUNTIME_DATABASE_URL",
)


def kept(source: Mapping[str, str], lanes: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """Pure: the part of `source` a supervisor of a run with these lanes needs."""
    needs: list[str] = []
    referenced: set[str] = set()
    inherit = False
    for lane in lanes.values():
        profile = PROFILES.get(str(lane.get("provider")))
        needs += profile.needs_env if profile else ()
        for value in (lane.get("env") or {}).values():
            referenced.update(lane_env.references(str(value)))
        inherit = inherit or bool(lane.get("inherit_env"))
    wanted = tuple(needs)
    env = {
        name: value
        for name, value in markers.unmarked(dict(source)).items()
        if inherit or name in referenced or environment.wanted(name, wanted)
    }
    env.update(
        {
            name: value
            for name, value in source.items()
            if name.startswith("STRIATUM_") and _setting(name)
        }
    )
    return {name: value for name, value in env.items() if not is_secret(name)}


def _setting(name: str) -> bool:
    return name not in ("STRIATUM_RUN_ID", "STRIATUM_LEASE") and not is_secret(name)


def is_secret(name: str) -> bool:
    """A variable no kept environment holds: a token, a database URL."""
    return name in SECRET_SETTINGS or (name.startswith("STRIATUM_") and "TOKEN" in name)


def save(run_id: str, env: Mapping[str, str]) -> Path:
    """Write the file (0600, in a 0700 folder)."""
    path = paths.supervisor_env_file(run_id)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    atomic.write_private(path, json.dumps(dict(env), sort_keys=True))
    return path


def load(run_id: str) -> dict[str, str] | None:
    """The kept environment, or None when there is none (or it is not ours to trust)."""
    path = paths.supervisor_env_file(run_id)
    try:
        if path.stat().st_mode & 0o077 or path.stat().st_uid != os.getuid():
            return None
        found = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(found, dict):
        return None
    return {str(k): str(v) for k, v in found.items() if not is_secret(str(k))}


def remove(run_id: str) -> None:
    with contextlib.suppress(OSError):
        paths.supervisor_env_file(run_id).unlink()


def kept_runs() -> list[str]:
    """The runs whose environment is kept here."""
    folder = paths.supervisors_dir()
    with contextlib.suppress(OSError):
        return sorted(p.name.removesuffix(".env.json") for p in folder.glob("run_*.env.json"))
    return []
