"""The DAG layout: layered left to right, and no two boxes ever overlap."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from striatum.web import graph_layout, graph_view


@st.composite
def dags(draw: st.DrawFn) -> tuple[list[str], list[tuple[str, str]]]:
    """1..200 jobs; edges only from an earlier job to a later one (so acyclic)."""
    count = draw(st.integers(min_value=1, max_value=200))
    nodes = [f"job-{i}" for i in range(count)]
    pairs = st.tuples(st.integers(0, count - 1), st.integers(0, count - 1))
    raw = draw(st.lists(pairs, max_size=3 * count))
    edges = sorted({(nodes[min(a, b)], nodes[max(a, b)]) for a, b in raw if a != b})
    return nodes, edges


@settings(max_examples=60, deadline=None)
@given(dags())
def test_no_two_boxes_overlap_and_every_edge_points_right(
    dag: tuple[list[str], list[tuple[str, str]]],
) -> None:
    nodes, edges = dag
    placed = graph_layout.layout(nodes, edges)
    boxes = list(placed.boxes.values())
    assert sorted(placed.boxes) == sorted(nodes)
    assert not any(a.overlaps(b) for a, b in itertools.combinations(boxes, 2))
    for box in boxes:
        assert box.x >= 0 and box.x + box.w <= placed.width
        assert box.y >= 0 and box.y + box.h <= placed.height
    for parent, child in edges:
        assert placed.boxes[parent].layer < placed.boxes[child].layer


def test_layers_follow_the_longest_path() -> None:
    layers = graph_layout.assign_layers(
        ["a", "b", "c", "d"], [("a", "b"), ("b", "c"), ("a", "c"), ("a", "d")]
    )
    assert layers == {"a": 0, "b": 1, "c": 2, "d": 1}


def test_ordering_removes_an_avoidable_crossing() -> None:
    nodes = ["a", "b", "x", "y"]
    rows = graph_layout.order_layers(
        nodes, [("a", "y"), ("b", "x")], {"a": 0, "b": 0, "x": 1, "y": 1}
    )
    assert rows == [["a", "b"], ["y", "x"]]


def test_a_cycle_costs_readability_not_an_overlap() -> None:
    placed = graph_layout.layout(["a", "b"], [("a", "b"), ("b", "a")])
    first, second = placed.boxes.values()
    assert not first.overlaps(second)


def test_graph_view_draws_revision_routes_as_back_edges_and_labels_branches() -> None:
    node = {
        "kind": "task",
        "state": "ready",
        "attempt": 1,
        "max_attempts": 3,
        "revisions": 0,
        "lane": "author",
        "provider": "command",
    }
    graph = {
        "nodes": [{**node, "job_id": j} for j in ("draft", "review", "decide", "ship")],
        "edges": [
            {"from": "draft", "to": "review"},
            {"from": "review", "to": "decide"},
            {"from": "decide", "to": "ship"},
        ],
        "revision_routes": [{"review": "review", "target": "draft", "max_revisions": 2}],
        "checkpoint_branches": [{"checkpoint": "decide", "choice": "go", "jobs": ["ship"]}],
    }
    view = graph_view.build(graph)
    assert [e.label for e in view.edges] == [None, None, "go"]
    assert len(view.back_edges) == 1 and view.back_edges[0].label == "revise ≤2"
    assert view.nodes[0].detail == "author / command"


def _cuts(points: tuple[tuple[int, int], ...], box: graph_layout.Box) -> bool:
    """Whether the polyline enters the box's interior (touching its edge is fine)."""
    for (x1, y1), (x2, y2) in itertools.pairwise(points):
        left, right, top, bottom = min(x1, x2), max(x1, x2), min(y1, y2), max(y1, y2)
        across_x = max(left, box.x) < min(right, box.x + box.w) or box.x < left < box.x + box.w
        across_y = max(top, box.y) < min(bottom, box.y + box.h) or box.y < top < box.y + box.h
        if across_x and across_y:
            return True
    return False


def _graph(nodes: list[str], edges: list[tuple[str, str]], routes: list[tuple[str, str]]) -> Any:
    node = {"kind": "task", "state": "ready", "attempt": 1, "max_attempts": 3, "revisions": 0}
    return {
        "nodes": [{**node, "job_id": j, "lane": "a", "provider": None} for j in nodes],
        "edges": [{"from": a, "to": b} for a, b in edges],
        "revision_routes": [{"review": r, "target": t, "max_revisions": 2} for t, r in routes],
        "checkpoint_branches": [],
    }


@settings(max_examples=60, deadline=None)
@given(dags(), st.data())
def test_revision_routes_never_cut_through_a_box(
    dag: tuple[list[str], list[tuple[str, str]]], data: st.DataObject
) -> None:
    nodes, edges = dag
    if not edges:
        return
    routes = data.draw(st.lists(st.sampled_from(edges), max_size=10, unique=True))
    view = graph_view.build(_graph(nodes, edges, routes))
    assert len(view.back_edges) == len(routes)
    for edge in view.back_edges:
        for drawn in view.nodes:
            assert not _cuts(edge.points, drawn.box), (edge.d, drawn.job_id)


def test_thirty_jobs_with_a_review_each_keep_their_arcs_between_the_boxes() -> None:
    """The issue's case: 15 task/review pairs fanning out of one plan and into one handoff."""
    nodes = ["plan", *[f"{kind}-{i}" for i in range(14) for kind in ("task", "review")], "handoff"]
    edges = [("plan", f"task-{i}") for i in range(14)]
    edges += [(f"task-{i}", f"review-{i}") for i in range(14)]
    edges += [(f"review-{i}", "handoff") for i in range(14)]
    routes = [(f"task-{i}", f"review-{i}") for i in range(14)]
    view = graph_view.build(_graph(nodes, edges, routes))
    assert len(view.nodes) == 30 and len(view.back_edges) == 14
    for edge in view.back_edges:
        assert not any(_cuts(edge.points, drawn.box) for drawn in view.nodes), edge.d
