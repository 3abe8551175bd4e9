"""The job graph as text and as Mermaid, revision routes and checkpoint branches included."""

from __future__ import annotations

from striatum.model.terminal_text import visible
from striatum.model.workflow import dag
from striatum.model.workflow.schema import Job, Workflow


def _lane_label(workflow: Workflow, job: Job) -> str:
    if job.kind == "checkpoint":
        return "human"
    lane = workflow.lanes.get(job.lane or "")
    return f"{job.lane}/{lane.provider}" if lane else str(job.lane)


def _branch_of(workflow: Workflow, job: Job, parent: str) -> str | None:
    gate = next((j for j in workflow.jobs if j.id == parent), None)
    if gate is None or gate.checkpoint is None:
        return None
    choices = [c for c, jobs in gate.checkpoint.choices.items() if job.id in jobs]
    return "|".join(choices) or None


def text(workflow: Workflow) -> str:
    """One line per job in dependency layers, then the revision routes."""
    by_id = {job.id: job for job in workflow.jobs}
    edges = {job.id: list(job.depends_on) for job in workflow.jobs}
    lines = [f"{visible(workflow.name)} ({workflow.id})"]  # a name is free text
    for depth, layer in enumerate(dag.layers(edges)):
        for job_id in layer:
            job = by_id[job_id]
            parents = []
            for parent in job.depends_on:
                branch = _branch_of(workflow, job, parent)
                parents.append(f"{parent} [{branch}]" if branch else parent)
            after = f"  <- {', '.join(parents)}" if parents else ""
            lines.append(f"  {depth}  {job.id}  {job.kind}  {_lane_label(workflow, job)}{after}")
    for job in workflow.jobs:
        if job.review:
            lines.append(
                f"  revision route: {job.id} --needs_revision--> {job.review.target} "
                f"(max {job.review.max_revisions}, then {job.review.on_exhausted})"
            )
        if job.checkpoint and "cancel" in job.checkpoint.choices:
            lines.append(f"  checkpoint {job.id}: cancel ends the run")
    return "\n".join(lines) + "\n"


def mermaid(workflow: Workflow) -> str:
    """A `flowchart LR`: solid dependency edges, labelled checkpoint branches, dotted
    revision back-edges."""
    lines = ["flowchart LR"]
    for job in workflow.jobs:
        label = f"{job.id}<br/>{job.kind} · {_lane_label(workflow, job)}"
        shape = ("{{", "}}") if job.kind == "checkpoint" else ("[", "]")
        lines.append(f'  {_node(job.id)}{shape[0]}"{label}"{shape[1]}')
    for job in workflow.jobs:
        for parent in job.depends_on:
            branch = _branch_of(workflow, job, parent)
            arrow = f"-- {branch} -->" if branch else "-->"
            lines.append(f"  {_node(parent)} {arrow} {_node(job.id)}")
    for job in workflow.jobs:
        if job.review:
            lines.append(
                f"  {_node(job.id)} -. needs_revision (max "
                f"{job.review.max_revisions}) .-> {_node(job.review.target)}"
            )
    return "\n".join(lines) + "\n"


def _node(job_id: str) -> str:
    return "j_" + job_id.replace("-", "_")
