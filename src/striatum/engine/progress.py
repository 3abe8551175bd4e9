"""Moving a run forward after any change: promote jobs, open checkpoints, end the run.

Every handler that changes a run calls `advance` last, inside the same transaction, so a run
is never left `running` with nothing to do.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from striatum.engine import snapshot
from striatum.engine.context import Context
from striatum.engine.ids import new_id
from striatum.model.engine import plan
from striatum.model.engine.records import BlockerKind, BlockerState
from striatum.model.engine.states import TERMINAL_JOB, JobState, RunState, check_job, check_run
from striatum.store import chains, records, runs, work
from striatum.store.runs import JobRow, Run


def emit(
    ctx: Context, run: Run, type: str, job_id: str | None = None, **payload: Any
) -> chains.Appended:
    """Append one event to the run's repository chain."""
    return chains.append_event(
        ctx.conn,
        repo_id=run.repo_id,
        type=type,
        actor=ctx.actor,
        payload={"run_id": run.run_id, **payload},
        run_id=run.run_id,
        job_id=job_id,
    )


def end_lease(
    ctx: Context,
    run: Run,
    job: JobRow,
    lease_id: str,
    *,
    lease_outcome: str,
    attempt_state: str,
    reason: str | None = None,
    commit_sha: str | None = None,
    then: Sequence[chains.Event] = (),
) -> list[chains.Appended]:
    """End the job's live lease and its current attempt, and record `lease.ended`, then
    `then` (the job's move, from `move_event`, and what it makes ready, from
    `promotions_after`): one statement. Where each event landed."""
    job_id, attempt = job.job_id, job.attempt  # a live lease is of the job's current attempt
    ended = chains.Event(
        type="lease.ended",
        payload={
            "run_id": run.run_id,
            "lease_id": lease_id,
            "outcome": lease_outcome,
            "attempt": attempt,
            "reason": reason,
        },
        job_id=job_id,
    )
    events = chains.events_arguments(
        repo_id=run.repo_id,
        run_id=run.run_id,
        actor=ctx.actor,
        events=[ended, *then],
    )
    return work.end_lease_and_attempt(
        ctx.conn,
        lease_id,
        lease_outcome,
        run_id=run.run_id,
        job_id=job_id,
        attempt=attempt,
        state=attempt_state,
        events=events,
        reason=reason,
        commit_sha=commit_sha,
    )


def notice(ctx: Context, run: Run, kind: str, **details: Any) -> None:
    """Queue a notification (delivered after commit) that something needs a human or ended."""
    ctx.notices.append(
        {
            "kind": kind,
            "run_id": run.run_id,
            "repo": run.repo_path,
            "notify_command": run.notify_command,
            **details,
        }
    )


def move_job(
    ctx: Context,
    run: Run,
    job: JobRow,
    wanted: JobState,
    *,
    reason: str | None = None,
    new_attempt: int | None = None,
    ready_after: str | None = None,
    **payload: Any,
) -> chains.Appended:
    """Move a job (a claim numbers its new attempt) and record it. A success also forgets
    the job's addressed verdicts and past failures: they are done with."""
    event = move_event(
        ctx,
        run,
        job,
        wanted,
        reason=reason,
        new_attempt=new_attempt,
        ready_after=ready_after,
        **payload,
    )
    (recorded,) = chains.append_events(  # the move and its event: one statement
        ctx.conn, repo_id=run.repo_id, run_id=run.run_id, actor=ctx.actor, events=[event]
    )
    return recorded


def move_event(
    ctx: Context,
    run: Run,
    job: JobRow,
    wanted: JobState,
    *,
    reason: str | None,
    new_attempt: int | None = None,
    ready_after: str | None = None,
    **payload: Any,
) -> chains.Event:
    """A job's move and the event recording it, once the edge is checked: for `move_job`,
    or for a statement that records it beside its own change (a claim, a lease's end)."""
    check_job(job.job_id, job.state, wanted)
    ctx.moved[job.job_id] = wanted
    return chains.Event(
        type=f"job.{wanted.value}",
        payload={"run_id": run.run_id, "previous": job.state.value, "reason": reason, **payload},
        job_id=job.job_id,
        move=chains.JobMove(state=wanted.value, attempt=new_attempt, ready_after=ready_after),
    )


def view(ctx: Context, run: Run, jobs: list[JobRow], *, with_blockers: bool = True) -> plan.RunView:
    """The planner's view of `jobs` (all of the run's, or some and their parents). Without
    blockers it knows no checkpoint decision and no failure awaiting the human: enough to
    promote jobs none of whose parents is a checkpoint."""
    decided: dict[str, str] = {}
    failed_blocked: set[str] = set()
    # Oldest first, so a checkpoint decided again (after a revision) keeps its newest choice.
    listed = (
        records.list_blockers(ctx.conn, run.run_id, include_resolved=True) if with_blockers else []
    )
    for blocker in reversed(listed):
        if blocker.state == BlockerState.OPEN:
            failed_blocked.add(blocker.job_id)
        elif blocker.kind == BlockerKind.CHECKPOINT and blocker.resolution is not None:
            decided[blocker.job_id] = blocker.resolution  # resolved: the choice made
    return plan.RunView(
        state=run.state,
        jobs={
            j.job_id: plan.JobView(
                job_id=j.job_id,
                kind=j.kind,
                state=j.state,
                depends_on=j.depends_on,
                attempt=j.attempt,
                max_attempts=j.max_attempts,
            )
            for j in jobs
        },
        checkpoint_paths=snapshot.checkpoint_paths(run),
        decided=decided,
        failed_with_open_blocker=frozenset(
            j
            for j in failed_blocked
            if any(x.job_id == j and x.state == JobState.FAILED for x in jobs)
        ),
    )


def advance(ctx: Context, run: Run) -> Run:
    """Promote what can move, then end the run if nothing more can happen.

    The cost of a transition does not grow with the run: only the jobs this transaction
    moved (`ctx.moved`) and their dependents are read and planned, and whether the run ends
    is asked of two partial indexes. Only a transaction that moved nothing (a run's start)
    plans the whole run, and only a run's end reads all of its jobs."""
    promote(ctx, run)
    return settle(ctx, run)


def promote(ctx: Context, run: Run) -> None:
    """`advance`'s first half: promote what can move (a claim made next in the same
    transaction, `complete --then-claim`, may come between the halves)."""
    if run.state not in (RunState.RUNNING, RunState.PAUSED):
        return
    if ctx.moved:
        _promote(ctx, run, _affected(run, ctx.moved))
    else:
        _promote(ctx, run, None)


def settle(ctx: Context, run: Run) -> Run:
    """`advance`'s second half: end the run if nothing more can happen."""
    if run.state not in (RunState.RUNNING, RunState.PAUSED):
        return run
    ending = _ending(ctx, run)
    if ending is None:
        if CROSSCHECK:
            crosscheck(ctx, run)
        return run
    current = runs.jobs(ctx.conn, run.run_id)
    return end_run(ctx, run, current, ending, reason="nothing more can happen")


def now_ready(ctx: Context, run: Run) -> list[dict[str, Any]]:
    """The jobs this transaction made ready, as a supervisor claims them: the answer of a
    transition carries them, so a supervisor need not re-read the run to find new work."""
    return [
        {
            "job_id": job_id,
            "lane": snapshot.job_spec(run, job_id).lane,
            "write_scope": snapshot.write_scope(run, job_id),
        }
        for job_id, state in ctx.moved.items()
        if state == JobState.READY
    ]


def _affected(run: Run, moved: Iterable[str]) -> set[str]:
    """The jobs whose promotion may have changed: what moved, and what depends on it."""
    return {*moved, *(d for job_id in moved for d in snapshot.dependents(run, job_id))}


def promotions_after(ctx: Context, run: Run, job: JobRow) -> list[chains.Event] | None:
    """The moves `job`'s success makes, planned before that success is recorded (its move is
    made, from `move_event`, but not yet written), so that the statement ending its lease
    records them too: one statement fewer a job along a chain. None when this cannot be
    planned so (a dependent that is a checkpoint or comes after one, or that would not simply
    become ready): then `promote`, after the end, plans as ever. With a list, the caller
    skips `promote`.

    The rows are read before the success is written, so the job's own row is overlaid with
    the state it moved to. The run's row is locked, so no other transaction moves its jobs
    meanwhile."""
    if run.state not in (RunState.RUNNING, RunState.PAUSED) or set(ctx.moved) != {job.job_id}:
        return None  # `promote` plans for every job this transaction moved
    candidates = set(snapshot.dependents(run, job.job_id))  # none moved: only the job did
    if not candidates:
        return []
    specs = [snapshot.job_spec(run, j) for j in candidates]
    paths = snapshot.checkpoint_paths(run)
    # Known before reading: a checkpoint waits (its blocker follows its move), and a job after
    # one needs the decisions.
    if any(spec.kind == "checkpoint" or any(p in paths for p in spec.depends_on) for spec in specs):
        return None
    rows = [
        replace(row, state=ctx.moved[row.job_id]) if row.job_id in ctx.moved else row
        for row in _read_with_parents(ctx, run, candidates)
    ]
    planned = plan.promotions(view(ctx, run, rows, with_blockers=False), only=candidates)
    if any(wanted != JobState.READY for wanted in planned.values()):
        return None
    jobs = {row.job_id: row for row in rows}
    return [
        move_event(ctx, run, jobs[job_id], wanted, reason="dependencies settled")
        for job_id, wanted in planned.items()
    ]


def _promote(ctx: Context, run: Run, candidates: set[str] | None) -> None:
    """Promote, among `candidates` (None: every job), the pending jobs that can move;
    cancellations cascade to the dependents of what they cancel, a round at a time."""
    while candidates is None or candidates:
        if candidates is not None:
            # Only pending jobs move: one this transaction moved elsewhere needs no plan.
            candidates = {
                j for j in candidates if ctx.moved.get(j, JobState.PENDING) == JobState.PENDING
            }
            if not candidates:
                return
        if candidates is None:
            rows = runs.jobs(ctx.conn, run.run_id)
        else:
            rows = _read_with_parents(ctx, run, candidates)
        paths = snapshot.checkpoint_paths(run)
        after_checkpoint = any(p in paths for row in rows for p in row.depends_on)
        seen = view(ctx, run, rows, with_blockers=after_checkpoint)
        jobs = {j.job_id: j for j in rows}
        cancelled: set[str] = set()
        moves: list[chains.Event] = []  # recorded together: one statement, not one a job
        for job_id, wanted in plan.promotions(seen, only=candidates).items():
            moves.append(move_event(ctx, run, jobs[job_id], wanted, reason="dependencies settled"))
            if wanted == JobState.WAITING:  # its checkpoint's events follow its move's
                _record_moves(ctx, run, moves)
                _open_checkpoint(ctx, run, job_id)
            elif wanted == JobState.CANCELLED:
                cancelled.add(job_id)
        _record_moves(ctx, run, moves)
        if candidates is None:
            return  # the whole run's plan cascades its cancellations itself
        candidates = {d for j in cancelled for d in snapshot.dependents(run, j)}


def _read_with_parents(ctx: Context, run: Run, candidates: set[str]) -> list[JobRow]:
    """The rows a plan of `candidates` needs: theirs and their parents', in workflow order."""
    parents = {p for j in candidates for p in snapshot.job_spec(run, j).depends_on}
    return runs.named_jobs(ctx.conn, run.run_id, sorted(candidates | parents))


def _record_moves(ctx: Context, run: Run, moves: list[chains.Event]) -> None:
    """Record `moves` (each a job's move and its event, from `move_event`) in order, in one
    statement, and forget them."""
    if moves:
        chains.append_events(
            ctx.conn, repo_id=run.repo_id, run_id=run.run_id, actor=ctx.actor, events=moves
        )
        moves.clear()


def _ending(ctx: Context, run: Run) -> RunState | None:
    """How the run ends now, or None. Nearly always answered by the tally alone: the whole
    view is read only when the run may be ending (nothing unfinished, or a failure with
    nobody asked about it)."""
    tally = runs.tally(ctx.conn, run.run_id)
    if tally.failed:
        asked = {b.job_id for b in records.open_blockers(ctx.conn, run.run_id)}
        if not set(tally.failed) - asked:
            return None  # every failure waits on the human
    elif tally.unfinished:
        return None
    return plan.outcome(view(ctx, run, runs.jobs(ctx.conn, run.run_id)))


# Tests set STRIATUM_PLAN_CROSSCHECK=1: every transition then also plans the whole run and
# fails loudly if the incremental answer left something it should have moved or ended.
CROSSCHECK = os.environ.get("STRIATUM_PLAN_CROSSCHECK") == "1"


def crosscheck(ctx: Context, run: Run) -> None:
    seen = view(ctx, run, runs.jobs(ctx.conn, run.run_id))
    missed, ending = plan.promotions(seen), plan.outcome(seen)
    if missed or ending is not None:
        raise AssertionError(
            f"incremental planning of {run.run_id} missed promotions {missed} or end {ending}"
        )


def _open_checkpoint(ctx: Context, run: Run, job_id: str) -> None:
    spec = snapshot.checkpoint(run, job_id)
    blocker_id = new_id("blk")
    records.insert_blocker(
        ctx.conn,
        blocker_id=blocker_id,
        run_id=run.run_id,
        job_id=job_id,
        kind="checkpoint",
        reason=spec.question,
        opened_by=ctx.actor,
        reason_kind="checkpoint",
    )
    emit(
        ctx,
        run,
        "checkpoint.opened",
        job_id,
        blocker_id=blocker_id,
        choices=sorted(spec.choices),
    )
    notice(
        ctx,
        run,
        "checkpoint",
        job_id=job_id,
        blocker_id=blocker_id,
        question=spec.question,
        choices=sorted(spec.choices),
    )


def end_run(ctx: Context, run: Run, jobs: list[JobRow], state: RunState, *, reason: str) -> Run:
    """End a run: cancel what has not finished, end live leases, record why."""
    check_run(run.state, state)
    by_id = {job.job_id: job for job in jobs}
    for lease in work.live_leases(ctx.conn, run.run_id):
        end_lease(
            ctx,
            run,
            by_id[lease.job_id],
            lease.lease_id,
            lease_outcome="cancelled",
            attempt_state="cancelled",
            reason=reason,
        )
    for job in jobs:
        if job.state not in TERMINAL_JOB:
            move_job(ctx, run, job, JobState.CANCELLED, reason=f"run {state.value}")
    for blocker in records.open_blockers(ctx.conn, run.run_id):
        records.resolve_blocker(
            ctx.conn,
            blocker_id=blocker.blocker_id,
            resolution="run ended",
            resolved_by=ctx.actor,
            outcome="closed",
        )
    runs.set_state(ctx.conn, run.run_id, state, reason)
    emit(ctx, run, f"run.{state.value}", reason=reason)
    notice(ctx, run, "run_ended", state=state.value, reason=reason)
    return runs.get(ctx.conn, run.run_id)
