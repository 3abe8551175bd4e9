"""run.retry (and its alias recovery.requeue): revive a failed or cancelled run from a job.

One transaction, in the usual lock order (the run's row, then its supervision row): the run
runs again, the jobs `revival.retry_plan` names go back to pending (their failures forgotten,
an exhausted revision budget renewed), `run.retried` records who did it and what, and the
planner promotes what can start. Attempts, verdicts and events of the earlier tries stay:
the next claim of a job numbers its attempt after the last one.
"""

from __future__ import annotations

from typing import Any

from striatum import errors
from striatum.engine import progress, snapshot, worktrees
from striatum.engine.context import Context
from striatum.model.engine import revival
from striatum.model.engine.states import JobState, RunState, check_revival
from striatum.store import records, repositories, runs, supervisors, work
from striatum.store.runs import JobRow, Run
from striatum.verbs.runs.supervision import still_there


def retry(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    run = runs.lock(ctx.conn, params["run_id"])
    if run.state in (RunState.RUNNING, RunState.PAUSED):
        _refuse_live(ctx, run, params.get("from"))
    _refuse_removed_repository(ctx, run)
    jobs = {j.job_id: j for j in runs.jobs(ctx.conn, run.run_id)}
    view = progress.view(ctx, run, list(jobs.values()))
    plan = revival.retry_plan(run.run_id, view, params.get("from"))
    _refuse_lost_commits(ctx, run, jobs, plan.resets)
    revisions = {job_id: job.revisions for job_id, job in jobs.items()}
    fresh = revival.fresh_budgets(plan.resets, revisions, _bounds(run, plan.resets))
    supervise = _revive(ctx, run, plan, fresh, params)
    run = runs.get(ctx.conn, run.run_id)
    for job_id in plan.resets:
        _reset(ctx, run, jobs[job_id], fresh_budget=job_id in fresh)
    _carry_findings(ctx, run, jobs, plan.resets)
    run = progress.advance(ctx, run)
    if run.state != RunState.RUNNING:
        raise errors.Conflict(  # rolled back: the run stays as it was
            f"retrying run {run.run_id} from {', '.join(plan.from_jobs)} ends it again at once "
            f"({run.state.value}: {run.ended_reason})",
            hint="retry from an earlier job with --from JOB",
            run_id=run.run_id,
        )
    return {
        "run_id": run.run_id,
        "state": run.state.value,
        "repo": run.repo_path,
        "from_jobs": list(plan.from_jobs),
        "reset": list(plan.resets),
        "fresh_revision_budgets": fresh,
        "ready": [j["job_id"] for j in progress.now_ready(ctx, run)],
        "supervise": supervise,
    }


def _revive(
    ctx: Context, run: Run, plan: revival.Revival, fresh: dict[str, int], params: dict[str, Any]
) -> bool:
    """The run runs again, supervised as before (or not), and `run.retried` says who did
    what; whether a supervisor is to be launched."""
    check_revival(run.state)
    runs.revive(ctx.conn, run.run_id)
    supervise = _supervise_again(ctx, run, params)
    progress.emit(
        ctx,
        run,
        "run.retried",
        previous=run.state.value,
        from_jobs=list(plan.from_jobs),
        reset=list(plan.resets),
        fresh_revision_budgets=fresh,
        supervised=supervise,
    )
    return supervise


def _refuse_live(ctx: Context, run: Run, job_id: str | None) -> None:
    """A running run is not retried; a job of it waiting for the human is answered there."""
    waiting = [
        b
        for b in records.open_blockers(ctx.conn, run.run_id)
        if job_id is None or b.job_id == job_id
    ]
    hint = "wait for it to end, or `run cancel` it first"
    if waiting:
        hint = (
            f"striatum --as principal escalation resolve --blocker {waiting[0].blocker_id} "
            "--outcome retry"
        )
    raise errors.Conflict(
        f"run {run.run_id} is {run.state.value}; `run retry` revives a failed or cancelled run",
        hint=hint,
        run_id=run.run_id,
        state=run.state.value,
    )


def _refuse_removed_repository(ctx: Context, run: Run) -> None:
    """A removed repository has no live run (`repo remove` checks it); its row is share-locked
    so that a removal racing this retry waits for it and then sees the run."""
    repo = repositories.find_by_path(ctx.conn, str(run.checkout()), share=True)
    if repo is not None and repo.removed_at is not None:
        raise errors.Conflict(
            f"run {run.run_id}'s repository {run.repo_path} was removed",
            hint=f"striatum --repo {run.repo_path} adopt, then retry",
            run_id=run.run_id,
        )


def _refuse_lost_commits(
    ctx: Context, run: Run, jobs: dict[str, JobRow], resets: tuple[str, ...]
) -> None:
    """Jobs that stay succeeded must still have their commits where the retried run starts:
    on its branch, or (a branch deleted by `run clean --force`, a new one from HEAD) in the
    checkout's history (landed, or made in place). Else those jobs must run again too."""
    repo = run.checkout()
    if worktrees.branch_tip(repo, run.run_id) is not None:
        return
    kept = [j for j in jobs.values() if j.job_id not in resets and j.state == JobState.SUCCEEDED]
    committed = [
        j.job_id
        for j in kept
        if any(
            not worktrees.merged(repo, sha)
            for _, sha in work.attempt_commits(ctx.conn, run_id=run.run_id, job_id=j.job_id)
        )
    ]
    if committed:
        raise errors.Conflict(
            f"run {run.run_id}'s branch {worktrees.branch(run.run_id)} is gone (cleaned with "
            f"--force), and with it the commits of {', '.join(sorted(committed))}",
            hint=f"retry from the first of them: striatum run retry {run.run_id} --from JOB "
            "--as principal, or prepare a new run",
            run_id=run.run_id,
            jobs=sorted(committed),
        )


def _bounds(run: Run, resets: tuple[str, ...]) -> dict[str, int]:
    """Each review among `resets` -> its gate's max_revisions."""
    found = {}
    for job_id in resets:
        gate = snapshot.job_spec(run, job_id).review
        if gate is not None:
            found[job_id] = gate.max_revisions
    return found


def _supervise_again(ctx: Context, run: Run, params: dict[str, Any]) -> bool:
    """Whether a supervisor drives the run again: as it did before, unless --no-supervise.
    The caller launches it, as after `run start` (its environment is the caller's)."""
    before = supervisors.lock(ctx.conn, run.run_id)
    supervise = before is not None and before.supervised and not params.get("no_supervise")
    refusal = still_there(ctx, before) if supervise else None
    if refusal is not None:
        # The run's last supervisor may still be on its way out (the run just ended): a
        # second one beside it would fail its lock and leave the run unsupervised.
        raise errors.Conflict(
            f"{refusal}; retry once it has left",
            hint=f"striatum status {run.run_id}",
            run_id=run.run_id,
        )
    if before is not None:
        supervisors.record_launch(
            ctx.conn, run.run_id, supervised=supervise, host=ctx.daemon.host, resumed=supervise
        )
    return supervise


def _reset(ctx: Context, run: Run, job: JobRow, *, fresh_budget: bool) -> None:
    runs.revive_job(ctx.conn, run.run_id, job.job_id, fresh_budget=fresh_budget)
    if job.state == JobState.PENDING:
        ctx.moved[job.job_id] = JobState.PENDING  # planned like the jobs that moved
        return
    progress.move_job(ctx, run, job, JobState.PENDING, reason="run retried")


def _carry_findings(
    ctx: Context, run: Run, jobs: dict[str, JobRow], resets: tuple[str, ...]
) -> None:
    """A reviewed job that runs again addresses what its review said last (a reject, or the
    request for a revision that its exhausted gate did not grant), as a revision would."""
    for review_id in resets:
        gate = snapshot.job_spec(run, review_id).review
        if gate is None or gate.target not in resets:
            continue
        verdict_id = records.latest_verdict(ctx.conn, run_id=run.run_id, job_id=review_id)
        verdict = None if verdict_id is None else records.get_verdict(ctx.conn, verdict_id)
        target = jobs[gate.target]
        if verdict is None or verdict.value.value == "accept":
            continue
        if verdict.verdict_id not in target.revision_verdicts:
            runs.add_revision_verdict(ctx.conn, run.run_id, target.job_id, verdict.verdict_id)
