"""publish-artifact, complete, verdict, override-verdict."""

from __future__ import annotations

from typing import Any

from striatum import errors
from striatum.engine import (
    commits,
    files,
    leases,
    outcomes,
    progress,
    publishing,
    snapshot,
    workers,
)
from striatum.engine.context import Context
from striatum.engine.ids import new_id
from striatum.model import roles, verdict_text
from striatum.model.engine.plan import GateDecision
from striatum.model.engine.states import JobState, RunState
from striatum.model.roles import Capability
from striatum.store import chains, records, runs, work
from striatum.store.runs import JobRow, Run
from striatum.verbs.work import sessions, usage


def publish_artifact(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    found = leases.held(ctx, params["lease"])
    return publishing.publish(
        ctx, found.run, found.job, found.lease.lease_id, params["path"], params["kind"]
    )


def complete(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    found = leases.held(ctx, params["lease"])
    run, job, lease_id = found.run, found.job, found.lease.lease_id
    _check_then_claim(ctx, params, found.session)
    if params.get("commit") and not commits.is_sha(params["commit"]):
        raise errors.ValidationError(
            "--commit must be a commit id (7 to 64 hex digits)", parameter="commit"
        )
    if params.get("commit") and not commits.made_for(run.checkout(), params["commit"], lease_id):
        raise errors.ValidationError(
            f"--commit {params['commit']} is not a commit of this lease (its trailers must "
            f"say Striatum-Lease: {lease_id})",
            parameter="commit",
        )
    if usage.record_carried(ctx, found, params):  # its budget paused the run
        run = runs.get(ctx.conn, run.run_id)
    missing = publishing.publish_expected(ctx, run, job, lease_id)
    if missing:
        raise errors.ValidationError(
            f"{job.job_id} cannot complete: required artifact(s) missing: {', '.join(missing)}",
            missing=missing,
        )
    if params.get("model"):  # before a review's verdict, which names the reviewer's model
        work.record_reported_model(
            ctx.conn,
            run_id=run.run_id,
            job_id=job.job_id,
            attempt=job.attempt,
            reported_model=params["model"],
        )
    verdict = (
        _review_verdict(ctx, run, job, lease_id, found.lease.session_id)
        if job.kind == "review"
        else None
    )
    succeeded = None
    ready: list[chains.Event] | None = None  # what the success makes ready, when planned now
    if verdict is None:  # recorded in the same statement as the lease's end
        succeeded = progress.move_event(
            ctx,
            run,
            job,
            JobState.SUCCEEDED,
            reason="completed",
            attempt=job.attempt,
            commit=params.get("commit"),
            **({"model": params["model"]} if params.get("model") else {}),
        )
        ready = progress.promotions_after(ctx, run, job)
    ended = progress.end_lease(
        ctx,
        run,
        job,
        lease_id,
        lease_outcome="completed",
        attempt_state="succeeded",
        commit_sha=params.get("commit"),
        then=[] if succeeded is None else [succeeded, *(ready or [])],
    )
    recorded = ended[1] if succeeded else None  # after lease.ended
    if verdict is not None:
        outcomes.settle_review(ctx, run, job, verdict)
    if ready is None:
        progress.promote(ctx, run)
    following = _then_claim(ctx, params, run, found.session)
    if not (following or {}).get("claimed"):
        run = progress.settle(ctx, run)
        if following is not None and run.state != RunState.RUNNING:
            following = {"claimed": False, "reason": f"the run is {run.state.value}"}
    elif progress.CROSSCHECK:  # a job just leased: the run cannot end now, nothing to settle
        progress.crosscheck(ctx, run)
    state = (
        JobState.SUCCEEDED if verdict is None else runs.job(ctx.conn, run.run_id, job.job_id).state
    )
    return {
        "job_id": job.job_id,
        "state": state.value,
        "attempt": job.attempt,
        "verdict": None if verdict is None else verdict.value.value,
        "run_state": run.state.value,
        # What this completion made ready (and `then_claim` did not take).
        "ready": progress.now_ready(ctx, run),
        **({} if following is None else {"next": following}),
        # The event that recorded the success: provenance commits carry it as an anchor.
        "event_hash": None if recorded is None else recorded.row_hash,
        "event_seq": None if recorded is None else recorded.seq,
    }


def _check_then_claim(ctx: Context, params: dict[str, Any], session: work.Session | None) -> None:
    """Refuse a `--then-claim` the caller may not make, before anything is done."""
    if not params.get("then_claim"):
        if params.get("then_lane"):
            raise errors.ValidationError("--then-lane needs --then-claim", parameter="then_lane")
        return
    if not roles.allows(ctx.caller.role, Capability.DRIVE):
        raise errors.PermissionDenied(
            f"--then-claim claims work, which role {ctx.caller.role.value!r} may not do "
            "(it needs capability 'drive')",
            capability=Capability.DRIVE.value,
        )
    if session is None:
        raise errors.ValidationError(
            "--then-claim needs a lease claimed by a session", parameter="then_claim"
        )


def _then_claim(
    ctx: Context, params: dict[str, Any], run: Run, session: work.Session | None
) -> dict[str, Any] | None:
    """`--then-claim`: the same session's next claim in the run, in this request (one round
    trip per job in steady state). None when not asked for."""
    if not params.get("then_claim") or session is None:
        return None
    if run.state != RunState.RUNNING:
        return {"claimed": False, "reason": f"the run is {run.state.value}"}
    if session.closed_at is not None:  # the completion stands; only the claim is refused
        return {"claimed": False, "reason": f"session {session.session_id} is closed"}
    return sessions.claim(
        ctx,
        session.session_id,
        lane=params.get("then_lane"),
        run_id=run.run_id,
        locked=run,
        session=session,
    )


def verdict(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    found = leases.held(ctx, params["lease"])
    if found.job.kind != "review":
        raise errors.Conflict(f"{found.job.job_id} is a {found.job.kind}, not a review")
    findings_id = None
    if params.get("findings"):
        findings_id = publishing.publish(
            ctx, found.run, found.job, found.lease.lease_id, params["findings"], "findings"
        )["artifact_id"]
    verdict_id = record_verdict(
        ctx, found.run, found.job, params["value"], findings_id, reviewer=found.lease.session_id
    )
    return {
        "verdict_id": verdict_id,
        "value": params["value"],
        "job_id": found.job.job_id,
        "applies_on": "complete",
    }


def record_verdict(
    ctx: Context,
    run: Run,
    review: JobRow,
    value: str,
    findings_id: str | None,
    *,
    reviewer: str | None,
    overrides: str | None = None,
    reason: str | None = None,
    applied: bool = False,
) -> str:
    """Record a verdict with who actually reviewed and who actually did the work it judges
    (the attempts' recorded providers, else their lanes'), and whether they differed."""
    target = snapshot.gate(run, review.job_id).target
    mine = workers.of_attempt(ctx, run, review.job_id, review.lane, review.attempt)
    target_lane, theirs = workers.author(ctx, run, target)
    verdict_id = new_id("vrd")
    cross = mine.identity != theirs.identity
    records.insert_verdict(
        ctx.conn,
        verdict_id=verdict_id,
        run_id=run.run_id,
        review_job_id=review.job_id,
        target_job_id=target,
        attempt=review.attempt,
        value=value,
        findings_artifact_id=findings_id,
        actor=ctx.actor,
        overrides=overrides,
        reason=reason,
        reviewer=reviewer,
        reviewer_lane=review.lane,
        reviewer_provider=mine.provider,
        reviewer_model=mine.model,
        author_lane=target_lane,
        author_provider=theirs.provider,
        author_model=theirs.model,
        cross_provider=cross,
        applied=applied,
    )
    progress.emit(
        ctx,
        run,
        "verdict.recorded",
        review.job_id,
        verdict_id=verdict_id,
        value=value,
        target=target,
        cross_provider=cross,
        overrides=overrides,
        reason=reason,
        findings_artifact_id=findings_id,
    )
    return verdict_id


def _review_verdict(
    ctx: Context, run: Run, job: JobRow, lease_id: str, session: str | None
) -> records.Verdict:
    """The verdict given with the verb, else the one in the review artifact's front matter
    (read only if the file still has the SHA-256 recorded when it was published)."""
    pending = records.pending_verdict(
        ctx.conn, run_id=run.run_id, job_id=job.job_id, attempt=job.attempt
    )
    if pending is not None:
        return pending
    problems = []
    for artifact in records.attempt_artifacts(
        ctx.conn, run_id=run.run_id, job_id=job.job_id, attempt=job.attempt
    ):
        text = files.read_recorded(run.checkout(), artifact.path, artifact.sha256)
        if text is None:
            problems.append(
                f"{artifact.path}: changed since it was published (its "
                "SHA-256 no longer matches), so its verdict is not believed"
            )
            continue
        reading = verdict_text.read(text)
        if reading.value is not None:
            verdict_id = record_verdict(
                ctx, run, job, reading.value, artifact.artifact_id, reviewer=session
            )
            recorded = records.get_verdict(ctx.conn, verdict_id)
            assert recorded is not None  # written just now, in this transaction
            return recorded
        problems.append(f"{artifact.path}: {reading.problem}")
    raise errors.ValidationError(
        f"review {job.job_id} (attempt {job.attempt}) gave no verdict: "
        + ("; ".join(problems) if problems else "it published no artifact")
        + f". Start the review file with:\n{verdict_text.FORMAT}",
        hint="or give it with the `verdict` verb while the lease lives",
        job_id=job.job_id,
        lease_id=lease_id,
    )


def override_verdict(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """The principal decides a gate that waits for a human (revision bound reached)."""
    run = runs.lock(ctx.conn, params["run_id"])
    jobs = {j.job_id: j for j in runs.jobs(ctx.conn, run.run_id)}
    review = jobs.get(params["job"])
    if review is None or review.kind != "review":
        raise errors.NotFound(f"no review job {params['job']!r} in run {run.run_id}")
    if review.state != JobState.WAITING:
        raise errors.Conflict(
            f"review {review.job_id} is {review.state.value}; a verdict can "
            "be overridden while its gate waits for the human"
        )
    overridden = records.latest_verdict(ctx.conn, run_id=run.run_id, job_id=review.job_id)
    verdict_id = record_verdict(
        ctx,
        run,
        review,
        params["value"],
        None,
        reviewer=None,
        reason=params["reason"],
        overrides=overridden,
        applied=True,
    )
    decision = {
        "accept": GateDecision.ACCEPT,
        "needs_revision": GateDecision.REVISE,
        "reject": GateDecision.FAIL,
    }[params["value"]]
    settle_escalated_gate(ctx, run, review, decision, verdict_id, params["reason"])
    run = progress.advance(ctx, runs.get(ctx.conn, run.run_id))
    return {"verdict_id": verdict_id, "job_id": review.job_id, "run_state": run.state.value}


def settle_escalated_gate(
    ctx: Context,
    run: Run,
    review: JobRow,
    decision: GateDecision,
    verdict_id: str | None,
    note: str,
) -> None:
    """Close the gate's open escalation and apply the human's decision; the human's note (if
    any) is kept for the prompts of the jobs that follow."""
    for blocker in records.open_blockers(ctx.conn, run.run_id):
        if blocker.job_id == review.job_id:
            records.resolve_blocker(
                ctx.conn,
                blocker_id=blocker.blocker_id,
                resolution=note or decision.value,
                resolved_by=ctx.actor,
                outcome=decision.value,
                note=note or None,
            )
            progress.emit(
                ctx,
                run,
                "escalation.resolved",
                review.job_id,
                blocker_id=blocker.blocker_id,
                outcome=decision.value,
                note=note or decision.value,
            )
    target = snapshot.gate(run, review.job_id).target
    outcomes.apply_gate(ctx, run, review, decision, verdict_id or "", target)
