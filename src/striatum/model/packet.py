"""The work packet: what `claim-next` returns, as it travels on the wire (JSON over RPC).

Built by the engine (`engine.packets`), read by the supervisor (`lanes`) and by agents and
operators through the doors. `TypedDict`s, not classes: the shape is the JSON, and mypy checks
every key on both ends. Times are strings, as the envelope writes them (`str(datetime)`).
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict


class PacketJob(TypedDict):
    run_id: str
    job_id: str
    kind: str
    title: str
    lane: str | None
    provider: str | None
    model: str | None
    attempt: int
    max_attempts: int


class PacketLease(TypedDict):
    lease_id: str
    expires_at: str
    ttl_s: int


class UpstreamArtifact(TypedDict):
    """An artifact a dependency's latest attempt published: this job's input."""

    job_id: str
    attempt: int
    path: str
    sha256: str
    artifact_id: str


class Findings(TypedDict):
    path: str
    text: str


class RevisionAsk(TypedDict):
    """One verdict that asked for this revision."""

    verdict_id: str
    review_job_id: str
    value: str
    findings: Findings | None


class Revision(RevisionAsk):
    """The first verdict that asked for the revision, and `all` of them."""

    all: list[RevisionAsk]


class ExpectedArtifact(TypedDict):
    path: str  # where this attempt writes it
    declared: str  # as the workflow declares it
    kind: str
    required: bool


class AttemptCommit(TypedDict):
    attempt: int
    commit: str


class UnderReview(TypedDict):
    """For a review: the job it judges, its commits in this run and their diff."""

    job_id: str
    attempt: int
    model: str | None
    commits: list[AttemptCommit]
    commit: str | None
    diff: str | None


class HumanNote(TypedDict):
    """What the human said resolving a blocker of this job, its author or its reviews."""

    job_id: str
    kind: str
    outcome: str | None
    note: str
    resolved_by: str | None
    resolved_at: str | None


class Commands(TypedDict):
    heartbeat: str
    publish: str
    complete: str
    fail: str
    block: str
    release: str
    verdict: NotRequired[str]  # reviews only


class LaneSpec(TypedDict):
    """A lane as the workflow snapshot holds it (`model.workflow.schema.Lane`, dumped to JSON
    with its defaults); a reader validates it back into that model rather than read keys."""

    provider: str
    command: list[str]
    model: str | None
    timeout_s: int
    max_concurrency: int
    max_attempts: int
    park_backoff_s: int
    max_parks: int
    env: dict[str, str]
    inherit_env: bool
    sandbox: str | None
    allow_hosts: list[str]  # absent from snapshots made before `strict`: read with .get
    budget: LaneBudget | None
    placement: str  # `local` or `workers`; absent from snapshots made before it: read with .get


class LaneBudget(TypedDict):
    """A lane's budget in each run (`model.workflow.schema.Budget`)."""

    usd: float | None
    tokens: int | None
    hard: bool


class WorkPacket(TypedDict):
    """Everything an agent needs for one attempt, and what a supervisor needs to run it."""

    job: PacketJob
    lease: PacketLease
    token: str  # the lease's lane token
    repo: str
    prompt: str
    inputs: list[UpstreamArtifact]
    revision: Revision | None
    expected_artifacts: list[ExpectedArtifact]
    write_scope: list[str]
    forbidden_paths: list[str]
    context_docs: list[str]
    under_review: UnderReview | None
    human_notes: list[HumanNote]
    commands: Commands
    lane_spec: LaneSpec
    workflow_dir: str | None
    artifact_root: str


class Claimed(WorkPacket):
    """`claim-next` when it leased a job: the packet, and who was recorded doing it."""

    claimed: Literal[True]
    worker: dict[str, str | None]


class NotClaimed(TypedDict):
    claimed: Literal[False]
    reason: str
    skipped: NotRequired[list[dict[str, str]]]


Claim = Claimed | NotClaimed
