"""Read-only views of runs, jobs, artifacts, sessions and verdicts, and the live feed.

The declarations (light: the CLI reads them on every call); the handlers live beside them
and are imported only by the daemon.
"""

from __future__ import annotations

from striatum.model.roles import Capability
from striatum.model.verb_spec import Param, Verb
from striatum.verbs import params

VERBS: tuple[Verb, ...] = (
    Verb(
        name="status",
        summary="A run's jobs, leases, blockers and next actions (or all active runs).",
        capability=Capability.READ,
        writes=False,
        handler="striatum.verbs.views.summaries:status",
        params=(
            params.run_id(required=False),
            Param(
                name="jobs",
                type="string",
                default="all",
                choices=("all", "moving"),
                help="all: every job of the run; moving: only its ready and leased jobs "
                "(what a supervisor claims and watches, read without the others).",
            ),
        ),
    ),
    Verb(
        name="why",
        summary="The event history of a run, job, artifact, lease, verdict or blocker.",
        capability=Capability.READ,
        writes=False,
        handler="striatum.verbs.views.summaries:why",
        # The run first: `why RUN JOB` reads as said, and `why ID` fills the required id.
        params=(
            params.run_id(required=False),
            Param(
                name="id",
                type="string",
                required=True,
                positional=True,
                max_length=64,
                help="run_..., lease_..., art_..., vrd_..., blk_..., or a job id after its run.",
            ),
        ),
    ),
    Verb(
        name="list.runs",
        summary="List runs, newest first.",
        capability=Capability.READ,
        writes=False,
        long_running=True,
        handler="striatum.verbs.views.summaries:list_runs",
        params=(
            Param(
                name="state",
                type="string",
                choices=("prepared", "running", "paused", "succeeded", "failed", "cancelled"),
                help="Only runs in this state.",
            ),
            Param(name="limit", type="integer", default=50, help="At most this many."),
        ),
    ),
    Verb(
        name="run.latest",
        summary="The newest run of the repository (what `latest` means as a run id).",
        capability=Capability.READ,
        writes=False,
        handler="striatum.verbs.views.latest:latest_run",
        params=(params.repo(),),
    ),
    Verb(
        name="list.jobs",
        summary="List a run's jobs.",
        capability=Capability.READ,
        writes=False,
        long_running=True,
        handler="striatum.verbs.views.summaries:list_jobs",
        params=(params.run_id(),),
    ),
    Verb(
        name="list.artifacts",
        summary="List a run's artifacts with their SHA-256.",
        capability=Capability.READ,
        writes=False,
        long_running=True,
        handler="striatum.verbs.views.summaries:list_artifacts",
        params=(params.run_id(),),
    ),
    Verb(
        name="list.sessions",
        summary="List sessions.",
        capability=Capability.READ,
        writes=False,
        long_running=True,
        handler="striatum.verbs.views.summaries:list_sessions",
    ),
    Verb(
        name="list.verdicts",
        summary="List a run's verdicts with reviewer and author provenance.",
        capability=Capability.READ,
        writes=False,
        long_running=True,
        handler="striatum.verbs.views.summaries:list_verdicts",
        params=(params.run_id(),),
    ),
    Verb(
        name="inbox",
        summary="What waits for the human.",
        capability=Capability.READ,
        writes=False,
        handler="striatum.verbs.views.summaries:inbox",
    ),
    Verb(
        name="run.graph",
        summary="A run's job graph: nodes with state and lane, dependency "
        "edges, revision routes, checkpoint branches.",
        capability=Capability.READ,
        writes=False,
        long_running=True,
        handler="striatum.verbs.views.inspect:run_graph",
        params=(params.run_id(),),
    ),
    Verb(
        name="job.show",
        summary="One job: attempts, leases and heartbeat age, its prompt, "
        "log tails, artifacts, verdicts, blockers, events.",
        capability=Capability.READ,
        writes=False,
        handler="striatum.verbs.views.inspect:job_show",
        params=(
            params.run_id(),
            params.job(),
        ),
    ),
    Verb(
        name="artifact.show",
        summary="An artifact's record, its text (if the file still has "
        "its recorded SHA-256) and the event that recorded it.",
        capability=Capability.READ,
        writes=False,
        handler="striatum.verbs.views.inspect:artifact_show",
        params=(
            Param(
                name="artifact",
                type="string",
                required=True,
                positional=True,
                max_length=64,
                help="The artifact (art_...).",
            ),
        ),
    ),
    Verb(
        name="events.wait",
        summary="Wait (at most --timeout-s) for events after a cursor; live views long-poll it.",
        capability=Capability.READ,
        writes=False,
        handler="striatum.verbs.views.live:wait",
        description="With --run-id, --after-seq is a seq of the run's repository chain and "
        "the answer lists the run's newer events; without, it is the answer's last_seq (the "
        "count of all repository events) and only that is reported. The daemon waits on "
        "LISTEN/NOTIFY holding no database connection.",
        params=(
            params.run_id(required=False),
            Param(
                name="after_seq",
                type="integer",
                default=0,
                help="Answer with what came after this cursor.",
            ),
            Param(
                name="timeout_s",
                type="integer",
                default=25,
                help="Longest wait in seconds (1..30).",
            ),
        ),
    ),
)
