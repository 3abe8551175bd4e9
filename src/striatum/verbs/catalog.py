"""The index of every verb: each family declares its own beside its handlers.

Doors are generated from this list (CLI commands, RPC methods, MCP tools, HTTP routes and
docs/CLI_REFERENCE.md); handlers load lazily, by name, in the daemon only.
"""

from __future__ import annotations

from striatum.model.verb_spec import Verb
from striatum.verbs import access, corpus, daemon, human, recovery, repos, runs, views, work

FAMILIES = (daemon, access, repos, runs, views, work, human, corpus, recovery)
VERBS: tuple[Verb, ...] = tuple(verb for family in FAMILIES for verb in family.VERBS)
BY_NAME: dict[str, Verb] = {verb.name: verb for verb in VERBS}
