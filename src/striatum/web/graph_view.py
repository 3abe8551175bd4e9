"""From a `run.graph` answer to what the SVG template draws: boxes, curves, labels.

Pure. Dependency edges run right-to-left-to-right as smooth curves; revision routes (a review
sending its target back for another attempt) arc above the grid, dashed, so they never read
as dependencies; edges out of a checkpoint carry the choice that takes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from striatum.web import graph_layout
from striatum.web.graph_layout import Box

MAX_LABEL = 24


@dataclass(frozen=True, kw_only=True)
class Node:
    box: Box
    job_id: str
    label: str
    state: str
    kind: str
    detail: str  # lane/provider
    attempts: str  # "attempt 2/3", and revisions when any


@dataclass(frozen=True, kw_only=True)
class Curve:
    d: str  # SVG path data
    label: str | None = None
    label_x: int = 0
    label_y: int = 0


@dataclass(frozen=True, kw_only=True)
class GraphView:
    width: int
    height: int
    nodes: list[Node]
    edges: list[Curve]
    back_edges: list[Curve]


def build(graph: dict[str, Any]) -> GraphView:
    ids = [n["job_id"] for n in graph["nodes"]]
    placed = graph_layout.layout(ids, [(e["from"], e["to"]) for e in graph["edges"]])
    boxes = placed.boxes
    choices = _choice_labels(graph)
    edges = [
        _forward(boxes[e["from"]], boxes[e["to"]], choices.get((e["from"], e["to"])))
        for e in graph["edges"]
        if e["from"] in boxes and e["to"] in boxes
    ]
    back = [
        _backward(boxes[r["review"]], boxes[r["target"]], r["max_revisions"])
        for r in graph["revision_routes"]
        if r["review"] in boxes and r["target"] in boxes
    ]
    return GraphView(
        width=max(placed.width, 200),
        height=max(placed.height, 120),
        nodes=[_node(boxes[n["job_id"]], n) for n in graph["nodes"]],
        edges=edges,
        back_edges=back,
    )


def _node(box: Box, node: dict[str, Any]) -> Node:
    lane = node["lane"] or "human"
    detail = f"{lane} / {node['provider']}" if node["provider"] else lane
    attempts = f"attempt {node['attempt']}/{node['max_attempts']}"
    if node["revisions"]:
        attempts += f" · rev {node['revisions']}"
    return Node(
        box=box,
        job_id=node["job_id"],
        label=_cut(node["job_id"]),
        state=node["state"],
        kind=node["kind"],
        detail=_cut(detail),
        attempts=attempts,
    )


def _cut(text: str) -> str:
    return text if len(text) <= MAX_LABEL else text[: MAX_LABEL - 1] + "…"


def _choice_labels(graph: dict[str, Any]) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for branch in graph["checkpoint_branches"]:
        for job in branch["jobs"]:
            found[(branch["checkpoint"], job)] = branch["choice"]
    return found


def _forward(start: Box, end: Box, label: str | None) -> Curve:
    x1, y1 = start.x + start.w, start.y + start.h // 2
    x2, y2 = end.x, end.y + end.h // 2
    bend = max((x2 - x1) // 2, 20)
    return Curve(
        d=f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}",
        label=label,
        label_x=x1 + 6,
        label_y=y1 - 6,
    )


def _backward(review: Box, target: Box, max_revisions: int) -> Curve:
    """From the top of the review back to the top of its target, arcing above the grid."""
    x1, x2 = review.x + review.w // 2, target.x + target.w // 2
    y1, y2 = review.y, target.y
    top = graph_layout.MARGIN // 4
    return Curve(
        d=f"M{x1},{y1} C{x1},{top} {x2},{top} {x2},{y2}",
        label=f"revise ≤{max_revisions}",
        label_x=(x1 + x2) // 2 - 30,
        label_y=top + 1,
    )
