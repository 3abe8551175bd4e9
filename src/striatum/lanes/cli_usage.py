"""What each CLI's JSON output says an attempt used, in `model.usage`'s vocabulary.

Claude Code counts a cache write apart from input (we add it back: a write is input) and
reports its own dollar figure. Codex and Gemini count cached tokens inside their input (we
subtract them) and report no dollars; the price table estimates those later. Codex's
`reasoning_output_tokens` are taken to be inside `output_tokens`, as OpenAI's APIs count
them; Gemini's thoughts are not inside its candidates, so they are added. Gemini's `tool`
tokens (tool-use prompts) are input its total counts apart from the prompt. Pure: a figure
that is missing or not a number stays unknown, and an impossible one (negative, absurd)
drops the report rather than passing on a guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from striatum.model.usage import Usage, UsageError, from_payload


def claude(result: dict[str, Any], model: str | None) -> Usage | None:
    """From the `type: result` document: its `usage` and `total_cost_usd`. An error result
    that reports zero tokens and $0 is kept as such: the CLI did report it."""
    usage = result.get("usage")
    if not isinstance(usage, dict):
        return None
    fresh, written, read, out = (
        _count(usage, key)
        for key in (
            "input_tokens",
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
            "output_tokens",
        )
    )
    payload: dict[str, Any] = {
        "input_tokens": _sum(fresh, written),
        "cached_tokens": read,
        "output_tokens": out,
        "cost_usd": _dollars(result.get("total_cost_usd")),
        "model": model,
    }
    return _usage(payload, "Claude's result")


def codex(events: Iterable[dict[str, Any]], model: str | None) -> Usage | None:
    """The sum of `usage` over every `turn.completed` event (None when no turn reported)."""
    total: Usage | None = None
    for event in events:
        usage = event.get("usage")
        if event.get("type") != "turn.completed" or not isinstance(usage, dict):
            continue
        given, cached = _count(usage, "input_tokens"), _count(usage, "cached_input_tokens")
        turn = _usage(
            {
                "input_tokens": None if given is None else max(given - (cached or 0), 0),
                "cached_tokens": cached,
                "output_tokens": _count(usage, "output_tokens"),
            },
            "Codex's turn.completed",
        )
        if turn is not None and turn.known:
            total = turn if total is None else total.plus(turn)
    return None if total is None else replace(total, model=model)


def gemini(stats: dict[str, Any], model: str | None) -> Usage | None:
    """The sum over `stats.models.<model>.tokens` (None when no model reported)."""
    models = stats.get("models")
    total: Usage | None = None
    for entry in (models or {}).values() if isinstance(models, dict) else ():
        tokens = entry.get("tokens") if isinstance(entry, dict) else None
        if not isinstance(tokens, dict):
            continue
        prompt, cached = _count(tokens, "prompt"), _count(tokens, "cached")
        fresh = None if prompt is None else max(prompt - (cached or 0), 0)
        produced = _sum(_count(tokens, "candidates"), _count(tokens, "thoughts"))
        turn = _usage(
            {
                "input_tokens": _sum(fresh, _count(tokens, "tool")),
                "cached_tokens": cached,
                "output_tokens": produced,
            },
            "Gemini's stats",
        )
        if turn is not None and turn.known:
            total = turn if total is None else total.plus(turn)
    return None if total is None else replace(total, model=model)


def _usage(payload: dict[str, Any], where: str) -> Usage | None:
    try:
        return from_payload({k: v for k, v in payload.items() if v is not None}, where=where)
    except UsageError:
        return None  # a CLI's output is anything; an impossible figure is no figure


def _count(usage: dict[str, Any], key: str) -> int | None:
    value = usage.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dollars(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _sum(*counts: int | None) -> int | None:
    known = [count for count in counts if count is not None]
    return sum(known) if known else None
