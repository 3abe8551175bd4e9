"""Pydantic models of workflow.json, schema_version `striatum.workflow.v1`.

These give the shape (types, required fields, allowed values); the cross-field rules
(references, cycles, write scopes, co-blindness) live in rules.py. `schemas/workflow.v1.json`
is generated from these models.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from striatum.model import egress_rules

SCHEMA_VERSION = "striatum.workflow.v1"
ID_PATTERN = r"^[a-z][a-z0-9_-]{0,63}$"

Provider = Literal["claude_code", "codex", "gemini", "command"]
JobKind = Literal["task", "review", "synthesis", "checkpoint", "ledger", "audit"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Budget(Strict):
    """What a run (or a lane within it) may spend: once its attempts reported this much, the
    run pauses for the human."""

    usd: float | None = Field(default=None, gt=0, le=1_000_000, description="US dollars.")
    tokens: int | None = Field(default=None, gt=0, le=10**12, description="Tokens, all kinds.")
    hard: bool = Field(
        default=False,
        description="Once reached, also stop the attempts running under it (their jobs "
        "wait, ready, with no attempt counted) instead of letting them finish.",
    )


class Lane(Strict):
    """A provider profile that runs jobs: which agent CLI (or command), with what limits."""

    provider: Provider = Field(description="Agent CLI profile; `command` runs any argv.")
    command: list[str] = Field(
        default_factory=list,
        description="For `command`: the argv template. For the others: extra arguments. "
        "Placeholders: {prompt_file} {workdir} {workflow_dir} {output} {job_id} "
        "{attempt} {run_id} {artifact_root} {lease_id}; any other brace is literal.",
    )
    model: str | None = Field(
        default=None,
        max_length=200,
        description="Model label. For `command` lanes it also names the model behind the "
        "command, for the same-provider review rule.",
    )
    timeout_s: int = Field(default=1800, ge=1, le=7 * 86400, description="Per attempt.")
    max_concurrency: int = Field(default=1, ge=1, le=64, description="Jobs at once.")
    max_attempts: int = Field(default=3, ge=1, le=20, description="Tries per job.")
    park_backoff_s: int = Field(
        default=300,
        ge=1,
        le=86400,
        description="After a rate or usage limit whose end the agent's CLI did not say: how "
        "long the job waits before it is claimed again (`park`; the attempt is not counted).",
    )
    max_parks: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="Parks in a row after which the next park fails the job and asks the "
        "human instead (a limit that never lifts, or an agent that parks itself forever).",
    )
    env: dict[str, str] = Field(
        default_factory=dict,
        description="Variables for this lane's agents: a literal value, or `${VAR}` read "
        "from the supervisor's environment at launch (the run keeps the reference, never "
        "the value).",
    )
    inherit_env: bool = Field(
        default=False,
        description="Give the agent the supervisor's whole environment instead of the "
        "minimal base, its profile's variables and `env`.",
    )
    sandbox: Literal["none", "standard", "strict"] | None = Field(
        default=None,
        description="What the agent may touch: `standard` (its worktree, its scratch and its "
        "CLI's config writable, the rest read-only, Striatum's tokens unseen; bubblewrap), "
        "`strict` (as standard, and the network only through a proxy to the hosts of its "
        "profile and `allow_hosts`) or `none` (all of the user's rights). A lane that asks "
        "for a sandbox where none can be made does not start. Unset: `standard` where a "
        "sandbox can be made, else `none` with a warning.",
    )
    allow_hosts: list[str] = Field(
        default_factory=list,
        max_length=100,
        description="For a `strict` sandbox: the hosts its agents may reach besides their "
        "profile's model API (`host`, `host:port`, `*.domain`, `[::1]:8080`), such as a "
        "local model's `127.0.0.1:11434`.",
    )
    budget: Budget | None = Field(
        default=None,
        description="What this lane's attempts in one run may spend: once reached, the run "
        "pauses with a `budget` blocker (`run budget --lane` raises it).",
    )
    placement: Literal["local", "workers"] = Field(
        default="local",
        description="Who runs this lane's jobs: the run's own supervisor (`local`), or "
        "`striatum worker --lane NAME` on any host sharing the database (`workers`; the "
        "run's commits then travel through its branch on the workflow's `remote`, "
        "docs/MULTI_HOST.md).",
    )

    @field_validator("allow_hosts")
    @classmethod
    def _hosts(cls, hosts: list[str]) -> list[str]:
        for entry in hosts:
            egress_rules.parse_entry(entry)  # its ValueError names the entry
        return hosts


class Artifact(Strict):
    """A file the job must (or may) write, relative to the target repository."""

    path: str = Field(min_length=1, max_length=500)
    kind: str = Field(default="output", pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    required: bool = True


class ReviewGate(Strict):
    """What a review judges and what a `needs_revision` verdict does."""

    target: str = Field(description="The job this review judges (an upstream job).")
    max_revisions: int = Field(
        default=2, ge=0, le=20, description="How many times the target may be redone."
    )
    on_exhausted: Literal["fail", "escalate"] = Field(
        default="fail", description="Past max_revisions: fail the run, or ask the human."
    )
    allow_same_provider: bool = Field(
        default=False, description="Allow a reviewer on the target's provider (co-blindness)."
    )


class Checkpoint(Strict):
    """A human decision. Each choice names the jobs it releases; `cancel` ends the run."""

    question: str = Field(min_length=1, max_length=2000)
    choices: dict[str, list[str]] = Field(
        min_length=1, description="Choice name -> jobs it leads to (a `cancel` choice: [])."
    )


class Job(Strict):
    id: str = Field(pattern=ID_PATTERN)
    kind: JobKind
    title: str = Field(default="", max_length=200)
    lane: str | None = Field(default=None, description="Required except for checkpoints.")
    role: str | None = None
    prompt: str | None = Field(
        default=None, description="Markdown prompt file, relative to the workflow file."
    )
    depends_on: list[str] = Field(default_factory=list)
    artifacts: list[Artifact] = Field(default_factory=list)
    write_scope: list[str] | None = Field(
        default=None, description="Path prefixes the job may write (default: artifact_root)."
    )
    review: ReviewGate | None = Field(default=None, description="Required for reviews.")
    checkpoint: Checkpoint | None = Field(default=None, description="Required for checkpoints.")


class Workflow(Strict):
    """A workflow: lanes, roles, and a DAG of jobs."""

    schema_ref: str | None = Field(default=None, alias="$schema")
    schema_version: Literal["striatum.workflow.v1"]
    id: str = Field(pattern=ID_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=4000)
    artifact_root: str = Field(default="docs/striatum", min_length=1, max_length=300)
    remote: str = Field(
        default="origin",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$",
        description="The git remote a run's branch travels through when a lane is placed on "
        "workers: every host's clone must have it under this name (docs/MULTI_HOST.md).",
    )
    lanes: dict[str, Lane] = Field(min_length=1)
    roles: dict[str, str] = Field(default_factory=dict, description="Role name -> Markdown file.")
    context_docs: list[str] = Field(
        default_factory=list,
        description="Repository files every job of a run should read (listed in each prompt).",
    )
    forbidden_paths: list[str] = Field(
        default_factory=list,
        description="Path prefixes no job may change, even inside its write scope.",
    )
    budget: Budget | None = Field(
        default=None,
        description="What a run may spend (run prepare --budget-usd/--budget-tokens override "
        "it): when its attempts' reported usage reaches it, the run pauses with a `budget` "
        "blocker until the principal raises it (`run budget`).",
    )
    jobs: list[Job] = Field(min_length=1)
