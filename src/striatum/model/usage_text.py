"""What a run, a lane or a job used, in words (`status`, the web UI): never an unknown shown as
free."""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (checkers honour the name)
if TYPE_CHECKING:
    from typing import Any


def total_text(total: dict[str, Any] | None) -> str:
    """'5,757 tokens, $0.51 (partly estimated); 2 of 4 attempts reported nothing'."""
    if not total or not total.get("attempts"):
        return "no attempt yet"
    attempts, silent = int(total["attempts"]), int(total.get("unreported_attempts") or 0)
    if silent == attempts:
        return f"unknown: {_attempts(attempts)} reported nothing"
    words = [short(total)]
    if silent:
        words.append(f"{silent} of {_attempts(attempts)} reported nothing")
    return "; ".join(words)


def short(used: dict[str, Any] | None) -> str:
    """'5,757 tokens, $0.51 est.', or '?' when nothing was reported."""
    if not used:
        return "?"
    words = []
    if used.get("tokens") is not None:
        words.append(f"{int(used['tokens']):,} tokens")
    if used.get("cost_usd") is not None:
        estimated = " (partly estimated)" if used.get("cost_source") == "estimated" else ""
        words.append(f"${float(used['cost_usd']):,.2f}{estimated}")
    return ", ".join(words) or "?"


def cell(used: dict[str, Any] | None) -> str:
    """A job table's USED cell: dollars when known (~ when estimated), else tokens, else ?
    (its attempts reported nothing); - for a job with no attempt yet."""
    if not used or not used.get("attempts"):
        return "-"
    if used.get("cost_usd") is not None:
        mark = "~" if used.get("cost_source") == "estimated" else ""
        return f"{mark}${float(used['cost_usd']):,.2f}"
    if used.get("tokens") is not None:
        return f"{int(used['tokens']):,} tok"
    return "?"


def budget_text(budget: dict[str, Any]) -> str:
    """'$0.51 of $0.50 spent: reached, the run waits for the principal'."""
    parts = []
    if budget.get("budget_usd") is not None:
        parts.append(f"${float(budget['spent_usd']):,.2f} of ${float(budget['budget_usd']):,.2f}")
    if budget.get("budget_tokens") is not None:
        spent, limit = int(budget["spent_tokens"]), int(budget["budget_tokens"])
        parts.append(f"{spent:,} of {limit:,} tokens")
    said = " and ".join(parts) + " spent" + (" (hard)" if budget.get("hard") else "")
    return said + (": reached, the run waits for the principal" if budget.get("reached") else "")


def _attempts(count: int) -> str:
    return f"{count} attempt" + ("" if count == 1 else "s")
