"""The daemon's own verbs: who answers, who is asking, and whether both chains hold.

The declarations (light: the CLI reads them on every call); the handlers live beside them
and are imported only by the daemon.
"""

from __future__ import annotations

from striatum.model.roles import Capability
from striatum.model.verb_spec import Param, Verb

VERBS: tuple[Verb, ...] = (
    Verb(
        name="daemon.status",
        summary="Show the daemon answering this socket and its database.",
        capability=Capability.READ,
        writes=False,
        handler="striatum.verbs.daemon.info:status",
    ),
    Verb(
        name="daemon.verify",
        summary="Verify both hash chains, the migrations and the "
        "append-only guards, from the daemon.",
        capability=Capability.READ,
        writes=False,
        handler="striatum.verbs.daemon.verify:verify",
        description="Read-only: anchors are compared, not rewritten (`striatum daemon doctor` "
        "also saves them). Long chains take a while: the check runs in one request.",
        params=(
            Param(
                name="deep",
                type="boolean",
                default=False,
                help="Also compare each row's columns with its hashed bytes.",
            ),
        ),
    ),
    Verb(
        name="whoami",
        summary="Show the caller's token, role and capabilities.",
        capability=Capability.READ,
        writes=False,
        handler="striatum.verbs.daemon.info:whoami",
    ),
)
