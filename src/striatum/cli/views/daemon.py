"""`daemon status` and `whoami`."""

from __future__ import annotations

from striatum.cli import humanize, layout
from striatum.cli.views import generic
from striatum.model.terminal_text import visible

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (checkers honour the name)
if TYPE_CHECKING:
    from datetime import datetime
    from typing import Any

    from striatum.cli.terminal import Screen


def daemon_status(result: dict[str, Any], screen: Screen, now: datetime) -> list[str]:
    special = {"anchoring": anchoring, "database_state": database, "work": work}
    pairs = []
    for key, value in result.items():
        said = special[key](value, now) if key in special and isinstance(value, dict) else None
        pairs.append((humanize.label(key), said or humanize.scalar(value, now, key)))
    return layout.fields(pairs, screen)


def anchoring(value: dict[str, Any], now: datetime) -> str:
    every = f"every {humanize.duration(float(value.get('every_s') or 0))}"
    every += f" or {value.get('every_events')} events"
    last = humanize.scalar(value.get("anchored_at"), now)
    problems = value.get("problems") or {}
    trouble = humanize.summary(problems, now) if problems else "no problems"
    return f"{every}; last {'never' if last == '-' else last}; {trouble}"


def database(value: dict[str, Any], now: datetime) -> str:
    kind = "embedded" if value.get("embedded") else "external"
    restarts = value.get("restarts") or 0
    said = f"{visible(str(value.get('state')))} ({kind}), {restarts} restarts"
    if value.get("last_restart_at"):
        said += f", last {humanize.scalar(value['last_restart_at'], now)}"
    if value.get("last_exit") is not None:
        said += f", last exit {humanize.summary(value['last_exit'], now)}"
    return said


def work(value: dict[str, Any], now: datetime) -> str:
    return ", ".join(f"{humanize.scalar(v, now)} {visible(str(k))}" for k, v in value.items())


def whoami(result: dict[str, Any], screen: Screen, now: datetime) -> list[str]:
    capabilities = result.get("capabilities")
    if isinstance(capabilities, list) and all(isinstance(c, str) for c in capabilities):
        result = {**result, "capabilities": ", ".join(capabilities)}
    return generic.draw(result, screen, now)
