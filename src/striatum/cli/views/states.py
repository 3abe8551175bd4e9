"""How a run's or a job's state is coloured and marked, in every view and the dashboard."""

from __future__ import annotations

STYLES = {
    "prepared": "yellow",
    "running": "cyan",
    "paused": "yellow",
    "pending": "dim",
    "ready": "blue",
    "parked": "yellow",  # ready, waiting out a rate or usage limit
    "leased": "cyan bold",
    "waiting": "yellow bold",
    "succeeded": "green",
    "failed": "red bold",
    "cancelled": "dim",
}

MARKS = {
    "pending": ".",
    "ready": "o",
    "leased": ">",
    "waiting": "?",
    "succeeded": "+",
    "failed": "x",
    "cancelled": "-",
}

ENDED = ("succeeded", "failed", "cancelled")


def style(state: str) -> str | None:
    return STYLES.get(state)


def counts(states: list[str]) -> str:
    """`1 leased, 2 ready, 27 pending`: the states present, in the order a run moves."""
    order = ["waiting", "failed", "leased", "ready", "pending", "succeeded", "cancelled"]
    seen = [s for s in order if s in states] + sorted(set(states) - set(order))
    return ", ".join(f"{states.count(s)} {s}" for s in seen)
