"""From a `run.graph` answer to what the SVG template draws: boxes, curves, labels.

Pure. Dependency edges run left to right as smooth curves; revision routes (a review sending
its target back for another attempt) are dashed lines routed through the gaps between boxes,
so they never read as dependencies nor cut through a box; edges out of a checkpoint carry the
choice that takes them.
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
    points: tuple[tuple[int, int], ...] = ()  # a routed path's corners (revision routes)


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
    """From the top of the review back to the top of its target, routed through the gaps
    between rows and columns only (every layer shares the same rows), so it never crosses a
    box however large the graph: up into the row gap above the review, along it to the column
    gap beside the target, along that to the row gap above the target, and down into it."""
    rx, tx = review.x + review.w // 2, target.x + target.w // 2
    above_review = review.y - graph_layout.GAP_Y // 2
    above_target = target.y - graph_layout.GAP_Y // 2
    if above_review == above_target:
        points = [(rx, review.y), (rx, above_review), (tx, above_review), (tx, target.y)]
    else:
        beside = (
            target.x + target.w + graph_layout.GAP_X // 2
            if target.layer < review.layer
            else target.x - graph_layout.GAP_X // 2
        )
        points = [
            (rx, review.y),
            (rx, above_review),
            (beside, above_review),
            (beside, above_target),
            (tx, above_target),
            (tx, target.y),
        ]
    first, *rest = points
    return Curve(
        d=f"M{first[0]},{first[1]} " + " ".join(f"L{x},{y}" for x, y in rest),
        label=f"revise ≤{max_revisions}",
        label_x=min(rx, points[2][0]) + 6,
        label_y=above_review + 4,
        points=tuple(points),
    )
