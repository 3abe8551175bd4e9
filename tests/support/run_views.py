"""Hypothesis strategies for `plan.RunView`: workflows `run prepare` would accept, and job
states over them shaped the way `engine.progress.view` builds them.

A `Shape` is the part of a validated snapshot the engine hands to plan (jobs, dependencies,
checkpoint paths) plus the review gates; `Shape.document()` turns it back into workflow.json
so a test can hold the generator to the real validator.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, get_args

from hypothesis import strategies as st

from striatum.model.engine.plan import JobView, RunView
from striatum.model.engine.states import TERMINAL_JOB, JobState, RunState
from striatum.model.workflow import dag
from striatum.model.workflow.schema import SCHEMA_VERSION, JobKind

KINDS: tuple[str, ...] = get_args(JobKind)
# Checkpoints and reviews carry most of plan's rules: draw them more often than the others.
WEIGHTED_KINDS = (*KINDS, "checkpoint", "checkpoint", "review")
CANCEL = "cancel"
# What progress.view reads as the choice of a checkpoint whose blocker a revision closed.
SUPERSEDED = "superseded by a revision"
# What a checkpoint can be in: it never runs on a lane, so it is never ready, leased or failed.
CHECKPOINT_STATES = (JobState.PENDING, JobState.WAITING, JobState.SUCCEEDED, JobState.CANCELLED)


@dataclass(frozen=True, kw_only=True)
class Gate:
    target: str
    max_revisions: int
    on_exhausted: str


@dataclass(frozen=True, kw_only=True)
class Shape:
    jobs: Mapping[str, JobView]  # every job pending, attempt 0: a prepared run
    checkpoint_paths: Mapping[str, Mapping[str, tuple[str, ...]]]
    gates: Mapping[str, Gate]  # review job -> what it judges

    def document(self) -> dict[str, Any]:
        """The workflow.json this shape stands for: one command lane per job (distinct
        models, so no review shares a provider with its target)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "id": "generated",
            "name": "generated",
            "lanes": {
                f"lane-{job_id}": {
                    "provider": "command",
                    "command": ["true"],
                    "model": f"model-{job_id}",
                    "max_attempts": job.max_attempts,
                }
                for job_id, job in self.jobs.items()
                if job.kind != "checkpoint"
            }
            or {"idle": {"provider": "command", "command": ["true"]}},  # checkpoints only
            "jobs": [self._job_document(job) for job in self.jobs.values()],
        }

    def _job_document(self, job: JobView) -> dict[str, Any]:
        found: dict[str, Any] = {"id": job.job_id, "kind": job.kind}
        found["depends_on"] = list(job.depends_on)
        if job.kind == "checkpoint":
            paths = self.checkpoint_paths[job.job_id]
            choices = {choice: list(jobs) for choice, jobs in paths.items()}
            found["checkpoint"] = {"question": "go on?", "choices": choices}
            return found
        found["lane"] = f"lane-{job.job_id}"
        if job.kind == "review":
            gate = self.gates[job.job_id]
            found["review"] = {
                "target": gate.target,
                "max_revisions": gate.max_revisions,
                "on_exhausted": gate.on_exhausted,
            }
            found["artifacts"] = [{"path": f"docs/striatum/{job.job_id}.md"}]
        return found


@dataclass
class _Draft:
    """A shape being built job by job, in topological order (parents come first)."""

    jobs: dict[str, JobView]
    # per job, per upstream checkpoint: the choices under which the job can run
    conditions: dict[str, dict[str, frozenset[str]]]
    choices: dict[str, tuple[str, ...]]  # checkpoint -> its choices that lead somewhere
    releases: dict[str, dict[str, list[str]]]  # checkpoint -> choice -> jobs
    gates: dict[str, Gate]


@st.composite
def shapes(draw: st.DrawFn, max_jobs: int = 8, with_review: bool = False) -> Shape:
    """A DAG of 1..max_jobs jobs of every kind: reviews judge an upstream job, checkpoint
    choices list only jobs that depend on the checkpoint, and no job needs two different
    choices of one checkpoint (the validator's readiness rule). `with_review`: the last job
    is a review (one more job)."""
    draft = _Draft(jobs={}, conditions={}, choices={}, releases={}, gates={})
    for index in range(draw(_number(1, max_jobs))):
        _add_job(draw, draft, f"j{index}", draw(_pick(WEIGHTED_KINDS)))
    if with_review:
        judgeable = sorted(j for j in draft.jobs if j not in draft.choices)
        if not judgeable:
            _add_job(draw, draft, "task", "task")
            judgeable = ["task"]
        _add_job(draw, draft, "review", "review", first=draw(_pick(tuple(judgeable))))
    paths: dict[str, dict[str, tuple[str, ...]]] = {}
    for checkpoint, released in draft.releases.items():
        paths[checkpoint] = {choice: tuple(jobs) for choice, jobs in released.items() if jobs}
        if draw(st.booleans()) or not paths[checkpoint]:
            paths[checkpoint][CANCEL] = ()
    # A workflow may list its jobs in any order, and the engine's view keeps that order.
    order = draw(st.permutations(list(draft.jobs)))
    jobs = {job_id: draft.jobs[job_id] for job_id in order}
    return Shape(jobs=jobs, checkpoint_paths=paths, gates=draft.gates)


def _add_job(draw: st.DrawFn, draft: _Draft, job_id: str, kind: str, first: str = "") -> None:
    """Add a job after every job it may depend on (`first`, if given, is one of them)."""
    parents = _parents(draw, draft, job_id, first)
    judged = sorted(
        p for p in dag.ancestors(_edges(draft, job_id, parents), job_id) if p not in draft.choices
    )
    if kind == "review" and not judged:
        kind = "task"  # a review needs an upstream job to judge
    if kind == "review":
        draft.gates[job_id] = Gate(
            target=draw(_pick(tuple(judged))),
            max_revisions=2 - draw(_number(0, 2)),  # Hypothesis leans to 0: lean to 2
            on_exhausted=draw(_pick(("fail", "escalate"))),
        )
    if kind == "checkpoint":
        names = tuple(f"c{n}" for n in range(3 - draw(_number(0, 2))))  # lean to 3 paths
        draft.choices[job_id] = names
        draft.releases[job_id] = {name: [] for name in names}
    draft.jobs[job_id] = JobView(
        job_id=job_id,
        kind=kind,
        state=JobState.PENDING,
        depends_on=tuple(parents),
        max_attempts=draw(_number(1, 4)),
    )


def _parents(draw: st.DrawFn, draft: _Draft, job_id: str, first: str) -> list[str]:
    """Up to three earlier jobs, leaving out any edge after which no single set of checkpoint
    decisions would release the job; checkpoint parents list the job under some choices."""
    earlier = tuple(sorted(draft.jobs))
    count = min(len(earlier), draw(_number(0, 3)))  # not a list's length: those run short
    drawn = draw(_some(earlier, count, count)) if count else []
    wanted = [first, *(p for p in drawn if p != first)] if first else drawn
    parents: list[str] = []
    merged: dict[str, frozenset[str]] = {}
    for parent in wanted:
        parts = dict(draft.conditions[parent])
        if parent in draft.choices:
            parts[parent] = frozenset(draw(_some(draft.choices[parent], 1, 3)))
        joined = {cp: merged.get(cp, choices) & choices for cp, choices in parts.items()}
        if not all(joined.values()):
            continue
        merged.update(joined)
        parents.append(parent)
        if parent in draft.choices:
            for choice in sorted(parts[parent]):
                draft.releases[parent][choice].append(job_id)
    draft.conditions[job_id] = merged
    return parents


def _edges(draft: _Draft, job_id: str, parents: list[str]) -> dict[str, tuple[str, ...]]:
    edges = {known: job.depends_on for known, job in draft.jobs.items()}
    edges[job_id] = tuple(parents)
    return edges


# Moments a view is taken at: the job states each allows, and whether a job whose dependencies
# have not all succeeded on its path is held back (pending or cancelled), as in a real run.
MOMENTS: dict[str, tuple[tuple[JobState, ...], bool]] = {
    "any": (tuple(JobState), False),
    "mid-run": (tuple(JobState), True),
    "ended": (tuple(TERMINAL_JOB), True),
    "clean end": ((JobState.SUCCEEDED, JobState.CANCELLED), True),
}
# Held back: mostly still pending (what promotions decide on), sometimes already cancelled.
HELD_BACK = (JobState.PENDING, JobState.PENDING, JobState.CANCELLED)


@st.composite
def run_views(
    draw: st.DrawFn,
    shape: Shape | None = None,
    run_states: tuple[RunState, ...] = (RunState.RUNNING, RunState.PAUSED),
    moments: tuple[str, ...] = tuple(MOMENTS),
) -> RunView:
    """Job states over a well-formed shape (checkpoints only in states they can hold),
    attempts within the lane's bound, a choice for every succeeded checkpoint (and often a
    stale one, left before a revision reset it, for the others), open blockers only on
    failed jobs. By default half the views are taken as the run's last job finishes."""
    if shape is None:
        shape = draw(shapes())
    allowed_now, held_back = MOMENTS[draw(_pick(moments))]
    states: dict[str, JobState] = {}
    decided: dict[str, str] = {}
    for layer in dag.layers({j: job.depends_on for j, job in shape.jobs.items()}):
        for job_id in layer:
            job = shape.jobs[job_id]
            allowed = CHECKPOINT_STATES if job.kind == "checkpoint" else tuple(JobState)
            if held_back and not _free(shape, job, states, decided):
                allowed = HELD_BACK
            elif held_back:  # lean to succeeded, so that runs get somewhere
                allowed = (JobState.SUCCEEDED, JobState.SUCCEEDED, *allowed)
            states[job_id] = draw(_states(tuple(s for s in allowed if s in allowed_now)))
            if job.kind == "checkpoint":
                _decide(draw, shape, job_id, states[job_id], decided)
    jobs = {
        j: dataclasses.replace(job, state=states[j], attempt=draw(_number(0, job.max_attempts)))
        for j, job in shape.jobs.items()
    }
    failed = tuple(sorted(j for j, s in states.items() if s == JobState.FAILED))
    blocked = frozenset(draw(_some(failed, 0, len(failed)))) if failed else frozenset()
    return RunView(
        state=draw(st.sampled_from(run_states)),
        jobs=jobs,
        checkpoint_paths=shape.checkpoint_paths,
        decided=decided,
        failed_with_open_blocker=blocked,
    )


def _free(
    shape: Shape, job: JobView, states: Mapping[str, JobState], decided: Mapping[str, str]
) -> bool:
    """Every dependency succeeded, and each checkpoint among them chose a path through it."""
    for parent in job.depends_on:
        if states[parent] != JobState.SUCCEEDED:
            return False
        paths = shape.checkpoint_paths.get(parent)
        if paths is not None and job.job_id not in paths.get(decided.get(parent, ""), ()):
            return False
    return True


def _decide(
    draw: st.DrawFn, shape: Shape, checkpoint: str, state: JobState, decided: dict[str, str]
) -> None:
    """A succeeded checkpoint has its choice; another may keep one a revision made stale."""
    choices = tuple(sorted(shape.checkpoint_paths[checkpoint]))
    if state == JobState.SUCCEEDED:
        decided[checkpoint] = draw(_pick(choices))
    elif stale := draw(_pick(("", SUPERSEDED, *choices))):
        decided[checkpoint] = stale


def with_states(run: RunView, moves: Mapping[str, JobState]) -> RunView:
    """The view after the engine writes `moves` (as `verbs.runs.jobs.would_succeed` builds it)."""
    jobs = {
        job_id: dataclasses.replace(job, state=moves.get(job_id, job.state))
        for job_id, job in run.jobs.items()
    }
    return dataclasses.replace(run, jobs=jobs)


# Strategies are built once per set of options: building one costs more than drawing from it.
@functools.cache
def _pick(options: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.sampled_from(options)


@functools.cache
def _states(options: tuple[JobState, ...]) -> st.SearchStrategy[JobState]:
    return st.sampled_from(options)


@functools.cache
def _number(low: int, high: int) -> st.SearchStrategy[int]:
    return st.integers(min_value=low, max_value=high)


@functools.cache
def _some(options: tuple[str, ...], low: int, high: int) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(options), unique=True, min_size=low, max_size=high)
