"""Frames that never became requests, counted and audited as one row per period.

Every real request gets its own audit row. Bytes that are not a request at all (garbage, a
frame too big, cut short or too slow) and connections refused at the cap are only counted,
then written as one `(malformed)` row per period, so a flood cannot grow the audit chain
without bound (docs/SPEC.md §4).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

METHOD = "(malformed)"


class Noise:
    """Counts by kind since the last drain (event loop only)."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._since: dt.datetime | None = None

    def count(self, kind: str) -> None:
        if self._since is None:
            self._since = dt.datetime.now(dt.UTC)
        self._counts[kind] += 1

    def drain(self) -> dict[str, Any] | None:
        """The period's audit params, or None when nothing happened; starts a new period."""
        if self._since is None:
            return None
        params = {
            "count": sum(self._counts.values()),
            "kinds": dict(sorted(self._counts.items())),
            "since": self._since.isoformat(),
            "until": dt.datetime.now(dt.UTC).isoformat(),
        }
        self._counts, self._since = Counter(), None
        return params
