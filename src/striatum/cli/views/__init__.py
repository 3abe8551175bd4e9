"""Human views of verb results: one per verb people read, the generic view for the rest.

A view is `draw(result, screen, now) -> lines`: lines that fit `screen.width`, colour only
when the screen takes it. Light imports only (no typing, no rich): `status`, `list runs` and
`whoami` are drawn on the CLI's fast path, whose start-up tests/e2e/test_cli_start_path.py and
bench/cli.py keep cheap.
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (checkers honour the name)
if TYPE_CHECKING:
    from typing import Any

    from striatum.cli.terminal import Screen

# verb -> "module:function" under striatum.cli.views; other verbs get the generic view.
VIEWS = {
    "status": "runs:status",
    "list.runs": "runs:run_list",
    "list.jobs": "runs:job_list",
    "list.verdicts": "verdicts:verdict_list",
    "why": "history:why",
    "inbox": "blockers:inbox",
    "escalation.list": "blockers:escalations",
    "daemon.status": "daemon:daemon_status",
    "whoami": "daemon:whoami",
}


def draw(verb: str | None, result: Any, screen: Screen, now: datetime | None = None) -> list[str]:
    """The lines of `result` as `verb`'s view shows them (the generic view for others)."""
    from striatum.cli.views import generic

    now = now or datetime.now(UTC)
    found = VIEWS.get(verb or "") if isinstance(result, dict) else None
    if found is not None:
        module, _, function = found.partition(":")
        view = getattr(importlib.import_module(f"striatum.cli.views.{module}"), function)
        try:
            lines: list[str] = view(result, screen, now)
            return lines
        except (KeyError, TypeError, AttributeError, ValueError):
            # A daemon of another version may answer a shape this view does not know: the
            # generic view still shows all of it, and the user sees no traceback.
            pass
    return generic.draw(result, screen, now)
