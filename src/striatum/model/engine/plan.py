"""What happens next in a run: promotions, the run's outcome, verdicts, attempts.

Handlers fetch a RunView, ask these functions, and write what they decide.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from striatum.model.engine.states import TERMINAL_JOB, JobState, RunState
from striatum.model.workflow import dag


@dataclass(frozen=True, kw_only=True)
class JobView:
    job_id: str
    kind: str
    state: JobState
    depends_on: tuple[str, ...] = ()
    attempt: int = 0
    max_attempts: int = 3


@dataclass(frozen=True, kw_only=True)
class RunView:
    state: RunState
    jobs: Mapping[str, JobView]
    # checkpoint id -> {choice: jobs it releases}, and the choices already made
    checkpoint_paths: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    decided: Mapping[str, str] = field(default_factory=dict)
    failed_with_open_blocker: frozenset[str] = frozenset()


def promotions(run: RunView, only: Collection[str] | None = None) -> dict[str, JobState]:
    """Pending jobs that can now move: to ready (or waiting, for a checkpoint), or to
    cancelled when a decided checkpoint or a cancelled dependency means they never run.

    `only` limits the question to some jobs (the view then needs only them and their
    parents): after a transition, only the dependents of what moved can have changed."""
    states = {job_id: job.state for job_id, job in run.jobs.items()}
    asked = [job for job in run.jobs.values() if only is None or job.job_id in only]
    changes: dict[str, JobState] = {}
    moved = True
    while moved:  # cancellations cascade down the graph
        moved = False
        for job in asked:
            job_id = job.job_id
            if states[job_id] != JobState.PENDING:
                continue
            wanted = _next_state(run, job, states)
            if wanted is not None:
                states[job_id] = changes[job_id] = wanted
                moved = True
    return changes


def _next_state(run: RunView, job: JobView, states: dict[str, JobState]) -> JobState | None:
    for parent in job.depends_on:
        if parent in run.checkpoint_paths and states[parent] == JobState.SUCCEEDED:
            chosen = run.decided.get(parent)
            if chosen is None or job.job_id not in run.checkpoint_paths[parent].get(chosen, ()):
                return JobState.CANCELLED
        if states[parent] == JobState.CANCELLED:
            return JobState.CANCELLED
    if all(states[parent] == JobState.SUCCEEDED for parent in job.depends_on):
        return JobState.WAITING if job.kind == "checkpoint" else JobState.READY
    return None


def outcome(run: RunView) -> RunState | None:
    """The state the run ends in, or None while something can still happen."""
    if run.state not in (RunState.RUNNING, RunState.PAUSED):
        return None
    jobs = run.jobs.values()
    if any(
        j.state == JobState.FAILED and j.job_id not in run.failed_with_open_blocker for j in jobs
    ):
        return RunState.FAILED
    if any(j.state not in TERMINAL_JOB for j in jobs) or run.failed_with_open_blocker:
        return None
    # Only a checkpoint that stands decided counts: a revision may have reset one after its
    # `cancel`, and another path then cancelled it, so its old choice no longer holds.
    cancelled_by_choice = any(
        choice == "cancel" and run.jobs[checkpoint].state == JobState.SUCCEEDED
        for checkpoint, choice in run.decided.items()
    )
    if cancelled_by_choice:
        return RunState.CANCELLED
    return RunState.SUCCEEDED


class GateDecision(enum.StrEnum):
    ACCEPT = "accept"  # the review succeeds; the run goes on
    REVISE = "revise"  # the target runs again as a new attempt, then the review
    FAIL = "fail"  # the gate fails: the review job fails, and with it the run
    ESCALATE = "escalate"  # the human decides (revision bound reached, gate says escalate)


def gate_decision(
    verdict: str, *, revisions: int, max_revisions: int, on_exhausted: str
) -> GateDecision:
    """What a review's verdict does, given how many revisions the gate has used."""
    if verdict == "accept":
        return GateDecision.ACCEPT
    if verdict == "reject":
        return GateDecision.FAIL
    if revisions < max_revisions:
        return GateDecision.REVISE
    return GateDecision.ESCALATE if on_exhausted == "escalate" else GateDecision.FAIL


def revision_resets(run: RunView, target: str, review: str) -> dict[str, JobState]:
    """A revision: the target becomes ready; everything downstream of it pending (the
    requesting review, sibling reviews of the same target, and what follows them)."""
    edges = {job_id: job.depends_on for job_id, job in run.jobs.items()}
    downstream = {job_id for job_id in run.jobs if target in dag.ancestors(edges, job_id)}
    resets = {job_id: JobState.PENDING for job_id in downstream | {review}}
    resets[target] = JobState.READY
    return resets


class AttemptDecision(enum.StrEnum):
    RETRY = "retry"  # back to ready as a new attempt
    EXHAUSTED = "exhausted"  # failed, with a blocker for the human


def after_failed_attempt(attempt: int, max_attempts: int) -> AttemptDecision:
    return AttemptDecision.RETRY if attempt < max_attempts else AttemptDecision.EXHAUSTED
