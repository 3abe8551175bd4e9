"""Doing a job: sessions, claims, leases, artifacts, completion and verdicts.

The declarations (light: the CLI reads them on every call); the handlers live beside them
and are imported only by the daemon.
"""

from __future__ import annotations

from striatum.model.roles import Capability
from striatum.model.verb_spec import Param, Verb
from striatum.verbs import params

# What an attempt used, carried by the verbs that end it (SPEC §9, usage).
USAGE = Param(
    name="usage",
    type="string",
    max_length=2000,
    help="What the attempt used, as a JSON object with any of input_tokens, cached_tokens, "
    "output_tokens, cost_usd, cost_source, model (supervisors pass what the agent's CLI "
    "reported); recorded as an attempt.usage event.",
)

VERBS: tuple[Verb, ...] = (
    Verb(
        name="register-session",
        summary="Open a session that claims work.",
        capability=Capability.DRIVE,
        writes=True,
        handler="striatum.verbs.work.sessions:register_session",
        params=(
            Param(
                name="role",
                type="string",
                required=True,
                choices=("operator", "lane"),
                help="Who works in this session.",
            ),
            Param(name="lane", type="string", max_length=64, help="Only claim jobs of this lane."),
            params.repo(),
            Param(
                name="provider",
                type="string",
                choices=("claude_code", "codex", "gemini", "command", "human"),
                help="The provider you are (an AI operator names its own CLI): "
                "recorded on each attempt you claim, and no review of work your "
                "provider did is handed to you. Without it, each claim is taken to "
                "be done by the job's lane provider.",
            ),
            Param(
                name="model",
                type="string",
                max_length=200,
                help="Your model label (required with --provider command).",
            ),
        ),
    ),
    Verb(
        name="session.close",
        summary="Close a session.",
        capability=Capability.DRIVE,
        writes=True,
        handler="striatum.verbs.work.sessions:close_session",
        params=(
            Param(
                name="session",
                type="string",
                required=True,
                positional=True,
                max_length=64,
                help="The session (ses_...).",
            ),
        ),
    ),
    Verb(
        name="claim-next",
        summary="Lease the next ready job; returns its work packet.",
        capability=Capability.DRIVE,
        writes=True,
        handler="striatum.verbs.work.sessions:claim_next",
        description="A job whose write scope (outside the artifact root) overlaps that of a "
        "job of the run holding a live lease is not leased: asked for by --job, the claim is "
        "refused (conflict); otherwise it is passed over for the next ready job, and the "
        "answer's reason says which jobs wait for which.",
        params=(
            Param(
                name="session",
                type="string",
                required=True,
                max_length=64,
                help="Your session (ses_...).",
            ),
            Param(name="lane", type="string", max_length=64, help="Only this lane."),
            params.run_id(required=False, subject=False),
            Param(
                name="job",
                type="string",
                max_length=64,
                help="Only this ready job (with --run-id).",
            ),
            params.ttl(),
        ),
    ),
    Verb(
        name="heartbeat",
        summary="Keep a lease alive.",
        capability=Capability.WORK,
        writes=True,
        handler="striatum.verbs.work.sessions:heartbeat",
        params=(params.lease(), params.ttl()),
    ),
    Verb(
        name="park",
        summary="End an attempt stopped by a rate or usage limit; the job waits, uncounted.",
        capability=Capability.WORK,
        writes=True,
        handler="striatum.verbs.work.parking:park",
        params=(
            params.lease(),
            params.reason("The limit, as the provider said it."),
            Param(
                name="until",
                type="string",
                max_length=64,
                help="When the limit lifts (ISO 8601 with its zone); claims skip the job until "
                "then.",
            ),
            Param(
                name="after_s",
                type="integer",
                help="Or: how many seconds to wait (default: the lane's park_backoff_s).",
            ),
            USAGE,
        ),
    ),
    Verb(
        name="report-usage",
        summary="Record what a leased attempt used so far (tokens, dollars).",
        capability=Capability.WORK,
        writes=True,
        handler="striatum.verbs.work.usage:report_usage",
        params=(
            params.lease(),
            Param(
                name="input_tokens",
                type="integer",
                help="Input tokens not read from a cache (a cache write counts here).",
            ),
            Param(name="cached_tokens", type="integer", help="Input tokens read from a cache."),
            Param(
                name="output_tokens",
                type="integer",
                help="Tokens the model produced, reasoning included.",
            ),
            Param(
                name="cost_usd",
                type="string",
                max_length=32,
                help="What it cost in US dollars, e.g. 0.042 (as the provider reported it).",
            ),
            Param(name="model", type="string", max_length=200, help="The model that answered."),
        ),
    ),
    Verb(
        name="release",
        summary="Give a leased job back (it becomes ready again).",
        capability=Capability.WORK,
        writes=True,
        handler="striatum.verbs.work.sessions:release",
        params=(params.lease(),),
    ),
    Verb(
        name="lease.transfer",
        summary="Hand a live lease to another session, same attempt.",
        capability=Capability.DRIVE,
        writes=True,
        handler="striatum.verbs.work.sessions:transfer",
        params=(
            params.lease(),
            Param(
                name="session",
                type="string",
                required=True,
                max_length=64,
                help="The session taking over.",
            ),
            params.ttl(),
        ),
    ),
    Verb(
        name="publish-artifact",
        summary="Record a file of the repository as this attempt's output.",
        capability=Capability.WORK,
        writes=True,
        handler="striatum.verbs.work.results:publish_artifact",
        params=(
            params.lease(),
            Param(
                name="path",
                type="string",
                required=True,
                max_length=500,
                help="Path relative to the repository.",
            ),
            Param(
                name="kind",
                type="string",
                default="output",
                max_length=32,
                help="What it is (output, findings, ledger...).",
            ),
        ),
    ),
    Verb(
        name="complete",
        summary="Finish a leased job (refused while required artifacts are missing).",
        capability=Capability.WORK,
        writes=True,
        handler="striatum.verbs.work.results:complete",
        params=(
            params.lease(),
            Param(
                name="commit",
                type="string",
                max_length=64,
                help="The commit holding the job's changes (supervisors "
                "record it in the job.succeeded event).",
            ),
            Param(
                name="model",
                type="string",
                max_length=200,
                help="The model the agent's CLI reported using (recorded on the "
                "attempt and in the verdict's provenance).",
            ),
            USAGE,
            Param(
                name="then_claim",
                type="boolean",
                default=False,
                help="Then claim the run's next ready job for the lease's session, in the "
                "same request; its packet is the answer's `next` (needs the right to claim).",
            ),
            Param(
                name="then_lane",
                type="string",
                max_length=64,
                help="With --then-claim: only a job of this lane.",
            ),
        ),
    ),
    Verb(
        name="fail",
        summary="Fail a leased job's attempt (retried up to the lane's max).",
        capability=Capability.WORK,
        writes=True,
        handler="striatum.verbs.work.sessions:fail",
        params=(
            params.lease(),
            params.reason("What went wrong."),
            Param(
                name="permanent",
                type="boolean",
                help="Another attempt would fail the same way (the agent cannot "
                "start): fail the job at once and escalate, without retrying.",
            ),
            USAGE,
        ),
    ),
    Verb(
        name="verdict",
        summary="Give a review's verdict; it takes effect on complete.",
        capability=Capability.WORK,
        writes=True,
        handler="striatum.verbs.work.results:verdict",
        params=(
            params.lease(),
            Param(
                name="value",
                type="string",
                required=True,
                choices=("accept", "needs_revision", "reject"),
                help="The verdict.",
            ),
            Param(
                name="findings",
                type="string",
                max_length=500,
                help="The findings file (relative to the repository).",
            ),
        ),
    ),
    Verb(
        name="override-verdict",
        summary="Decide a gate that waits for the human.",
        capability=Capability.DECIDE,
        writes=True,
        handler="striatum.verbs.work.results:override_verdict",
        params=(
            params.run_id(),
            params.job("The review job."),
            Param(
                name="value",
                type="string",
                required=True,
                choices=("accept", "needs_revision", "reject"),
                help="The verdict.",
            ),
            Param(
                name="reason", type="string", required=True, max_length=2000, help="Why (recorded)."
            ),
        ),
    ),
)
