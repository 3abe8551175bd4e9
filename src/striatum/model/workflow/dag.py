"""Graph helpers over job ids: cycles and orders. Pure functions over plain mappings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def find_cycle(edges: Mapping[str, Sequence[str]]) -> list[str] | None:
    """One dependency cycle as [a, b, ..., a], or None. Unknown targets are ignored."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    for start in edges:
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = []
        while stack:
            node, index = stack.pop()
            if index == 0:
                state[node] = 1
                path.append(node)
            children = [c for c in edges.get(node, ()) if c in edges]
            if index < len(children):
                stack.append((node, index + 1))
                child = children[index]
                if state.get(child) == 1:
                    return [*path[path.index(child) :], child]
                if not state.get(child):
                    stack.append((child, 0))
            else:
                state[node] = 2
                path.pop()
    return None


def layers(edges: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Jobs grouped by depth (a job's layer is one past its deepest dependency)."""
    depth: dict[str, int] = {}

    def of(node: str, seen: frozenset[str]) -> int:
        if node not in depth:
            parents = [p for p in edges.get(node, ()) if p in edges and p not in seen]
            depth[node] = 1 + max((of(p, seen | {node}) for p in parents), default=-1)
        return depth[node]

    for node in edges:
        of(node, frozenset())
    grouped: dict[int, list[str]] = {}
    for node in edges:
        grouped.setdefault(depth[node], []).append(node)
    return [grouped[level] for level in sorted(grouped)]


def ancestors(edges: Mapping[str, Sequence[str]], node: str) -> set[str]:
    """Every job `node` depends on, directly or not."""
    found: set[str] = set()
    todo = list(edges.get(node, ()))
    while todo:
        current = todo.pop()
        if current in found or current not in edges:
            continue
        found.add(current)
        todo.extend(edges[current])
    return found
