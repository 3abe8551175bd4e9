"""Run and job states, and the only edges between them: a run's own life (`RUN_EDGES`), the
one way back from its end (`REVIVAL_EDGES`, `run retry` alone), and a job's."""

from __future__ import annotations

import enum

from striatum import errors


class RunState(enum.StrEnum):
    PREPARED = "prepared"  # created from a validated snapshot; nothing runs yet
    RUNNING = "running"  # jobs may be claimed
    PAUSED = "paused"  # nothing new is claimed; leased work may finish
    SUCCEEDED = "succeeded"  # every job that could run succeeded
    FAILED = "failed"  # a job or gate failed for good
    CANCELLED = "cancelled"  # cancelled by a caller or by a checkpoint's cancel choice


class JobState(enum.StrEnum):
    PENDING = "pending"  # waiting for its dependencies
    READY = "ready"  # may be claimed
    LEASED = "leased"  # a session holds a live lease on it
    WAITING = "waiting"  # waits for the human: a checkpoint or an escalation
    SUCCEEDED = "succeeded"  # done; its artifacts are recorded
    FAILED = "failed"  # failed for good (attempts or gate exhausted, rejected)
    CANCELLED = "cancelled"  # will not run: run cancelled, or a checkpoint chose another path


TERMINAL_RUN = frozenset({RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED})
TERMINAL_JOB = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})

RUN_EDGES: dict[RunState, frozenset[RunState]] = {
    RunState.PREPARED: frozenset({RunState.RUNNING, RunState.CANCELLED}),
    RunState.RUNNING: frozenset(
        {RunState.PAUSED, RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED}
    ),
    RunState.PAUSED: frozenset(
        {RunState.RUNNING, RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED}
    ),
}

# Only `run retry` takes a run back from its end; `run start` and `run resume` must not, so
# these are not among RUN_EDGES.
REVIVAL_EDGES: dict[RunState, frozenset[RunState]] = {
    RunState.FAILED: frozenset({RunState.RUNNING}),
    RunState.CANCELLED: frozenset({RunState.RUNNING}),
}

JOB_EDGES: dict[JobState, frozenset[JobState]] = {
    JobState.PENDING: frozenset({JobState.READY, JobState.WAITING, JobState.CANCELLED}),
    JobState.READY: frozenset({JobState.LEASED, JobState.CANCELLED, JobState.PENDING}),
    JobState.LEASED: frozenset(
        {
            JobState.SUCCEEDED,
            JobState.FAILED,
            JobState.READY,
            JobState.WAITING,
            JobState.PENDING,
            JobState.CANCELLED,
        }
    ),
    JobState.WAITING: frozenset(
        {JobState.SUCCEEDED, JobState.READY, JobState.FAILED, JobState.CANCELLED, JobState.PENDING}
    ),
    # A revision re-opens finished work: the target becomes ready, the review pending.
    JobState.SUCCEEDED: frozenset({JobState.READY, JobState.PENDING}),
    # The human's escalation retry makes it ready; a revision upstream or `run retry` resets it.
    JobState.FAILED: frozenset({JobState.READY, JobState.PENDING}),
    # A revision upstream (in a running run) or `run retry` (of an ended one) brings it back.
    JobState.CANCELLED: frozenset({JobState.PENDING}),
}


def check_run(current: RunState, wanted: RunState) -> None:
    if wanted not in RUN_EDGES.get(current, frozenset()):
        raise errors.Conflict(
            f"a {current.value} run cannot become {wanted.value}", state=current.value
        )


def check_revival(current: RunState) -> None:
    if RunState.RUNNING not in REVIVAL_EDGES.get(current, frozenset()):
        raise errors.Conflict(
            f"a {current.value} run cannot be retried (only a failed or cancelled one)",
            state=current.value,
        )


def check_job(job_id: str, current: JobState, wanted: JobState) -> None:
    if wanted not in JOB_EDGES.get(current, frozenset()):
        raise errors.Conflict(
            f"job {job_id} is {current.value} and cannot become {wanted.value}",
            job_id=job_id,
            state=current.value,
        )
