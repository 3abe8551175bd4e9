"""Adopting a target repository and listing the adopted ones.

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
        "prints the one-time steps only you may take. Running it again changes nothing.",
        params=(
            params.repo(),
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
    ),
)
