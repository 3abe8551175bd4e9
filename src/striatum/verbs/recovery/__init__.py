"""Finding and repairing what went wrong: expired leases, failed jobs, stuck runs.

The declarations (light: the CLI reads them on every call); the handlers live beside them
and are imported only by the daemon.
"""

from __future__ import annotations

from striatum.model.roles import Capability
from striatum.model.verb_spec import Param, Verb
from striatum.verbs import params

VERBS: tuple[Verb, ...] = (
    Verb(
        name="recovery.list",
        summary="Expired leases, failed jobs, stuck runs, runs whose supervisor is gone, "
        "open escalations.",
        capability=Capability.READ,
        writes=False,
        handler="striatum.verbs.recovery.repairs:list_",
        params=(params.run_id(required=False),),
    ),
    Verb(
        name="recovery.requeue",
        summary="Alias of `run retry --from JOB`: revive a failed or cancelled run from a job.",
        capability=Capability.DECIDE,
        writes=True,
        handler="striatum.verbs.recovery.repairs:requeue",
        params=(
            params.run_id(),
            params.job("The job to retry from."),
        ),
        description="Kept for scripts. A job of a running run that waits for the human is "
        "answered with `escalation resolve --outcome retry`.",
        after="striatum.cli.after:start_supervisor",
    ),
    Verb(
        name="recovery.sweep",
        summary="Expire silent leases now (the daemon also does this every few seconds).",
        capability=Capability.DRIVE,
        writes=True,
        handler="striatum.verbs.recovery.repairs:sweep",
        params=(
            Param(name="limit", type="integer", default=100, help="At most this many leases."),
        ),
    ),
)
