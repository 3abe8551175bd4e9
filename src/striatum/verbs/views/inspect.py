"""run.graph, job.show, artifact.show: what a person needs to look at one run closely.

Files in the repository (prompts, agent logs, artifacts) are read only through the safe
readers of `engine.files` (regular files, no symlink at the end, sizes capped).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from striatum import errors
from striatum.engine import files, snapshot
from striatum.engine.context import Context
from striatum.store import attempts, feed, records, runs, work
from striatum.verbs import shapes

MAX_PROMPT_BYTES = 64 << 10
MAX_LOG_READ_BYTES = 256 << 10  # the log tail is cut from this much of the file's start
LOG_TAIL_BYTES = 16 << 10
MAX_ARTIFACT_VIEW_BYTES = 1 << 20


def run_graph(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """The run's jobs as a graph: nodes, dependency edges, revision routes, checkpoint
    branches."""
    run = runs.get(ctx.conn, params["run_id"])
    nodes = [_node(run, job) for job in runs.jobs(ctx.conn, run.run_id)]
    return {
        "run_id": run.run_id,
        "state": run.state.value,
        "nodes": nodes,
        "edges": [
            {"from": parent, "to": node["job_id"]}
            for node in nodes
            for parent in node["depends_on"]
        ],
        "revision_routes": _revision_routes(run),
        "checkpoint_branches": _checkpoint_branches(run),
        "last_seq": feed.last_seq(ctx.conn, run.run_id),
    }


def _node(run: runs.Run, job: runs.JobRow) -> dict[str, Any]:
    lane = snapshot.lane_spec(run, job.lane)
    return {
        "job_id": job.job_id,
        "kind": job.kind,
        "state": job.state.value,
        "attempt": job.attempt,
        "max_attempts": job.max_attempts,
        "revisions": job.revisions,
        "lane": job.lane,
        "provider": lane.provider if lane else None,
        "model": lane.model if lane else None,
        "depends_on": list(job.depends_on),
        "title": snapshot.job_spec(run, job.job_id).title,
    }


def _revision_routes(run: runs.Run) -> list[dict[str, Any]]:
    """Each review gate points back at the job it may send for revision."""
    return [
        {"review": job.id, "target": job.review.target, "max_revisions": job.review.max_revisions}
        for job in snapshot.workflow(run).jobs
        if job.review is not None
    ]


def _checkpoint_branches(run: runs.Run) -> list[dict[str, Any]]:
    return [
        {"checkpoint": checkpoint, "choice": choice, "jobs": list(jobs)}
        for checkpoint, paths in snapshot.checkpoint_paths(run).items()
        for choice, jobs in sorted(paths.items())
    ]


def job_show(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """One job: attempts, leases, prompt, log tails, artifacts, verdicts, blockers, events."""
    run = runs.get(ctx.conn, params["run_id"])
    job = next((j for j in runs.jobs(ctx.conn, run.run_id) if j.job_id == params["job"]), None)
    if job is None:
        raise errors.NotFound(f"no job {params['job']!r} in run {run.run_id}", job=params["job"])
    scratch = (
        run.checkout() / ".striatum" / "runs" / run.run_id / job.job_id / f"attempt-{job.attempt}"
    )
    return {
        "run": {
            "run_id": run.run_id,
            "state": run.state.value,
            "repo": run.repo_path,
            "workflow_id": run.workflow["id"],
        },
        "job": _node(run, job),
        "attempts": [
            a.to_dict(shapes.ATTEMPT_LISTED)
            for a in attempts.of_job(ctx.conn, run.run_id, job.job_id)
        ],
        "leases": [
            lease.to_dict(shapes.LEASE_LISTED)
            for lease in work.list_leases(ctx.conn, run.run_id)
            if lease.job_id == job.job_id
        ],
        "prompt": _text(scratch / "prompt.md", MAX_PROMPT_BYTES),
        "logs": {name: _tail(scratch / f"{name}.log") for name in ("stdout", "stderr")},
        "artifacts": [
            a.to_dict(shapes.ARTIFACT_LISTED)
            for a in records.list_artifacts(ctx.conn, run.run_id)
            if a.job_id == job.job_id
        ],
        "verdicts": [
            v.to_dict(shapes.VERDICT_LISTED)
            for v in records.list_verdicts(ctx.conn, run.run_id)
            if job.job_id in (v.review_job_id, v.target_job_id)
        ],
        "open_blockers": [
            b.to_dict(shapes.BLOCKER_OPEN)
            for b in records.open_blockers(ctx.conn, run.run_id)
            if b.job_id == job.job_id
        ],
        "events": [e.to_dict() for e in runs.events(ctx.conn, run.run_id, job.job_id)[-50:]],
        "last_seq": feed.last_seq(ctx.conn, run.run_id),
    }


def _text(path: Path, limit: int) -> dict[str, Any] | None:
    data = files.read_head(path, limit + 1)
    if data is None:
        return None
    return {
        "path": str(path),
        "text": data[:limit].decode("utf-8", "replace"),
        "truncated": len(data) > limit,
    }


def _tail(path: Path) -> dict[str, Any] | None:
    """The end of what is read of a log (its first MAX_LOG_READ_BYTES)."""
    data = files.read_head(path, MAX_LOG_READ_BYTES + 1)
    if data is None:
        return None
    cut = data[:MAX_LOG_READ_BYTES]
    return {
        "path": str(path),
        "text": cut[-LOG_TAIL_BYTES:].decode("utf-8", "replace"),
        "truncated": len(cut) > LOG_TAIL_BYTES,
        "beyond_read_limit": len(data) > MAX_LOG_READ_BYTES,
    }


def artifact_show(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    """An artifact's record, its text (only if the file still has its recorded SHA-256), and
    the events that mention it (the first one recorded it)."""
    artifact = records.get_artifact(ctx.conn, params["artifact"])
    run = runs.get(ctx.conn, artifact.run_id)
    content, status = None, "too_large"
    if artifact.size_bytes <= MAX_ARTIFACT_VIEW_BYTES:
        content = files.read_recorded(
            run.checkout(), artifact.path, artifact.sha256, MAX_ARTIFACT_VIEW_BYTES
        )
        status = "ok" if content is not None else "changed_or_missing"
    found = runs.events_mentioning(ctx.conn, "artifact_id", artifact.artifact_id, limit=50)
    events = [e.to_dict() for e in found]
    return {
        "artifact": artifact.to_dict(),
        "repo": run.repo_path,
        "workflow_id": run.workflow["id"],
        "content": content,
        "content_status": status,
        "recorded_by": events[0] if events else None,
        "events": events,
    }
