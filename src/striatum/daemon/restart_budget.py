"""How often the daemon may restart its embedded PostgreSQL, and how long it waits first.

Pure: the watcher (`daemon.cluster_watch`) passes the times of its recent restart attempts and
gets back the delay before the next one, or None once the budget is spent. The delay doubles
with each attempt still in the window, so a cluster that keeps dying is restarted ever more
slowly and then given up on, rather than restarted in a tight loop for ever.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from striatum import paths

DEFAULT_ATTEMPTS = 5
DEFAULT_WINDOW_S = 600.0
FIRST_DELAY_S = 0.5
MAX_DELAY_S = 8.0


@dataclass(frozen=True, kw_only=True)
class RestartBudget:
    attempts: int = DEFAULT_ATTEMPTS  # restart attempts allowed within the window
    window_s: float = DEFAULT_WINDOW_S
    first_delay_s: float = FIRST_DELAY_S
    max_delay_s: float = MAX_DELAY_S

    @classmethod
    def from_settings(cls) -> RestartBudget:
        """STRIATUM_PG_RESTARTS and STRIATUM_PG_RESTART_WINDOW_S (bad values: the defaults)."""
        return cls(
            attempts=max(0, int(paths.number_setting("STRIATUM_PG_RESTARTS", DEFAULT_ATTEMPTS))),
            window_s=max(
                1.0, paths.number_setting("STRIATUM_PG_RESTART_WINDOW_S", DEFAULT_WINDOW_S)
            ),
        )

    def next_delay(self, attempted_at: Sequence[float], now: float) -> float | None:
        """Seconds to wait before the next attempt, or None when the window's budget is spent.

        `attempted_at` and `now` are monotonic times; attempts older than the window are
        forgotten, failed attempts count as much as successful ones.
        """
        recent = sum(1 for at in attempted_at if now - at < self.window_s)
        if recent >= self.attempts:
            return None
        return min(self.first_delay_s * 2.0**recent, self.max_delay_s)
