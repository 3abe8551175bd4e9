"""Every verb, defined once. Doors are generated from this list; handlers load lazily."""

from __future__ import annotations

from striatum.model.roles import Capability
from striatum.model.verb_spec import Param, Verb

VERBS: tuple[Verb, ...] = (
    Verb(
        name="daemon.status",
        summary="Show the daemon answering this socket and its database.",
        capability=Capability.READ,
        writes=False,
        handler="striatum.verbs.daemon_info:status",
    ),
    Verb(
        name="daemon.verify",
        summary="Verify both hash chains, the migrations and the "
        "append-only guards, from the daemon.",
        capability=Capability.READ,
        writes=False,
        handler="striatum.verbs.verify:verify",
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
        handler="striatum.verbs.daemon_info:whoami",
    ),
    Verb(
        name="token.create",
        summary="Create a token for a role; its secret is shown once.",
        capability=Capability.ADMINISTER,
        writes=True,
        handler="striatum.verbs.tokens:create",
        params=(
            Param(
                name="role",
                type="string",
                required=True,
                choices=("principal", "operator", "reader"),
                help="Role of the new token (lane tokens are minted per lease).",
            ),
            Param(
                name="label",
                type="string",
                default="",
                max_length=200,
                help="A note saying who or what the token is for.",
            ),
            Param(
                name="expires",
                type="string",
                max_length=64,
                help="Expiry: a duration (30m, 12h, 7d, 2w) or an ISO timestamp.",
            ),
        ),
    ),
    Verb(
        name="token.list",
        summary="List tokens (never their secrets).",
        capability=Capability.ADMINISTER,
        writes=False,
        handler="striatum.verbs.tokens:list_",
        params=(
            Param(
                name="all",
                type="boolean",
                default=False,
                help="Include revoked and expired tokens.",
            ),
        ),
    ),
    Verb(
        name="token.revoke",
        summary="Revoke a token; it is refused from then on.",
        capability=Capability.ADMINISTER,
        writes=True,
        handler="striatum.verbs.tokens:revoke",
        params=(
            Param(
                name="token_id",
                type="string",
                required=True,
                positional=True,
                max_length=64,
                help="The token's id (tok_...).",
            ),
        ),
    ),
    Verb(
        name="audit.list",
        summary="Show the latest audit rows: every request, allowed or denied.",
        capability=Capability.ADMINISTER,
        writes=False,
        handler="striatum.verbs.audit:list_",
        params=(
            Param(
                name="limit",
                type="integer",
                default=20,
                help="How many of the latest rows to show (at most 1000).",
            ),
        ),
    ),
)


def _repo() -> Param:
    return Param(
        name="repo",
        type="string",
        path=True,
        max_length=1000,
        help="Target repository (default: --repo, else the git root of the cwd).",
    )


def _run_id(required: bool = True) -> Param:
    return Param(
        name="run_id", type="string", required=required, max_length=64, help="The run (run_...)."
    )


def _lease() -> Param:
    return Param(
        name="lease",
        type="string",
        required=True,
        max_length=64,
        help="The lease (lease_...) from claim-next.",
    )


def _ttl() -> Param:
    return Param(
        name="ttl_s",
        type="integer",
        help="Lease lifetime in seconds from now (default 120, at most 3600).",
    )


D, R, W, X = Capability.DRIVE, Capability.READ, Capability.WORK, Capability.DECIDE
ENGINE: tuple[Verb, ...] = (
    Verb(
        name="adopt",
        summary="Register the target repository; ignore .striatum/ in git.",
        capability=D,
        writes=True,
        handler="striatum.verbs.repos:adopt",
        description="With --profile, also installs the agent's skills into the repository "
        "(striatum skills install --project) and registers `striatum mcp serve` in that "
        "agent's project config files, with what it needs to call the tools headless; "
        "prints the one-time steps only you may take. Running it again changes nothing.",
        params=(
            _repo(),
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
        capability=R,
        writes=False,
        handler="striatum.verbs.repos:list_",
    ),
    Verb(
        name="run.prepare",
        summary="Validate a workflow, snapshot it, create a run.",
        capability=D,
        writes=True,
        handler="striatum.verbs.runs:prepare",
        params=(
            Param(
                name="workflow",
                type="string",
                required=True,
                path=True,
                max_length=1000,
                help="The workflow.json file.",
            ),
            _repo(),
        ),
        description="Warns when a lane's agent CLI is not on this machine's PATH or does not "
        "answer `--version`.",
        after="striatum.cli.agent_checks:warn_on_prepare",
    ),
    Verb(
        name="run.start",
        summary="Start a prepared run; a supervisor runs its agents unless --no-supervise.",
        capability=D,
        writes=True,
        handler="striatum.verbs.runs:start",
        params=(
            _run_id(),
            Param(
                name="no_supervise",
                type="boolean",
                local=True,
                help="Drive the run yourself (claim-next); start no supervisor.",
            ),
        ),
        description="Unless --no-supervise, refuses (agent_unavailable, exit 18) while a "
        "lane's agent CLI is not on PATH or does not answer `--version`; the run stays "
        "prepared.",
        before="striatum.cli.agent_checks:refuse_on_start",
        after="striatum.cli.after:start_supervisor",
    ),
    Verb(
        name="run.land",
        summary="Merge a succeeded run's branch (striatum/RUN) into the "
        "repository's checked-out branch.",
        capability=X,
        writes=True,
        handler="striatum.verbs.landing:land",
        params=(_run_id(),),
    ),
    Verb(
        name="run.pause",
        summary="Pause a run: nothing new is claimed.",
        capability=D,
        writes=True,
        handler="striatum.verbs.runs:pause",
        params=(_run_id(),),
    ),
    Verb(
        name="run.resume",
        summary="Resume a paused run.",
        capability=D,
        writes=True,
        handler="striatum.verbs.runs:resume",
        params=(_run_id(),),
    ),
    Verb(
        name="run.cancel",
        summary="Cancel a run, its leased jobs included.",
        capability=D,
        writes=True,
        handler="striatum.verbs.runs:cancel",
        params=(
            _run_id(),
            Param(
                name="reason", type="string", max_length=500, help="Why (recorded in the event)."
            ),
        ),
    ),
    Verb(
        name="status",
        summary="A run's jobs, leases, blockers and next actions (or all active runs).",
        capability=R,
        writes=False,
        handler="striatum.verbs.views:status",
        params=(_run_id(required=False),),
    ),
    Verb(
        name="why",
        summary="The event history of a run, job, artifact, lease, verdict or blocker.",
        capability=R,
        writes=False,
        handler="striatum.verbs.views:why",
        params=(
            Param(
                name="id",
                type="string",
                required=True,
                positional=True,
                max_length=64,
                help="run_..., lease_..., art_..., vrd_..., blk_..., or a job id with --run-id.",
            ),
            _run_id(required=False),
        ),
    ),
    Verb(
        name="list.runs",
        summary="List runs, newest first.",
        capability=R,
        writes=False,
        handler="striatum.verbs.views:list_runs",
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
        name="list.jobs",
        summary="List a run's jobs.",
        capability=R,
        writes=False,
        handler="striatum.verbs.views:list_jobs",
        params=(_run_id(),),
    ),
    Verb(
        name="list.artifacts",
        summary="List a run's artifacts with their SHA-256.",
        capability=R,
        writes=False,
        handler="striatum.verbs.views:list_artifacts",
        params=(_run_id(),),
    ),
    Verb(
        name="list.sessions",
        summary="List sessions.",
        capability=R,
        writes=False,
        handler="striatum.verbs.views:list_sessions",
    ),
    Verb(
        name="list.verdicts",
        summary="List a run's verdicts with reviewer and author provenance.",
        capability=R,
        writes=False,
        handler="striatum.verbs.views:list_verdicts",
        params=(_run_id(),),
    ),
    Verb(
        name="register-session",
        summary="Open a session that claims work.",
        capability=D,
        writes=True,
        handler="striatum.verbs.work:register_session",
        params=(
            Param(
                name="role",
                type="string",
                required=True,
                choices=("operator", "lane"),
                help="Who works in this session.",
            ),
            Param(name="lane", type="string", max_length=64, help="Only claim jobs of this lane."),
            _repo(),
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
        capability=D,
        writes=True,
        handler="striatum.verbs.work:close_session",
        params=(
            Param(
                name="session",
                type="string",
                required=True,
                max_length=64,
                help="The session (ses_...).",
            ),
        ),
    ),
    Verb(
        name="claim-next",
        summary="Lease the next ready job; returns its work packet.",
        capability=D,
        writes=True,
        handler="striatum.verbs.work:claim_next",
        params=(
            Param(
                name="session",
                type="string",
                required=True,
                max_length=64,
                help="Your session (ses_...).",
            ),
            Param(name="lane", type="string", max_length=64, help="Only this lane."),
            _run_id(required=False),
            Param(
                name="job",
                type="string",
                max_length=64,
                help="Only this ready job (with --run-id).",
            ),
            _ttl(),
        ),
    ),
    Verb(
        name="heartbeat",
        summary="Keep a lease alive.",
        capability=W,
        writes=True,
        handler="striatum.verbs.work:heartbeat",
        params=(_lease(), _ttl()),
    ),
    Verb(
        name="release",
        summary="Give a leased job back (it becomes ready again).",
        capability=W,
        writes=True,
        handler="striatum.verbs.work:release",
        params=(_lease(),),
    ),
    Verb(
        name="lease.transfer",
        summary="Hand a live lease to another session, same attempt.",
        capability=D,
        writes=True,
        handler="striatum.verbs.work:transfer",
        params=(
            _lease(),
            Param(
                name="session",
                type="string",
                required=True,
                max_length=64,
                help="The session taking over.",
            ),
            _ttl(),
        ),
    ),
    Verb(
        name="publish-artifact",
        summary="Record a file of the repository as this attempt's output.",
        capability=W,
        writes=True,
        handler="striatum.verbs.results:publish_artifact",
        params=(
            _lease(),
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
        capability=W,
        writes=True,
        handler="striatum.verbs.results:complete",
        params=(
            _lease(),
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
        ),
    ),
    Verb(
        name="fail",
        summary="Fail a leased job's attempt (retried up to the lane's max).",
        capability=W,
        writes=True,
        handler="striatum.verbs.work:fail",
        params=(
            _lease(),
            Param(
                name="reason",
                type="string",
                required=True,
                max_length=2000,
                help="What went wrong.",
            ),
            Param(
                name="permanent",
                type="boolean",
                help="Another attempt would fail the same way (the agent cannot "
                "start): fail the job at once and escalate, without retrying.",
            ),
        ),
    ),
    Verb(
        name="verdict",
        summary="Give a review's verdict; it takes effect on complete.",
        capability=W,
        writes=True,
        handler="striatum.verbs.results:verdict",
        params=(
            _lease(),
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
        capability=X,
        writes=True,
        handler="striatum.verbs.results:override_verdict",
        params=(
            _run_id(),
            Param(name="job", type="string", required=True, max_length=64, help="The review job."),
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
    Verb(
        name="block",
        summary="Stop and ask the human (an escalation).",
        capability=W,
        writes=True,
        handler="striatum.verbs.human:block",
        params=(
            _lease(),
            Param(
                name="reason",
                type="string",
                required=True,
                max_length=2000,
                help="What the human must decide.",
            ),
        ),
    ),
    Verb(
        name="escalation.list",
        summary="List escalations.",
        capability=R,
        writes=False,
        handler="striatum.verbs.human:list_",
        params=(
            _run_id(required=False),
            Param(name="all", type="boolean", default=False, help="Include resolved ones."),
        ),
    ),
    Verb(
        name="escalation.show",
        summary="Show an escalation, its history and its outcomes.",
        capability=R,
        writes=False,
        handler="striatum.verbs.human:show",
        params=(
            Param(
                name="blocker",
                type="string",
                required=True,
                positional=True,
                max_length=64,
                help="The blocker (blk_...).",
            ),
        ),
    ),
    Verb(
        name="escalation.resolve",
        summary="Resolve an escalation.",
        capability=X,
        writes=True,
        handler="striatum.verbs.human:resolve",
        params=(
            Param(
                name="blocker",
                type="string",
                required=True,
                max_length=64,
                help="The blocker (blk_...).",
            ),
            Param(
                name="outcome",
                type="string",
                required=True,
                choices=("retry", "fail", "accept", "revise"),
                help="retry|fail for blocked jobs; accept|revise|fail for gates.",
            ),
            Param(name="note", type="string", max_length=2000, help="Why."),
        ),
    ),
    Verb(
        name="checkpoint.decide",
        summary="Decide a checkpoint (the human only).",
        capability=X,
        writes=True,
        handler="striatum.verbs.human:decide_checkpoint",
        params=(
            Param(
                name="blocker",
                type="string",
                required=True,
                max_length=64,
                help="The checkpoint's blocker (blk_...).",
            ),
            Param(
                name="choice",
                type="string",
                required=True,
                max_length=64,
                help="One of the checkpoint's choices.",
            ),
            Param(name="note", type="string", max_length=2000, help="Why."),
        ),
    ),
    Verb(
        name="inbox",
        summary="What waits for the human.",
        capability=R,
        writes=False,
        handler="striatum.verbs.views:inbox",
    ),
    Verb(
        name="corpus.export",
        summary="Write a redacted, verifiable bundle of a run (or of the repository's runs).",
        capability=Capability.ADMINISTER,
        writes=True,
        handler="striatum.verbs.corpus:export",
        params=(
            _run_id(required=False),
            _repo(),
            Param(
                name="out",
                type="string",
                required=True,
                path=True,
                max_length=1000,
                help="A new (or empty) directory for the bundle.",
            ),
            Param(
                name="include_content",
                type="boolean",
                default=False,
                help="Also export artifact contents, prompts and agent logs (redacted).",
            ),
        ),
    ),
    Verb(
        name="recovery.list",
        summary="Expired leases, failed jobs, stuck runs, open escalations.",
        capability=R,
        writes=False,
        handler="striatum.verbs.recovery:list_",
        params=(_run_id(required=False),),
    ),
    Verb(
        name="recovery.requeue",
        summary="Put a failed job back to ready.",
        capability=D,
        writes=True,
        handler="striatum.verbs.recovery:requeue",
        params=(
            _run_id(),
            Param(name="job", type="string", required=True, max_length=64, help="The failed job."),
        ),
    ),
    Verb(
        name="recovery.sweep",
        summary="Expire silent leases now (the daemon also does this every few seconds).",
        capability=D,
        writes=True,
        handler="striatum.verbs.recovery:sweep",
        params=(
            Param(name="limit", type="integer", default=100, help="At most this many leases."),
        ),
    ),
)

WEB: tuple[Verb, ...] = (
    Verb(
        name="run.graph",
        summary="A run's job graph: nodes with state and lane, dependency "
        "edges, revision routes, checkpoint branches.",
        capability=R,
        writes=False,
        handler="striatum.verbs.inspect:run_graph",
        params=(_run_id(),),
    ),
    Verb(
        name="job.show",
        summary="One job: attempts, leases and heartbeat age, its prompt, "
        "log tails, artifacts, verdicts, blockers, events.",
        capability=R,
        writes=False,
        handler="striatum.verbs.inspect:job_show",
        params=(
            _run_id(),
            Param(name="job", type="string", required=True, max_length=64, help="The job."),
        ),
    ),
    Verb(
        name="artifact.show",
        summary="An artifact's record, its text (if the file still has "
        "its recorded SHA-256) and the event that recorded it.",
        capability=R,
        writes=False,
        handler="striatum.verbs.inspect:artifact_show",
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
        capability=R,
        writes=False,
        handler="striatum.verbs.live:wait",
        description="With --run-id, --after-seq is a seq of the run's repository chain and "
        "the answer lists the run's newer events; without, it is the answer's last_seq (the "
        "count of all repository events) and only that is reported. The daemon waits on "
        "LISTEN/NOTIFY holding no database connection.",
        params=(
            _run_id(required=False),
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
    Verb(
        name="job.cancel",
        summary="Cancel one job of a running run (its jobs downstream are cancelled too).",
        capability=D,
        writes=True,
        handler="striatum.verbs.jobs:cancel",
        params=(
            _run_id(),
            Param(name="job", type="string", required=True, max_length=64, help="The job."),
            Param(
                name="reason", type="string", max_length=500, help="Why (recorded in the event)."
            ),
        ),
    ),
)

VERBS = VERBS + ENGINE + WEB
BY_NAME: dict[str, Verb] = {verb.name: verb for verb in VERBS}
