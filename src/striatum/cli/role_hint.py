"""A refusal for the wrong role names the command that would work: the same line with
`--as ROLE`, when this user can read that role's host token file (SPEC §10: host tokens are
0600 files of the daemon's user). Nothing is suggested to an agent, which may not switch."""

from __future__ import annotations

import os
import shlex

from striatum import errors, paths
from striatum.model import roles

HOST_ROLES = ("operator", "principal")  # least authority first: suggest the smallest that works


def add_hint(error: errors.StriatumError, argv: list[str]) -> None:
    """Give a permission refusal the corrected command as its hint (kept after any hint)."""
    if not isinstance(error, errors.PermissionDenied) or paths.setting("STRIATUM_LEASE"):
        return
    role = usable_role(error.details.get("capability"), error.details.get("role"), argv)
    if role is None:
        return
    hint = f"run it as the {role}: {corrected_command(argv, role)}"
    error.hint = f"{error.hint}; {hint}" if error.hint else hint


def usable_role(capability: object, caller: object, argv: list[str]) -> str | None:
    """The least host role holding `capability` that is not the caller's and whose token
    file this user can read."""
    if capability not in set(roles.Capability):
        return None
    needed = roles.Capability(str(capability))
    tried = caller if caller is not None else _role_given(argv)
    for role in HOST_ROLES:
        if role == tried or not roles.allows(roles.Role(role), needed):
            continue
        if os.access(paths.token_file(role), os.R_OK):
            return role
    return None


def corrected_command(argv: list[str], role: str) -> str:
    """`argv` as a `striatum` command line, its --as replaced by `--as ROLE` at the end."""
    kept: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--as":
            skip = True
        elif not arg.startswith("--as="):
            kept.append(arg)
    return shlex.join(["striatum", *kept, "--as", role])


def _role_given(argv: list[str]) -> str | None:
    for index, arg in enumerate(argv):
        if arg == "--as" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--as="):
            return arg.partition("=")[2]
    return None if os.environ.get("STRIATUM_TOKEN") else "operator"
