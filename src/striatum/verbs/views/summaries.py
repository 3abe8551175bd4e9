"""status, why, list.*, inbox: read-only views of runs."""

from __future__ import annotations

from typing import Any

from striatum import errors
from striatum.engine import snapshot
from striatum.engine import usage as attempt_usage
from striatum.engine.context import Context
from striatum.model.engine.records import BlockerKind
from striatum.model.engine.states import JobState, RunState
from striatum.model.engine.supervision import MAX_STREAK
from striatum.model.terminal_text import visible
from striatum.store import attempts, chains, records, runs, supervisors, work
from striatum.store import usage as usage_rows
from striatum.verbs import shapes
from striatum.verbs.runs import supervision

ID_KEYS = {"lease": "lease_id", "art": "artifact_id", "vrd": "verdict_id", "blk": "blocker_id"}


def status(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("run_id"):
        return run_status(ctx, params["run_id"], moving_only=params.get("jobs") == "moving")
    if params.get("jobs") == "moving":
        raise errors.ValidationError("--jobs moving needs a run (--run-id)", parameter="jobs")
    active = [
        r
        for r in runs.list_runs(ctx.conn, limit=200)
        if r.state in (RunState.PREPARED, RunState.RUNNING, RunState.PAUSED)
    ]
    blockers = records.open_blockers(ctx.conn)
    actions = [f"striatum status --run-id {r.run_id}" for r in active] or [
        "nothing is active: striatum run prepare --workflow FILE"
    ]
    return {
        "active_runs": [r.to_dict() for r in active],
        "open_blockers": [b.to_dict(shapes.BLOCKER_OPEN) for b in blockers],
        "next_actions": actions,
    }


def run_status(ctx: Context, run_id: str, *, moving_only: bool = False) -> dict[str, Any]:
    """A run's status; `moving_only`: its ready and leased jobs only (what a supervisor
    claims and watches), read without reading the others."""
    run = runs.get(ctx.conn, run_id)
    jobs = runs.moving_jobs(ctx.conn, run_id) if moving_only else runs.jobs(ctx.conn, run_id)
    leases = work.live_leases_unlocked(ctx.conn, run_id)
    blockers = records.open_blockers(ctx.conn, run_id)
    watch = _supervisor(ctx, run)
    times = attempts.job_times(ctx.conn, run_id, [j.job_id for j in jobs] if moving_only else None)
    spends = [] if moving_only else usage_rows.spends(ctx.conn, run_id)
    # Jobs a rate or usage limit parked: ready, but claimed only from their time on.
    parked = {job_id: until for job_id, _, until in runs.parked_jobs(ctx.conn, run_id)}
    # What the run used (not for a supervisor's read of the moving jobs: it reads often).
    used = None if moving_only else attempt_usage.of_run(ctx, run_id)
    job_rows = []
    for job in jobs:
        lane = snapshot.lane_spec(run, job.lane)
        spent = times.get(job.job_id)
        job_rows.append(
            {
                "job_id": job.job_id,
                "kind": job.kind,
                "state": job.state.value,
                "attempt": job.attempt,
                "revisions": job.revisions,
                "lane": job.lane,
                "provider": lane.provider if lane else None,
                "model": lane.model if lane else None,
                "write_scope": snapshot.write_scope(run, job.job_id),
                "started_at": spent.started_at if spent else None,  # its first attempt's start
                "ended_at": spent.ended_at if spent else None,  # its last attempt's end
                **({} if used is None else {"usage": used["by_job"].get(job.job_id)}),
                **({"parked_until": parked[job.job_id]} if job.job_id in parked else {}),
            }
        )
    return {
        "run": {
            "run_id": run.run_id,
            "state": run.state.value,
            "repo": run.repo_path,
            "repo_id": run.repo_id,
            "repo_here": run.repo_here,  # whether `repo` is this host's checkout
            "artifact_root": snapshot.artifact_root(run),
            "remote": snapshot.remote(run),
            "workflow_id": run.workflow["id"],
            "workflow_path": run.workflow_path,
            "created_at": run.created_at,
            "started_at": run.started_at,
            "ended_at": run.ended_at,
            "ended_reason": run.ended_reason,
        },
        "jobs": job_rows,
        "jobs_shown": "moving" if moving_only else "all",
        **({} if moving_only else {"budget": spends[0].to_dict()}),
        **({} if moving_only else {"lane_budgets": [s.to_dict() for s in spends[1:]]}),
        **(
            {}
            if used is None
            else {"usage": {k: used[k] for k in ("total", "by_lane", "by_provider")}}
        ),
        # `env` as the workflow wrote it: `${VAR}` references, never their values.
        "lanes": {
            name: {
                k: lane.get(k)
                for k in (
                    "provider",
                    "model",
                    "command",
                    "env",
                    "inherit_env",
                    "max_concurrency",
                    "timeout_s",
                    "max_attempts",
                    "sandbox",
                    "placement",
                )
            }
            for name, lane in run.workflow["lanes"].items()
        },
        "leases": [lease.to_dict(shapes.LEASE_LIVE) for lease in leases],
        "open_blockers": [b.to_dict(shapes.BLOCKER_OPEN) for b in blockers],
        "supervisor": watch,
        "next_actions": next_actions(
            run,
            jobs,
            blockers,
            supervisor=watch,
            spent=[spend.lane for spend in spends if spend.reached],
        ),
        # The repository chain's head now: supervisors anchor their commits to it.
        "chain_head": _head(ctx, run.repo_id),
    }


def _head(ctx: Context, repo_id: str) -> dict[str, Any] | None:
    head = chains.read_head(ctx.conn, chains.event_chain(repo_id))
    return None if head is None else {"seq": head.seq, "row_hash": head.row_hash}


def _supervisor(ctx: Context, run: runs.Run) -> dict[str, Any] | None:
    """Who supervises the run (None: nobody ever registered or started one), and whether it
    is gone (null when only its own host can tell)."""
    found = supervisors.get(ctx.conn, run.run_id)
    if found is None:
        return None
    here = found.host == ctx.daemon.host or found.state != "supervising"
    return {**found.to_dict(), "gone": supervision.is_gone(ctx, found) if here else None}


def next_actions(
    run: runs.Run,
    jobs: list[runs.JobRow],
    blockers: list[records.Blocker],
    *,
    supervisor: dict[str, Any] | None = None,
    spent: list[str | None] | None = None,
) -> list[str]:
    """What a caller can do now, as exact commands. A supervised run's ready jobs are its
    supervisor's to claim: wait for it, or `run start` again when it is gone. `spent`: the
    budgets reached (None: the run's, else a lane's)."""
    rid = run.run_id
    if run.state == RunState.PREPARED:
        return [f"striatum run start --run-id {rid}"]
    budget_blockers = [b for b in blockers if b.kind == BlockerKind.BUDGET]
    if budget_blockers:  # only the principal lifts it, by raising each budget reached
        raise_them = [
            f"striatum --as principal run budget --run-id {rid}"
            + ("" if lane is None else f" --lane {lane}")
            + " --usd AMOUNT"
            for lane in (spent or [None])
        ]
        raise_them[0] += f"  ({visible(budget_blockers[0].reason)})"
        return [*raise_them, f"striatum run cancel --run-id {rid}"]
    if run.state == RunState.PAUSED:
        return [f"striatum run resume --run-id {rid}"]
    if run.state in (RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED):
        ended = [f"nothing: the run {run.state.value} ({run.ended_reason})", f"striatum why {rid}"]
        if run.state != RunState.SUCCEEDED:
            ended.append(f"striatum --as principal run retry --run-id {rid}  (or --from JOB)")
        return ended
    actions = []
    for blocker in blockers:
        if blocker.kind == BlockerKind.CHECKPOINT:
            choices = sorted(snapshot.checkpoint(run, blocker.job_id).choices)
            actions.append(
                f"striatum --as principal checkpoint decide --blocker "
                f"{blocker.blocker_id} --choice {'|'.join(choices)}"
            )
        else:
            actions.append(
                f"striatum --as principal escalation resolve --blocker "
                # the agent's reason on this one line: it must not start a line of its own
                f"{blocker.blocker_id} --outcome ...  ({visible(blocker.reason)})"
            )
    ready = [j.job_id for j in jobs if j.state == JobState.READY]
    if supervisor is not None:
        actions += _supervisor_actions(rid, supervisor)
        ready = ready if _by_hand(supervisor) else []
    if ready:
        actions.append(
            f"striatum claim-next --session SESSION --run-id {rid}  (ready: {', '.join(ready)})"
        )
    leased = [j.job_id for j in jobs if j.state == JobState.LEASED]
    if leased:
        actions.append(f"wait for the leased job(s): {', '.join(leased)}")
    return actions or [f"striatum recovery list --run-id {rid}"]


def _by_hand(supervisor: dict[str, Any]) -> bool:
    """No supervisor drives the run, nor is one expected to: the caller claims its jobs."""
    return not supervisor["supervised"] and (
        supervisor["state"] == "left" or bool(supervisor["gone"])
    )


def _supervisor_actions(rid: str, supervisor: dict[str, Any]) -> list[str]:
    if supervisor["gone"] and supervisor["supervised"] and supervisor["streak"] >= MAX_STREAK:
        return [
            f"striatum run start --run-id {rid}  (its last {supervisor['streak']} supervisors "
            f"died at once: read .striatum/supervisor-{rid}.log first)"
        ]
    if supervisor["gone"] and supervisor["supervised"]:
        return [
            f"wait: its supervisor is gone; the daemon on {supervisor['host']} resumes the "
            f"run within seconds (or, on that host: striatum run start --run-id {rid})"
        ]
    if supervisor["gone"]:
        return [f"striatum run start --run-id {rid}  (its supervisor is gone)"]
    if supervisor["state"] == "left":
        return []
    who = f"pid {supervisor['pid']} on {supervisor['host']}" if supervisor["pid"] else "starting"
    return [f"wait: its supervisor ({who}) runs the jobs"]


def why(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """The event history of a run, job, artifact, lease, verdict or blocker."""
    target = params["id"]
    prefix = target.split("_", 1)[0]
    if prefix == "run":
        runs.get(ctx.conn, target)
        found = runs.events(ctx.conn, target)
    elif prefix in ID_KEYS:
        found = runs.events_mentioning(ctx.conn, ID_KEYS[prefix], target)
    elif params.get("run_id"):
        found = runs.events(ctx.conn, params["run_id"], target)
    else:
        raise errors.ValidationError(
            f"{target!r} looks like a job id: give --run-id too", parameter="run_id"
        )
    if not found:
        raise errors.NotFound(f"no events mention {target!r}", id=target)
    result: dict[str, Any] = {"id": target, "events": [e.to_dict() for e in found]}
    if prefix == "vrd":
        verdict = records.get_verdict(ctx.conn, target)
        if verdict is not None:
            result["verdict"] = verdict.to_dict()
    return result


def list_runs(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    if not 1 <= params["limit"] <= 1000:
        raise errors.ValidationError("--limit must be between 1 and 1000", parameter="limit")
    found = runs.list_runs(ctx.conn, state=params.get("state"), limit=params["limit"])
    return {"runs": [r.to_dict() for r in found]}


def list_jobs(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    return {"jobs": run_status(ctx, params["run_id"])["jobs"]}


def list_artifacts(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    runs.get(ctx.conn, params["run_id"])
    found = records.list_artifacts(ctx.conn, params["run_id"])
    return {"artifacts": [a.to_dict(shapes.ARTIFACT_LISTED) for a in found]}


def list_sessions(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    return {"sessions": [session.to_dict() for session in work.list_sessions(ctx.conn)]}


def list_verdicts(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    runs.get(ctx.conn, params["run_id"])
    found = records.list_verdicts(ctx.conn, params["run_id"])
    return {"verdicts": [v.to_dict(shapes.VERDICT_LISTED) for v in found]}


def inbox(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """What waits for the human: open checkpoints and escalations, oldest first."""
    items = records.open_blockers(ctx.conn)
    return {"waiting": [b.to_dict(shapes.BLOCKER_OPEN) for b in items], "count": len(items)}
