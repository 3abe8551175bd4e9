"""The DAG layout: layered left to right, and no two boxes ever overlap."""

from __future__ import annotations

import itertools

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
