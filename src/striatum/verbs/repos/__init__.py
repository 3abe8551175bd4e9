"""Adopting a target repository, listing the adopted ones, removing one.

The declarations (light: the CLI reads them on every call); the handlers live beside them
and are imported only by the daemon.
"""

from __future__ import annotations

from striatum.model.roles import Capability
from striatum.model.verb_spec import Param, Verb
from striatum.verbs import params

VERBS: tuple[Verb, ...] = (
    Verb(
        name="adopt",
        summary="Register the target repository; ignore .striatum/ in git.",
        capability=Capability.DRIVE,
        writes=True,
        handler="striatum.verbs.repos.adoption:adopt",
        description="With --profile, also installs the agent's skills into the repository "
        "(striatum skills install --project) and registers `striatum mcp serve` in that "
        "agent's project config files, with what it needs to call the tools headless; "
        "prints the one-time steps only you may take. Running it again changes nothing. "
        "A repository has one id for all its clones: on another host sharing the "
        "database, `adopt --join auto` in a clone makes it a checkout of the same repository "
        "(same chain, same runs); see docs/MULTI_HOST.md.",
        params=(
            params.repo(),
            Param(
                name="join",
                type="string",
                max_length=200,
                help="Join a repository adopted on another host: its id (`repo list` "
                "there), or `auto` for the one whose first commit this clone shares.",
            ),
            Param(
                name="notify",
                type="string",
                max_length=1000,
                help="Command run (sh -c, JSON on stdin) when something waits "
                "for the human or a run ends; empty to clear.",
            ),
            Param(
                name="profile",
                type="string",
                local=True,
                choices=("claude_code", "codex", "gemini", "all"),
                help="Set the repository up for this agent: skills and MCP server.",
            ),
        ),
        after="striatum.cli.after:adopt_profile",
    ),
    Verb(
        name="repo.list",
        summary="List adopted repositories.",
        capability=Capability.READ,
        writes=False,
        handler="striatum.verbs.repos.adoption:list_",
        params=(
            Param(
                name="all",
                type="boolean",
                help="Include removed repositories (their removed_at is set).",
            ),
        ),
    ),
    Verb(
        name="repo.remove",
        summary="Unregister a repository; its chain, runs and artifacts are kept.",
        capability=Capability.DECIDE,
        writes=True,
        handler="striatum.verbs.repos.removal:remove",
        params=(
            Param(
                name="repo",
                type="string",
                positional=True,
                path=True,
                max_length=1000,
                help="The repository (default: --repo, else the git root of the cwd).",
            ),
        ),
        description="Refuses (conflict) while the repository has a run that has not ended. "
        "Nothing is deleted: `repo list` hides it (`--all` shows it), new runs refuse "
        "it, and `adopt` brings it back with the same chain (event `repo.removed`, then "
        "`repo.adopted` with `again: true`). Files on disk are untouched (`run clean` "
        "removes runs' leftovers, before or after).",
    ),
)
