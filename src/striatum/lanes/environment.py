"""The environment an agent process gets.

Not the supervisor's whole environment: a minimal base (PATH, HOME, locale, terminal,
temporary directory), the variables its profile says its CLI needs (so one lane never sees
another provider's key), the profile's fail-fast defaults, the lane's own `env` (with `${VAR}`
references filled from the supervisor's environment), this installation's `striatum` first on
PATH (own_cli), and the lease's `STRIATUM_*` variables, which nothing overrides.
`inherit_env: true` on a lane starts from everything instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from striatum import errors
from striatum.lanes import own_cli
from striatum.lanes.profiles import PROFILES
from striatum.model.packet import LaneSpec
from striatum.model.workflow import lane_env

BASE = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "TERM",
    "TMPDIR",
    "TZ",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
    "XDG_RUNTIME_DIR",
)
BASE_PREFIXES = ("LC_",)


def build(
    lane: LaneSpec,
    lease_vars: Mapping[str, str],
    source: Mapping[str, str],
    scratch: Path,
    *,
    own_cli_in: Path | None = None,
) -> dict[str, str]:
    """The agent's environment; refuses (ValidationError) a `${VAR}` the source lacks.
    `own_cli_in`: the folder whose `bin` holds the link to `striatum` (default `scratch`; a
    supervisor names its run's folder, so the link is made once per run, not per attempt)."""
    profile = PROFILES.get(lane["provider"])
    needs = profile.needs_env if profile else ()
    if lane["inherit_env"]:
        env = {k: v for k, v in source.items() if not k.startswith("STRIATUM_")}
    else:
        env = {k: v for k, v in source.items() if wanted(k, needs)}
    if profile:
        for name, value in profile.fail_fast_env.items():
            env.setdefault(name, value)
    declared, missing = lane_env.resolve(lane["env"], source)
    if missing:
        raise errors.ValidationError(
            "the lane's env refers to variables the supervisor does not have: "
            + ", ".join(missing),
            hint="export them before `striatum run start`, or give literal values in the workflow",
            missing=missing,
        )
    env.update(declared)
    own = own_cli.link_folder(own_cli_in or scratch)
    if own is not None:
        env["PATH"] = own_cli.first_on(env.get("PATH"), own)
    if profile and profile.defaults_file and profile.defaults_file[0] not in env:
        variable, settings = profile.defaults_file
        path = scratch / f"{profile.name}-defaults.json"
        path.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
        env[variable] = str(path)
    env.update(lease_vars)  # the only STRIATUM_* an agent sees: never a database URL
    return env


def wanted(name: str, needs: tuple[str, ...]) -> bool:
    """Whether an agent gets `name`: the minimal base, or a variable its profile needs."""
    if name.startswith("STRIATUM_"):
        return False
    if name in BASE or name.startswith(BASE_PREFIXES):
        return True
    return any(name == need or (need.endswith("_") and name.startswith(need)) for need in needs)
