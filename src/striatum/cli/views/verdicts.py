"""`list verdicts`: which review judged which job, with what verdict, and who each side was
(lane, provider, model) — the provenance a reader checks first, in one row per verdict."""

from __future__ import annotations

from striatum.cli import humanize, layout
from striatum.cli.views import generic
from striatum.model.terminal_text import visible

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (checkers honour the name)
if TYPE_CHECKING:
    from datetime import datetime
    from typing import Any

    from striatum.cli.terminal import Screen

STYLES = {"accept": "green", "needs_revision": "yellow", "reject": "red bold"}


def verdict_list(result: dict[str, Any], screen: Screen, now: datetime) -> list[str]:
    """Two lines a verdict (a table of eight columns does not read at 80): what was judged
    and how, then who judged whose work."""
    verdicts = result.get("verdicts")
    if not isinstance(verdicts, list):
        return generic.draw(result, screen, now)
    if not verdicts:
        return ["(no verdicts)"]
    out = []
    for v in verdicts:
        value = str(v["value"])
        head = (
            f"{visible(str(v['review_job_id']))} of {visible(str(v['target_job_id']))}, "
            f"attempt {v['attempt']}: "
        )
        note = "" if v.get("applied", True) else " (not applied)"
        when = humanize.scalar(v.get("created_at"), now, "created_at")
        first = layout.clip(f"{head}{visible(value)}{note}  {when}", screen.width)
        out.append(first.replace(value, screen.paint(value, STYLES.get(value)), 1))
        sides = f"reviewer: {_who(v, 'reviewer')} · author: {_who(v, 'author')} · " + (
            "cross-provider" if v.get("cross_provider") else "same provider"
        )
        out += layout.wrap(sides, screen.width, indent="    ")
    return out


def _who(verdict: dict[str, Any], side: str) -> str:
    """`lane provider model`, what is known of one side."""
    parts = [verdict.get(f"{side}_{key}") for key in ("lane", "provider", "model")]
    return visible(" ".join(str(p) for p in parts if p)) or "-"
