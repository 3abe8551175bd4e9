"""Values as a person reads them: relative times, durations, nested values as `k=v`.

Pure: the caller passes `now`. Light imports only: the CLI's fast path draws with it.
"""

from __future__ import annotations

from datetime import datetime

from striatum.model.terminal_text import visible

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (checkers honour the name)
if TYPE_CHECKING:
    from typing import Any

_UNITS = ((86400, "d"), (3600, "h"), (60, "m"), (1, "s"))


def label(key: str) -> str:
    """A field's name as a person reads it: `started_at` is `started`, `uptime_s` `uptime`."""
    for suffix in ("_at", "_s"):
        if key.endswith(suffix) and len(key) > len(suffix):
            key = key[: -len(suffix)]
            break
    return visible(key.replace("_", " "))


def parse_time(value: Any) -> datetime | None:
    """A timestamp as the daemon writes them (ISO 8601 with an offset), else None."""
    if not isinstance(value, str) or len(value) < 19 or value[4:5] != "-":
        return None
    if value[10:11] not in ("T", " "):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def ago(then: datetime, now: datetime) -> str:
    """`12s ago`, `3 min ago`, `2 h ago`, `4 days ago`; `in 5 min` for what is ahead."""
    seconds = (now - then).total_seconds()
    ahead, seconds = seconds < 0, abs(seconds)
    if seconds < 1:
        return "just now"
    if seconds < 60:
        spoken = f"{int(seconds)}s"
    elif seconds < 3600:
        spoken = f"{int(seconds // 60)} min"
    elif seconds < 86400:
        spoken = f"{int(seconds // 3600)} h"
    else:
        days = int(seconds // 86400)
        spoken = f"{days} day" + ("s" if days > 1 else "")
    return f"in {spoken}" if ahead else f"{spoken} ago"


def duration(seconds: float) -> str:
    """`0.4s`, `12s`, `1m 12s`, `2h 03m`, `3d 4h`: the two largest units that matter."""
    if seconds < 10:
        return f"{seconds:.1f}s".replace(".0s", "s")
    whole = int(seconds)
    parts: list[str] = []
    for size, unit in _UNITS:
        if whole >= size or parts:
            count, whole = divmod(whole, size)
            parts.append(f"{count:02d}{unit}" if parts else f"{count}{unit}")
        if len(parts) == 2:
            break
    return " ".join(parts)


def between(start: Any, end: Any) -> str | None:
    """The duration from one timestamp to another, when both are timestamps."""
    first, last = parse_time(start), parse_time(end)
    if first is None or last is None:
        return None
    return duration(max(0.0, (last - first).total_seconds()))


def scalar(value: Any, now: datetime, key: str = "") -> str:
    """One value as text: none as `-`, yes/no, a time as `3 min ago`, `*_s` as a duration."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float) and key.endswith("_s"):
        return duration(float(value))
    when = parse_time(value)
    if when is not None:
        return ago(when, now)
    if isinstance(value, dict | list):
        return summary(value, now)
    return visible(str(value))


def summary(value: Any, now: datetime) -> str:
    """A nested value on one line without JSON: `k=v, k=v`, a list as `a, b`, none as `-`."""
    if isinstance(value, dict):
        if not value:
            return "-"
        # sorted, as the JSON this replaces was: two doors may build one object in two orders
        pairs = sorted(value.items(), key=lambda pair: str(pair[0]))
        return ", ".join(f"{visible(str(k))}={_inner(v, now, str(k))}" for k, v in pairs)
    if isinstance(value, list):
        if not value:
            return "-"
        if all(isinstance(item, dict) for item in value):
            return f"{len(value)} item" + ("s" if len(value) > 1 else "")
        return ", ".join(_inner(item, now) for item in value)
    return scalar(value, now)


def _inner(value: Any, now: datetime, key: str = "") -> str:
    if isinstance(value, dict):
        return f"({summary(value, now)})" if value else "-"
    if isinstance(value, list):
        # a nested list (an argv, paths) reads as words: no brackets, which would pass for JSON
        return " ".join(_inner(item, now) for item in value) if value else "-"
    return scalar(value, now, key)
