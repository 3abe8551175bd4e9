"""Placing a job graph left to right: pure, no I/O, no SVG.

Layers by longest path from the sources (a job sits one layer right of its deepest
dependency), then orders each layer by the mean position of its neighbours in the adjacent
layer (a few sweeps each way), which removes most edge crossings. Every node gets its own
grid cell, so boxes never overlap whatever the graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

NODE_W = 190
NODE_H = 58
GAP_X = 70
GAP_Y = 22
MARGIN = 40  # room around the grid for revision back-edges drawn above it
SWEEPS = 4


@dataclass(frozen=True, kw_only=True)
class Box:
    node: str
    layer: int
    order: int
    x: int
    y: int
    w: int = NODE_W
    h: int = NODE_H

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )


@dataclass(frozen=True, kw_only=True)
class Layout:
    boxes: dict[str, Box]
    width: int
    height: int


def layout(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> Layout:
    """Boxes for `nodes` given dependency `edges` (parent, child); unknown ends are ignored,
    and a cycle (which validation refuses) only costs readability, never an overlap."""
    known = set(nodes)
    kept = [(a, b) for a, b in edges if a in known and b in known and a != b]
    layers = assign_layers(nodes, kept)
    rows = order_layers(nodes, kept, layers)
    boxes = {
        node: Box(
            node=node,
            layer=layer,
            order=order,
            x=MARGIN + layer * (NODE_W + GAP_X),
            y=MARGIN + order * (NODE_H + GAP_Y),
        )
        for layer, row in enumerate(rows)
        for order, node in enumerate(row)
    }
    depth = max((len(row) for row in rows), default=0)
    return Layout(
        boxes=boxes,
        width=2 * MARGIN + len(rows) * (NODE_W + GAP_X) - GAP_X,
        height=2 * MARGIN + depth * (NODE_H + GAP_Y) - GAP_Y,
    )


def assign_layers(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Longest-path layering in topological order (Kahn); nodes left on a cycle go last."""
    parents: dict[str, list[str]] = {n: [] for n in nodes}
    children: dict[str, list[str]] = {n: [] for n in nodes}
    for parent, child in edges:
        parents[child].append(parent)
        children[parent].append(child)
    waiting = {n: len(parents[n]) for n in nodes}
    queue = [n for n in nodes if waiting[n] == 0]
    layer: dict[str, int] = {}
    while queue:
        node = queue.pop(0)
        layer[node] = max((layer[p] + 1 for p in parents[node] if p in layer), default=0)
        for child in children[node]:
            waiting[child] -= 1
            if waiting[child] == 0:
                queue.append(child)
    last = max(layer.values(), default=-1) + 1
    return {n: layer.get(n, last) for n in nodes}


def order_layers(
    nodes: Sequence[str], edges: Sequence[tuple[str, str]], layers: dict[str, int]
) -> list[list[str]]:
    """Each layer's nodes, ordered by the barycentre of their neighbours (stable ties)."""
    count = max(layers.values(), default=-1) + 1
    rows: list[list[str]] = [[] for _ in range(count)]
    for node in nodes:
        rows[layers[node]].append(node)
    up: dict[str, list[str]] = {n: [] for n in nodes}
    down: dict[str, list[str]] = {n: [] for n in nodes}
    for parent, child in edges:
        down[parent].append(child)
        up[child].append(parent)
    for _ in range(SWEEPS):
        for index in range(1, count):
            rows[index] = _by_barycentre(rows[index], rows[index - 1], up)
        for index in range(count - 2, -1, -1):
            rows[index] = _by_barycentre(rows[index], rows[index + 1], down)
    return rows


def _by_barycentre(row: list[str], fixed: list[str], neighbours: dict[str, list[str]]) -> list[str]:
    position = {node: i for i, node in enumerate(fixed)}

    def key(item: tuple[int, str]) -> tuple[float, int]:
        current, node = item
        seen = [position[n] for n in neighbours[node] if n in position]
        return (sum(seen) / len(seen) if seen else float(current), current)

    return [node for _, node in sorted(enumerate(row), key=key)]
