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
        long_running=True,
        handler="striatum.verbs.daemon.verify:verify",
        verdict=True,
        description="Read-only: anchors are compared, not written (the daemon anchors the "
        "heads on its own as the chains grow). Long chains take a while: the check runs in "
        "one request. Exits 8 (integrity) when any check fails.",
        params=(
            Param(
                name="deep",
                type="boolean",
                default=False,
                help="Also compare every other column (type, actor, times) with the hashed "
                "bytes; hashes, links and payloads are always checked.",
            ),
        ),
    ),
    Verb(
        name="daemon.accept-anchors",
        summary="Replace what this daemon's home anchored by the database's current heads.",
        capability=Capability.ADMINISTER,
        writes=True,
        handler="striatum.verbs.daemon.anchors:accept",
        description="For a legitimate change that anchors report as a break: a database "
        "restored onto another server, a schema recreated on purpose, an anchors file that no "
        "longer verifies (it is set aside, never deleted). Each repository's anchor ref "
        "starts again from its accepted head. Every chain must hold on its own; the accept "
        "line and this request's audit row record who did it and why.",
        params=(
            Param(
                name="reason",
                type="string",
                required=True,
                help="Why the current heads are right (kept in the anchors file and the audit).",
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
