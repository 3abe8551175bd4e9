"""Reading a run's frozen workflow: job specs, lanes, and the files it was prepared with.

The snapshot is stored as JSON; it is read here as the validated `Workflow` model, parsed once
per snapshot and process, so its defaults live only in `model.workflow.schema`.
"""

from __future__ import annotations

from dataclasses import dataclass

from striatum.model.packet import ExpectedArtifact
from striatum.model.workflow.schema import Checkpoint, Job, Lane, ReviewGate, Workflow
from striatum.store.runs import Run


@dataclass(frozen=True)
class _Index:
    workflow: Workflow
    jobs: dict[str, Job]  # job id -> its spec
    reviews_of: dict[str, list[str]]  # job id -> the reviews whose gate judges it
    dependents: dict[str, list[str]]  # job id -> the jobs that depend on it, in order
    checkpoint_paths: dict[str, dict[str, tuple[str, ...]]]  # checkpoint -> choice -> jobs


_INDEXES: dict[str, _Index] = {}  # by snapshot SHA-256: a snapshot never changes
_INDEXES_KEPT = 32


def _index(run: Run) -> _Index:
    """The model, and look-ups by job id in O(1): a transition must not scan a 5,000-job
    workflow. Built once per snapshot and process (a race builds it twice, harmlessly)."""
    found = _INDEXES.get(run.sha256)
    if found is None:
        workflow = Workflow.model_validate(run.workflow)
        jobs = {j.id: j for j in workflow.jobs}
        reviews: dict[str, list[str]] = {}
        dependents: dict[str, list[str]] = {}
        for job in workflow.jobs:
            if job.review is not None:
                reviews.setdefault(job.review.target, []).append(job.id)
            for parent in job.depends_on:
                dependents.setdefault(parent, []).append(job.id)
        paths = {
            job.id: {choice: tuple(jobs) for choice, jobs in job.checkpoint.choices.items()}
            for job in workflow.jobs
            if job.checkpoint is not None
        }
        if len(_INDEXES) >= _INDEXES_KEPT:
            _INDEXES.pop(next(iter(_INDEXES)), None)
        found = _INDEXES[run.sha256] = _Index(
            workflow=workflow,
            jobs=jobs,
            reviews_of=reviews,
            dependents=dependents,
            checkpoint_paths=paths,
        )
    return found


def workflow(run: Run) -> Workflow:
    """The run's workflow, validated (shared and frozen: never change it)."""
    return _index(run).workflow


def job_spec(run: Run, job_id: str) -> Job:
    return _index(run).jobs[job_id]


def lane_spec(run: Run, lane: str | None) -> Lane | None:
    """The lane's spec; None for a job without one (a checkpoint)."""
    return workflow(run).lanes.get(lane or "")


def gate(run: Run, review_id: str) -> ReviewGate:
    """The gate of a review job (validation requires one on every review)."""
    found = job_spec(run, review_id).review
    if found is None:
        raise ValueError(f"job {review_id} has no review gate")
    return found


def checkpoint(run: Run, job_id: str) -> Checkpoint:
    """The question and choices of a checkpoint job (validation requires them)."""
    found = job_spec(run, job_id).checkpoint
    if found is None:
        raise ValueError(f"job {job_id} has no checkpoint")
    return found


def file_text(run: Run, relative: str | None) -> str:
    if not relative:
        return ""
    text: str = run.body.get("files", {}).get(relative, "")
    return text


def checkpoint_paths(run: Run) -> dict[str, dict[str, tuple[str, ...]]]:
    """Checkpoint id -> choice -> the jobs it releases (shared: never change it)."""
    return _index(run).checkpoint_paths


def dependents(run: Run, job_id: str) -> list[str]:
    """The jobs that depend on `job_id` directly, in workflow order."""
    return list(_index(run).dependents.get(job_id, []))


def artifact_root(run: Run) -> str:
    return workflow(run).artifact_root


def remote(run: Run) -> str:
    """The git remote the run's branch travels through (lanes placed on workers)."""
    return workflow(run).remote


def write_scope(run: Run, job_id: str, attempt: int | None = None) -> list[str]:
    """The job's write scope; for an attempt, a scope inside the artifact root is moved to
    that attempt's folder the way its artifacts are (`attempt_path`), so a scope validated
    against the declared artifact paths also holds the paths the attempt really writes."""
    scope = job_spec(run, job_id).write_scope
    scopes = list(scope) if scope is not None else [artifact_root(run)]
    if attempt is None:
        return scopes
    return [attempt_path(run, job_id, attempt, s) for s in scopes]


def reviews_of(run: Run, job_id: str) -> list[str]:
    """The review jobs whose gate judges `job_id` (a human's note on them is for its author)."""
    return list(_index(run).reviews_of.get(job_id, []))


def forbidden_paths(run: Run) -> list[str]:
    return list(workflow(run).forbidden_paths)


def context_docs(run: Run) -> list[str]:
    return list(workflow(run).context_docs)


def attempt_path(run: Run, job_id: str, attempt: int, declared: str) -> str:
    """Where an attempt writes a declared artifact: under the artifact root, per run, job and
    attempt, so no attempt ever overwrites another's. Paths outside the root stay as declared
    (a code change writes the code where it lives)."""
    root = artifact_root(run).rstrip("/")
    if declared == root or not declared.startswith(root + "/"):
        return declared
    inner = declared[len(root) + 1 :]
    return f"{root}/{run.run_id}/{job_id}/attempt-{attempt}/{inner}"


def expected_artifacts(run: Run, job_id: str, attempt: int) -> list[ExpectedArtifact]:
    return [
        {
            "path": attempt_path(run, job_id, attempt, a.path),
            "declared": a.path,
            "kind": a.kind,
            "required": a.required,
        }
        for a in job_spec(run, job_id).artifacts
    ]
