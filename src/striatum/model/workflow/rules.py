"""Cross-field rules of a workflow: every check returns all its problems at once."""

from __future__ import annotations

from collections.abc import Iterator

from striatum.model.workflow import dag, lane_env, placeholders
from striatum.model.workflow.paths import normalized, path_problem, within
from striatum.model.workflow.problems import Problem, json_path
from striatum.model.workflow.schema import Job, Workflow

CANCEL = "cancel"


def check(workflow: Workflow) -> list[Problem]:
    """Every rule, in a stable order."""
    problems: list[Problem] = []
    for rule in (
        _ids,
        _lanes,
        _lane_env,
        _roles,
        _dependencies,
        _reviews,
        _checkpoints,
        _readiness,
        _artifacts,
        _documents,
        _smells,
        _budget,
    ):
        problems.extend(rule(workflow))
    return problems


def _budget(workflow: Workflow) -> Iterator[Problem]:
    budgets = [(json_path("budget"), workflow.budget)] + [
        (json_path("lanes", name, "budget"), lane.budget) for name, lane in workflow.lanes.items()
    ]
    for where, budget in budgets:
        if budget is not None and budget.usd is None and not budget.tokens:
            yield Problem(path=where, message="a budget needs usd, tokens or both")


def _jobs(workflow: Workflow) -> Iterator[tuple[int, Job]]:
    return enumerate(workflow.jobs)


def _edges(workflow: Workflow) -> dict[str, list[str]]:
    edges: dict[str, list[str]] = {}
    for job in workflow.jobs:
        edges.setdefault(job.id, list(job.depends_on))
    return edges


def _ids(workflow: Workflow) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for index, job in _jobs(workflow):
        if job.id in seen:
            yield Problem(
                path=json_path("jobs", index, "id"),
                message=f"duplicate job id {job.id!r} (first at jobs[{seen[job.id]}])",
            )
        seen.setdefault(job.id, index)


def _lanes(workflow: Workflow) -> Iterator[Problem]:
    for name, lane in workflow.lanes.items():
        if lane.provider == "command" and not lane.command:
            yield Problem(
                path=json_path("lanes", name, "command"),
                message="a command lane needs its argv template",
            )
    for index, job in _jobs(workflow):
        where = json_path("jobs", index, "lane")
        if job.kind == "checkpoint":
            if job.lane is not None:
                yield Problem(
                    path=where,
                    message="a checkpoint is decided by the human principal; it takes no lane",
                )
        elif job.lane is None:
            yield Problem(path=where, message=f"a {job.kind} job needs a lane")
        elif job.lane not in workflow.lanes:
            yield Problem(
                path=where,
                message=f"unknown lane {job.lane!r}; lanes: " + ", ".join(sorted(workflow.lanes)),
            )


def _lane_env(workflow: Workflow) -> Iterator[Problem]:
    for name, lane in workflow.lanes.items():
        for variable, value in lane.env.items():
            if problem := lane_env.problem(variable, value):
                yield Problem(path=json_path("lanes", name, "env", variable), message=problem)


def _roles(workflow: Workflow) -> Iterator[Problem]:
    for name, file in workflow.roles.items():
        problem = path_problem(file)
        if problem:
            yield Problem(path=json_path("roles", name), message=f"role file {problem}")
    for index, job in _jobs(workflow):
        if job.role is not None and job.role not in workflow.roles:
            yield Problem(
                path=json_path("jobs", index, "role"), message=f"unknown role {job.role!r}"
            )
        if job.prompt is not None and (problem := path_problem(job.prompt)):
            yield Problem(path=json_path("jobs", index, "prompt"), message=f"prompt file {problem}")


def _dependencies(workflow: Workflow) -> Iterator[Problem]:
    known = {job.id for job in workflow.jobs}
    for index, job in _jobs(workflow):
        for position, parent in enumerate(job.depends_on):
            where = json_path("jobs", index, "depends_on", position)
            if parent == job.id:
                yield Problem(path=where, message="a job cannot depend on itself")
            elif parent not in known:
                yield Problem(path=where, message=f"unknown job {parent!r}")
        if len(set(job.depends_on)) != len(job.depends_on):
            yield Problem(path=json_path("jobs", index, "depends_on"), message="lists a job twice")
    cycle = dag.find_cycle({k: [p for p in v if p != k] for k, v in _edges(workflow).items()})
    if cycle:
        index = next(i for i, job in _jobs(workflow) if job.id == cycle[0])
        yield Problem(
            path=json_path("jobs", index, "depends_on"),
            message="dependency cycle "
            + " -> ".join(cycle)
            + " (only a review gate's revision route may point back)",
        )


def _reviews(workflow: Workflow) -> Iterator[Problem]:
    by_id = {job.id: job for job in workflow.jobs}
    edges = _edges(workflow)
    for index, job in _jobs(workflow):
        where = json_path("jobs", index, "review")
        if job.kind != "review":
            if job.review is not None:
                yield Problem(
                    path=where, message=f"only review jobs have a review gate, this is a {job.kind}"
                )
            continue
        if job.review is None:
            yield Problem(
                path=where,
                message="a review job needs a review gate (target, max_revisions, on_exhausted)",
            )
            continue
        target = by_id.get(job.review.target)
        if target is None:
            yield Problem(path=where + ".target", message=f"unknown job {job.review.target!r}")
        elif target.id not in dag.ancestors(edges, job.id):
            yield Problem(
                path=where + ".target",
                message=f"the review must depend (directly "
                f"or not) on the job it judges, {target.id!r}",
            )
        elif target.kind == "checkpoint":
            yield Problem(path=where + ".target", message="a checkpoint cannot be reviewed")
        else:
            yield from _co_blindness(workflow, index, job, target)


def _co_blindness(workflow: Workflow, index: int, review: Job, target: Job) -> Iterator[Problem]:
    assert review.review is not None
    if review.review.allow_same_provider or review.lane is None or target.lane is None:
        return
    mine, theirs = workflow.lanes.get(review.lane), workflow.lanes.get(target.lane)
    if mine is None or theirs is None:
        return
    identity = provider_identity(review.lane, mine.provider, mine.model)
    if identity == provider_identity(target.lane, theirs.provider, theirs.model):
        yield Problem(
            path=json_path("jobs", index, "lane"),
            message=(
                f"review {review.id!r} runs on the same provider ({identity}) "
                f"as {target.id!r}, which it judges; put it on another provider or set "
                "review.allow_same_provider: true"
            ),
        )


def provider_identity(lane_name: str | None, provider: str, model: str | None) -> str:
    """Who answers on a lane: the vendor, or for `command` lanes its model label (or name).

    The co-blindness rule compares these; verdicts record whether they differed."""
    if provider != "command":
        return provider
    return f"command:{model or lane_name}"


def _checkpoints(workflow: Workflow) -> Iterator[Problem]:
    by_id = {job.id: job for job in workflow.jobs}
    for index, job in _jobs(workflow):
        where = json_path("jobs", index, "checkpoint")
        if job.kind != "checkpoint":
            if job.checkpoint is not None:
                yield Problem(
                    path=where, message=f"only checkpoint jobs have choices, this is a {job.kind}"
                )
            continue
        if job.checkpoint is None:
            yield Problem(path=where, message="a checkpoint job needs a question and choices")
            continue
        listed: set[str] = set()
        for choice, targets in job.checkpoint.choices.items():
            yield from _choice(where, job, choice, targets, by_id)
            listed.update(targets)
        for other_index, other in _jobs(workflow):
            if job.id in other.depends_on and other.id not in listed:
                yield Problem(
                    path=json_path("jobs", other_index, "depends_on"),
                    message=(
                        f"depends on checkpoint {job.id!r} but no choice of it leads here, "
                        "so it can never become ready"
                    ),
                )


def _choice(
    where: str, checkpoint: Job, choice: str, targets: list[str], by_id: dict[str, Job]
) -> Iterator[Problem]:
    path = f"{where}.choices.{choice}"
    if choice == CANCEL and targets:
        yield Problem(path=path, message="the cancel choice ends the run; it leads to no jobs")
    if choice != CANCEL and not targets:
        yield Problem(
            path=path,
            message=f"choice {choice!r} leads nowhere; list the jobs it "
            "releases, or call it 'cancel'",
        )
    for position, target in enumerate(targets):
        job = by_id.get(target)
        if job is None:
            yield Problem(path=f"{path}[{position}]", message=f"unknown job {target!r}")
        elif checkpoint.id not in job.depends_on:
            yield Problem(
                path=f"{path}[{position}]",
                message=(
                    f"job {target!r} must depend on checkpoint {checkpoint.id!r} to follow it"
                ),
            )


def _readiness(workflow: Workflow) -> Iterator[Problem]:
    """Jobs needing two different choices of one checkpoint can never become ready.

    Each job carries, per upstream checkpoint, the set of choices under which it runs; a
    dependency narrows the set, and an empty set means no single decision releases the job.
    Only the first job where that happens is reported, not everything downstream of it.
    """
    by_id = {job.id: job for job in workflow.jobs}
    edges = _edges(workflow)
    if dag.find_cycle(edges):
        return  # reported by _dependencies; conditions are undefined on a cycle
    conditions: dict[str, dict[str, frozenset[str]]] = {}
    stuck: set[str] = set()
    for layer in dag.layers(edges):
        for job_id in layer:
            merged = _merge_conditions(by_id, conditions, job_id, edges[job_id])
            conditions[job_id] = merged
            inherited = any(parent in stuck for parent in edges[job_id])
            if not any(not choices for choices in merged.values()):
                continue
            stuck.add(job_id)
            unlisted = _unlisted_checkpoints(by_id, job_id)  # reported by _checkpoints
            blocked = [cp for cp, choices in merged.items() if not choices and cp not in unlisted]
            if blocked and not inherited:
                index = next(i for i, j in _jobs(workflow) if j.id == job_id)
                yield Problem(
                    path=json_path("jobs", index, "depends_on"),
                    message=(
                        f"needs different choices of checkpoint {blocked[0]!r} at once, so it can "
                        "never become ready"
                    ),
                )


def _merge_conditions(
    by_id: dict[str, Job],
    conditions: dict[str, dict[str, frozenset[str]]],
    job_id: str,
    parents: list[str],
) -> dict[str, frozenset[str]]:
    merged: dict[str, frozenset[str]] = {}
    for parent in parents:
        parts = dict(conditions.get(parent, {}))
        gate = by_id.get(parent)
        if gate is not None and gate.checkpoint is not None:
            parts[parent] = frozenset(
                choice for choice, jobs in gate.checkpoint.choices.items() if job_id in jobs
            )
        for checkpoint, choices in parts.items():
            merged[checkpoint] = merged.get(checkpoint, choices) & choices
    return merged


def _unlisted_checkpoints(by_id: dict[str, Job], job_id: str) -> set[str]:
    """Checkpoints this job depends on directly without being in any of their choices."""
    job = by_id[job_id]
    return {
        p
        for p in job.depends_on
        if (gate := by_id.get(p)) is not None
        and gate.checkpoint is not None
        and not any(job_id in jobs for jobs in gate.checkpoint.choices.values())
    }


def _artifacts(workflow: Workflow) -> Iterator[Problem]:
    if problem := path_problem(workflow.artifact_root):
        yield Problem(path=json_path("artifact_root"), message=f"artifact_root {problem}")
    owners: dict[str, str] = {}
    for index, job in _jobs(workflow):
        scopes = job.write_scope if job.write_scope is not None else [workflow.artifact_root]
        for position, scope in enumerate(job.write_scope or []):
            if problem := path_problem(scope):
                yield Problem(
                    path=json_path("jobs", index, "write_scope", position),
                    message=f"write scope {problem}",
                )
        for position, artifact in enumerate(job.artifacts):
            where = json_path("jobs", index, "artifacts", position, "path")
            if problem := path_problem(artifact.path):
                yield Problem(path=where, message=f"artifact path {problem}")
                continue
            if not any(within(artifact.path, scope) for scope in scopes):
                yield Problem(
                    path=where,
                    message=(
                        f"artifact path {artifact.path!r} is outside the job's write scope "
                        f"({', '.join(scopes)})"
                    ),
                )
            key = normalized(artifact.path)
            if key in owners:
                yield Problem(
                    path=where,
                    message=f"{artifact.path!r} is already an artifact of job {owners[key]!r}",
                )
            owners.setdefault(key, job.id)


def _documents(workflow: Workflow) -> Iterator[Problem]:
    for field in ("context_docs", "forbidden_paths"):
        for position, path in enumerate(getattr(workflow, field)):
            if problem := path_problem(path):
                yield Problem(path=json_path(field, position), message=f"path {problem}")
    for position, forbidden in enumerate(workflow.forbidden_paths):
        if within(workflow.artifact_root, forbidden):
            yield Problem(
                path=json_path("forbidden_paths", position),
                message=f"forbids the artifact root {workflow.artifact_root!r}: "
                "no job could publish anything",
            )


def _smells(workflow: Workflow) -> Iterator[Problem]:
    for name, lane in workflow.lanes.items():
        for position, arg in enumerate(lane.command):
            for unknown in placeholders.unknown(arg):
                yield Problem(
                    path=json_path("lanes", name, "command", position),
                    severity="warning",
                    message=f"{{{unknown}}} is not a placeholder and stays literal; "
                    "placeholders: " + ", ".join(sorted(placeholders.NAMES)),
                )
    for index, job in _jobs(workflow):
        if job.kind == "review" and not job.artifacts:
            yield Problem(
                path=json_path("jobs", index, "artifacts"),
                severity="warning",
                message="a review with no artifact leaves no findings to read",
            )
    used_lanes = {job.lane for job in workflow.jobs}
    for name in workflow.lanes:
        if name not in used_lanes:
            yield Problem(
                path=json_path("lanes", name),
                severity="warning",
                message=f"lane {name!r} is never used",
            )
    used_roles = {job.role for job in workflow.jobs}
    for name in workflow.roles:
        if name not in used_roles:
            yield Problem(
                path=json_path("roles", name),
                severity="warning",
                message=f"role {name!r} is never used",
            )
