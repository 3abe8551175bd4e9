"""The work packet a claim returns: everything an agent needs, and nothing to guess."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from striatum.engine import commits, files, snapshot, workers
from striatum.engine.context import Context
from striatum.model import verdict_text
from striatum.model.packet import (
    Commands,
    ExpectedArtifact,
    Findings,
    HumanNote,
    LaneSpec,
    Revision,
    RevisionAsk,
    UnderReview,
    UpstreamArtifact,
    WorkPacket,
)
from striatum.model.workflow.paths import within
from striatum.model.workflow.schema import Job, Lane
from striatum.store import records, runs, work
from striatum.store.runs import JobRow, Run

# A human note as the packet shows it: the blocker it was left on.


def build(
    ctx: Context,
    run: Run,
    job: JobRow,
    attempt: int,
    lease: work.Lease,
    lane_token: str,
    ttl_s: int,
    published: list[dict[str, Any]],
) -> WorkPacket:
    """`published`: what the job's parents' current attempts published, oldest first, read
    with the claim (`work.insert_attempt_and_lease`)."""
    spec = snapshot.job_spec(run, job.job_id)
    lane = snapshot.lane_spec(run, job.lane)
    if lane is None:  # validation gives every job but a checkpoint a lane; none is claimed
        raise ValueError(f"job {job.job_id} has no lane to run on")
    inputs = upstream_artifacts(job, published)
    revision = revision_input(ctx, run, job)
    expected = snapshot.expected_artifacts(run, job.job_id, attempt)
    lease_id = lease.lease_id
    brief = Brief(
        run_id=run.run_id,
        job_id=job.job_id,
        kind=job.kind,
        attempt=attempt,
        max_attempts=job.max_attempts,
        lease_id=lease_id,
        write_scope=snapshot.write_scope(run, job.job_id, attempt),
        forbidden=snapshot.forbidden_paths(run),
        context_docs=snapshot.context_docs(run),
        under_review=under_review(ctx, run, spec),
        human_notes=human_notes(ctx, run, job),
    )
    return {
        "job": {
            "run_id": run.run_id,
            "job_id": job.job_id,
            "kind": job.kind,
            "title": spec.title,
            "lane": job.lane,
            "provider": lane.provider,
            "model": lane.model,
            "attempt": attempt,
            "max_attempts": job.max_attempts,
        },
        "lease": {"lease_id": lease_id, "expires_at": str(lease.expires_at), "ttl_s": ttl_s},
        "token": lane_token,
        "repo": run.repo_path,
        "prompt": render_prompt(run, spec, inputs, revision, expected, brief),
        "inputs": inputs,
        "revision": revision,
        "expected_artifacts": expected,
        "write_scope": brief.write_scope,
        "forbidden_paths": brief.forbidden,
        "context_docs": brief.context_docs,
        "under_review": brief.under_review,
        "human_notes": brief.human_notes,
        "commands": follow_ups(lease_id, job.kind, expected),
        # For supervisors: how to run this job's agent.
        "lane_spec": lane_spec(lane),
        "workflow_dir": str(Path(run.workflow_path).parent) if run.workflow_path else None,
        "artifact_root": snapshot.artifact_root(run),
    }


def lane_spec(lane: Lane) -> LaneSpec:
    """The lane as the snapshot holds it: every field, defaults included (a fresh copy)."""
    return {
        "provider": lane.provider,
        "command": list(lane.command),
        "model": lane.model,
        "timeout_s": lane.timeout_s,
        "max_concurrency": lane.max_concurrency,
        "max_attempts": lane.max_attempts,
        "park_backoff_s": lane.park_backoff_s,
        "max_parks": lane.max_parks,
        "env": dict(lane.env),
        "inherit_env": lane.inherit_env,
        "sandbox": lane.sandbox,
        "allow_hosts": list(lane.allow_hosts),
        "placement": lane.placement,
        "budget": (
            None
            if lane.budget is None
            else {"usd": lane.budget.usd, "tokens": lane.budget.tokens, "hard": lane.budget.hard}
        ),
    }


def human_notes(ctx: Context, run: Run, job: JobRow) -> list[HumanNote]:
    """The human's notes on this job, its dependencies and the reviews that judge it."""
    if not run.has_notes:  # none anywhere in the run: nothing to read
        return []
    jobs = [job.job_id, *job.depends_on, *snapshot.reviews_of(run, job.job_id)]
    return [
        {
            "job_id": note.job_id,
            "kind": note.kind.value,
            "outcome": note.outcome,
            "note": note.note or "",
            "resolved_by": note.resolved_by,
            "resolved_at": _wire_time(note.resolved_at),
        }
        for note in records.human_notes(ctx.conn, run.run_id, jobs)
    ]


def _wire_time(value: object) -> str | None:
    """A time as the envelope writes it (`str`), so the packet's type is its JSON."""
    return None if value is None else str(value)


@dataclass(frozen=True, kw_only=True)
class Brief:
    """What the agent must know about its lease, beyond the task itself."""

    run_id: str
    job_id: str
    kind: str
    attempt: int
    max_attempts: int
    lease_id: str
    write_scope: list[str]
    forbidden: list[str]
    context_docs: list[str]
    under_review: UnderReview | None
    human_notes: list[HumanNote]


def under_review(ctx: Context, run: Run, spec: Job) -> UnderReview | None:
    """For a review: the job it judges, the commits its attempts made in this run, and what
    they changed together inside its write scope (every revision, not only the last)."""
    if spec.kind != "review" or spec.review is None:
        return None
    target = runs.job(ctx.conn, run.run_id, spec.review.target)
    made = work.attempt_commits(ctx.conn, run_id=run.run_id, job_id=target.job_id)
    _, author = workers.author(ctx, run, target.job_id)
    root = snapshot.artifact_root(run)
    scopes = [s for s in snapshot.write_scope(run, target.job_id) if not within(s, root)]
    shas = [sha for _, sha in made]
    return {
        "job_id": target.job_id,
        "attempt": target.attempt,
        "model": author.model,
        "commits": [{"attempt": attempt, "commit": sha} for attempt, sha in made],
        "commit": shas[-1] if shas else None,
        "diff": commits.show_range(run.checkout(), shas, scopes) if shas else None,
    }


def upstream_artifacts(job: JobRow, published: list[dict[str, Any]]) -> list[UpstreamArtifact]:
    """The job's inputs, parent by parent (in the order it names them), each parent's oldest
    first: `published` is what its parents' current attempts published, oldest first."""
    by_parent: dict[str, list[dict[str, Any]]] = {}
    for artifact in published:
        by_parent.setdefault(artifact["job_id"], []).append(artifact)
    return [
        {
            "job_id": artifact["job_id"],
            "attempt": artifact["attempt"],
            "path": artifact["path"],
            "sha256": artifact["sha256"],
            "artifact_id": artifact["artifact_id"],
        }
        for parent in job.depends_on
        for artifact in by_parent.get(parent, [])
    ]


def revision_input(ctx: Context, run: Run, job: JobRow) -> Revision | None:
    """For a revision attempt: every verdict that asked for it, with its findings text."""
    asked: list[RevisionAsk] = []
    for verdict_id in job.revision_verdicts:
        verdict = records.get_verdict(ctx.conn, verdict_id)
        if verdict is None:
            continue
        findings: Findings | None = None
        if verdict.findings_artifact_id:
            artifact = records.get_artifact(ctx.conn, verdict.findings_artifact_id)
            text = files.read_recorded(run.checkout(), artifact.path, artifact.sha256)
            findings = {
                "path": artifact.path,
                "text": text
                if text is not None
                else "(the findings file changed since it was published)",
            }
        asked.append(
            {
                "verdict_id": verdict.verdict_id,
                "review_job_id": verdict.review_job_id,
                "value": verdict.value.value,
                "findings": findings,
            }
        )
    if not asked:
        return None
    first = asked[0]
    return {
        "verdict_id": first["verdict_id"],
        "review_job_id": first["review_job_id"],
        "value": first["value"],
        "findings": first["findings"],
        "all": asked,
    }


def render_prompt(
    run: Run,
    spec: Job,
    inputs: list[UpstreamArtifact],
    revision: Revision | None,
    expected: list[ExpectedArtifact],
    brief: Brief,
) -> str:
    roles = snapshot.workflow(run).roles
    parts = []
    role_text = snapshot.file_text(run, roles.get(spec.role or ""))
    if role_text:
        parts.append(role_text.strip())
    parts.append(snapshot.file_text(run, spec.prompt).strip() or f"# {spec.id}\n\n{spec.title}")
    parts.append(_job_section(brief))
    if brief.context_docs:
        parts.append("## Read first\n\n" + "\n".join(f"- `{d}`" for d in brief.context_docs))
    if brief.human_notes:
        parts.append(
            "## From the human\n\n"
            + "\n".join(
                f"- On `{n['job_id']}` ({n['kind']}, {n['outcome']}): {n['note']}"
                for n in brief.human_notes
            )
        )
    if brief.under_review is not None:
        parts.append(_review_section(brief.under_review))
    if inputs:
        parts.append(
            "## Inputs\n\n"
            + "\n".join(
                f"- `{i['path']}` (from {i['job_id']}, attempt {i['attempt']})" for i in inputs
            )
        )
    if revision is not None:
        for asked in revision["all"]:
            findings = asked["findings"]
            text = findings["text"] if findings else "(the review gave no findings file)"
            parts.append(f"## Revision requested by {asked['review_job_id']}\n\n{text.strip()}")
    if expected:
        parts.append(
            "## Write\n\n"
            + "\n".join(
                f"- `{e['path']}`{' (required)' if e['required'] else ''}" for e in expected
            )
        )
    if spec.kind == "review":
        target = expected[0]["path"] if expected else "your review file"
        parts.append(
            f"## Verdict\n\nStart `{target}` with this front matter, choosing one "
            f"value:\n\n{verdict_text.FORMAT}\n\nIt is read when the job "
            "completes. (An operator holding the lease may give it with the "
            "`verdict` tool instead.)"
        )
    return "\n\n".join(parts) + "\n"


def _job_section(brief: Brief) -> str:
    lines = [
        f"- Run: `{brief.run_id}`; job: `{brief.job_id}` ({brief.kind}), attempt "
        f"{brief.attempt} of {brief.max_attempts}",
        f"- Lease: `{brief.lease_id}` (also in $STRIATUM_LEASE)",
        "- You may write only under: " + ", ".join(f"`{s}`" for s in brief.write_scope),
    ]
    if brief.forbidden:
        lines.append("- Never change: " + ", ".join(f"`{p}`" for p in brief.forbidden))
    lines.append("- Changes anywhere else fail this attempt and are thrown away.")
    return "## This job\n\n" + "\n".join(lines)


def _review_section(target: UnderReview) -> str:
    head = f"## Under review\n\nJob `{target['job_id']}`, attempt {target['attempt']}"
    if not target["commits"]:
        return head + ": it changed no code (judge its artifacts under Inputs)."
    listed = ", ".join(f"`{c['commit']}` (attempt {c['attempt']})" for c in target["commits"])
    first, last = target["commits"][0]["commit"], target["commits"][-1]["commit"]
    head += (
        f". Its commits in this run: {listed}; together, inside its write scope "
        f"(`git diff {first}^ {last}`):"
    )
    diff = target["diff"]
    if diff is None:
        return head
    fence = "`" * max(3, _longest_backtick_run(diff) + 1)
    return f"{head}\n\n{fence}diff\n{diff.rstrip()}\n{fence}"


def _longest_backtick_run(text: str) -> int:
    longest = current = 0
    for char in text:
        current = current + 1 if char == "`" else 0
        longest = max(longest, current)
    return longest


def follow_ups(lease_id: str, kind: str, expected: list[ExpectedArtifact]) -> Commands:
    first = expected[0]["path"] if expected else "PATH"
    commands: Commands = {
        "heartbeat": f"striatum heartbeat --lease {lease_id}",
        "publish": f"striatum publish-artifact --lease {lease_id} --path {first}",
        "complete": f"striatum complete --lease {lease_id}",
        "fail": f"striatum fail --lease {lease_id} --reason TEXT",
        "block": f"striatum block --lease {lease_id} --reason TEXT",
        "release": f"striatum release --lease {lease_id}",
    }
    if kind == "review":
        commands["verdict"] = (
            f"striatum verdict --lease {lease_id} --value "
            f"accept|needs_revision|reject --findings {first}"
        )
    return commands
