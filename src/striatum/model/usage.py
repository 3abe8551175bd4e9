"""What an attempt used: tokens, and dollars where known (docs/SPEC.md §9, usage).

One vocabulary for every provider: `input_tokens` are input tokens not read from a cache
(a cache write counts here), `cached_tokens` input tokens read from one, `output_tokens`
everything the model produced (reasoning included). A figure nobody reported is None,
never 0: a total over attempts says how many reported nothing instead of counting them as free.
Pure values; the readers of each CLI's output are in `lanes/agent_output.py`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

TOKEN_FIELDS = ("input_tokens", "cached_tokens", "output_tokens")
COST_SOURCES = ("reported", "estimated")  # by the CLI or the agent; from the price table
MAX_TOKENS = 10**12  # far above any real attempt: a larger figure is a mistake
MAX_COST_USD = 10**6


class UsageError(ValueError):
    """A usage document that is not one; `field` names the part at fault."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, kw_only=True)
class Usage:
    input_tokens: int | None = None
    cached_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    cost_source: str | None = None  # one of COST_SOURCES whenever cost_usd is set
    model: str | None = None

    @property
    def known(self) -> bool:
        """Whether anything was reported."""
        return any(getattr(self, name) is not None for name in (*TOKEN_FIELDS, "cost_usd"))

    @property
    def tokens(self) -> int | None:
        counted = [getattr(self, name) for name in TOKEN_FIELDS]
        known = [n for n in counted if n is not None]
        return sum(known) if known else None

    def to_payload(self) -> dict[str, Any]:
        """The reported fields only (what an event and the attempt's row keep)."""
        return {
            f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None
        }

    def plus(self, other: Usage) -> Usage:
        """Both reports of one attempt together (a field either left unknown stays the
        other's; the model is the later report's when both name one)."""
        summed: dict[str, Any] = {
            name: _add(getattr(self, name), getattr(other, name)) for name in TOKEN_FIELDS
        }
        summed["cost_usd"] = _add(self.cost_usd, other.cost_usd)
        if summed["cost_usd"] is not None:  # the source of a side that has no cost is moot
            sources = {u.cost_source for u in (self, other) if u.cost_usd is not None}
            summed["cost_source"] = "reported" if sources == {"reported"} else "estimated"
        return Usage(**summed, model=other.model or self.model)


def from_payload(data: Any, *, where: str = "usage") -> Usage:
    """A Usage from a JSON object (a `report-usage` call, a `$STRIATUM_USAGE` file, a kept
    row); UsageError naming `where`.field for anything else."""
    if not isinstance(data, Mapping):
        raise UsageError(f"{where} must be a JSON object", where)
    known = {f.name for f in fields(Usage)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise UsageError(
            f"{where} has unknown field(s) {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(sorted(known))})",
            f"{where}.{unknown[0]}",
        )
    values: dict[str, Any] = {}
    for name in TOKEN_FIELDS:
        value = data.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_TOKENS:
            raise UsageError(
                f"{where}.{name} must be a whole number of tokens from 0 to {MAX_TOKENS}",
                f"{where}.{name}",
            )
        values[name] = value
    cost = data.get("cost_usd")
    if cost is not None:
        if (
            isinstance(cost, bool)
            or not isinstance(cost, int | float)
            or not math.isfinite(cost)
            or not 0 <= cost <= MAX_COST_USD
        ):
            raise UsageError(
                f"{where}.cost_usd must be a number of dollars from 0 to {MAX_COST_USD}",
                f"{where}.cost_usd",
            )
        values["cost_usd"] = float(cost)
        source = data.get("cost_source", "reported")
        if source not in COST_SOURCES:
            raise UsageError(
                f"{where}.cost_source must be one of {', '.join(COST_SOURCES)}",
                f"{where}.cost_source",
            )
        values["cost_source"] = source
    model = data.get("model")
    if model is not None:
        if not isinstance(model, str) or not 0 < len(model) <= 200 or not model.isprintable():
            raise UsageError(
                f"{where}.model must be a model's name (1 to 200 characters)", f"{where}.model"
            )
        values["model"] = model
    return Usage(**values)


@dataclass(frozen=True, kw_only=True)
class Totals:
    """Usage over several attempts: the sums of what was reported, and how many attempts
    reported nothing (so a total is never mistaken for a complete one)."""

    usage: Usage
    attempts: int
    unreported: int

    def to_payload(self) -> dict[str, Any]:
        return {
            **self.usage.to_payload(),
            "tokens": self.usage.tokens,
            "attempts": self.attempts,
            "unreported_attempts": self.unreported,
        }


def total(reports: Iterable[Usage | None]) -> Totals:
    """The totals of attempts' usage (None: an attempt that reported nothing)."""
    summed, attempts, unreported = Usage(), 0, 0
    for report in reports:
        attempts += 1
        if report is None or not report.known:
            unreported += 1
            continue
        summed = summed.plus(replace(report, model=None))
    return Totals(usage=summed, attempts=attempts, unreported=unreported)


def _add(left: int | float | None, right: int | float | None) -> Any:
    if left is None:
        return right
    if right is None:
        return left
    return left + right
