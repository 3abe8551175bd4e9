"""Reviving an ended run (`run retry`): which jobs start again. Pure decisions.

A retry starts again from a job that was reached (its dependencies succeeded): that job and
everything downstream of it go back to pending, and so does every job that did not succeed
(a failed run cancelled its other branches as it ended; left cancelled they would cancel
their dependents again). The planner then promotes them as for any other change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from striatum import errors
from striatum.model.engine.plan import RunView
from striatum.model.engine.states import JobState, RunState
from striatum.model.workflow import dag

REVIVABLE = frozenset({RunState.FAILED, RunState.CANCELLED})


@dataclass(frozen=True, kw_only=True)
class Revival:
    from_jobs: tuple[str, ...]  # where the retry starts again
    resets: tuple[str, ...]  # every job that goes back to pending, in workflow order


def retry_plan(run_id: str, run: RunView, start: str | None) -> Revival:
    """What `run retry` resets, from `start` (None: where the run stopped). Raises NotFound
    for an unknown job and Conflict for a run that did not end badly or a job not reached."""
    if run.state not in REVIVABLE:
        raise errors.Conflict(
            f"run {run_id} is {run.state.value}; only a failed or cancelled run is retried",
            run_id=run_id,
            state=run.state.value,
        )
    from_jobs = _stopped_at(run) if start is None else (_reached(run_id, run, start),)
    if not from_jobs:
        raise errors.Conflict(f"run {run_id} has no failed or cancelled job to retry from")
    edges = {job_id: job.depends_on for job_id, job in run.jobs.items()}
    again = {
        job_id
        for job_id, job in run.jobs.items()
        if job.state != JobState.SUCCEEDED
        or job_id in from_jobs
        or any(start in dag.ancestors(edges, job_id) for start in from_jobs)
    }
    return Revival(from_jobs=from_jobs, resets=tuple(j for j in run.jobs if j in again))


def _reached(run_id: str, run: RunView, start: str) -> str:
    job = run.jobs.get(start)
    if job is None:
        raise errors.NotFound(f"run {run_id} has no job {start!r}", run_id=run_id, job=start)
    unsettled = [p for p in job.depends_on if run.jobs[p].state != JobState.SUCCEEDED]
    if job.state == JobState.PENDING or unsettled:
        why = "".join(f": its dependency {p} is {run.jobs[p].state.value}" for p in unsettled[:1])
        raise errors.Conflict(
            f"job {start} of run {run_id} was never reached{why}",
            hint=f"striatum --as principal run retry --run-id {run_id}  (from where it stopped)",
            run_id=run_id,
            job=start,
        )
    return start


def _stopped_at(run: RunView) -> tuple[str, ...]:
    """The earliest jobs that did not succeed (every dependency did), and a checkpoint
    whose `cancel` ended the run (retrying after it would only cancel again)."""
    jobs = run.jobs
    frontier = [
        job_id
        for job_id, job in jobs.items()
        if job.state != JobState.SUCCEEDED
        and all(jobs[p].state == JobState.SUCCEEDED for p in job.depends_on)
    ]
    cancelling = [
        checkpoint
        for checkpoint, choice in run.decided.items()
        if choice == "cancel" and jobs[checkpoint].state == JobState.SUCCEEDED
    ]
    return tuple(j for j in jobs if j in {*frontier, *cancelling})


def fresh_budgets(
    resets: tuple[str, ...], revisions: Mapping[str, int], bounds: Mapping[str, int]
) -> dict[str, int]:
    """The reviews among `resets` whose gate used up its revisions (`bounds`: review ->
    max_revisions), with the count they had: they start again with a fresh budget."""
    return {
        review: revisions[review]
        for review in resets
        if review in bounds and revisions[review] >= bounds[review]
    }
