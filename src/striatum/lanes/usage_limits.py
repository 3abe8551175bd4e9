"""Whether an agent stopped on a provider's limit, and when it may try again.

A "rate" limit is a 429 or a per-minute throttle (retry soon); a "usage" limit is a plan's
or a quota's allowance spent (Claude's "usage limit reached", Codex's "You've hit your usage
limit", Gemini's daily quota), which resets hours later. Either way the attempt failed; the
caller decides whether to park it until `resets_at` or for `retry_after_s`. Pure: a reset
said as a time of day is placed after the `now` the caller passes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MESSAGE_LIMIT = 300
TEXT_LIMIT = 4000  # limit messages are a sentence or two; this bounds the regex work

RATE_WORDS = re.compile(r"rate[ _-]?limit", re.IGNORECASE)
USAGE_WORDS = re.compile(
    r"usage limit|limit reached|hit your (?:\w+ )?limit|exhausted your (?:\w+ )?quota"
    r"|quota exceeded.*\bper day\b|daily quota",
    re.IGNORECASE | re.DOTALL,
)
THROTTLE_WORDS = re.compile(
    r"\b429\b|too many requests|resource_exhausted|quota exceeded", re.IGNORECASE
)
EPOCH = re.compile(r"(?:\||\bresets?(?: at)? )(\d{10})\b")  # "…limit reached|1751922000"
CLOCK = re.compile(
    r"\bresets?(?: at)? (\d{1,2})(?::(\d{2}))?\s*([ap]m)\b(?:\s*\(([\w/+-]+)\))?",
    re.IGNORECASE,
)
UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
UNIT_NAMES = r"ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?"
AMOUNT = re.compile(rf"(\d+(?:\.\d+)?)\s*({UNIT_NAMES})\b", re.IGNORECASE)
DURATION = re.compile(
    rf"(?:try again|retry) in\s+((?:(?:,|and)?\s*\d+(?:\.\d+)?\s*(?:{UNIT_NAMES})\b\s*)+)"
    r"|\"?retryDelay\"?\s*:\s*\"(\d+(?:\.\d+)?s)\"",
    re.IGNORECASE,
)


@dataclass(frozen=True, kw_only=True)
class Limit:
    kind: str  # "rate" (throttled, retry soon) or "usage" (an allowance spent until a reset)
    resets_at: float | None = None  # epoch seconds, when the CLI said when
    retry_after_s: float | None = None  # when the CLI said how long to wait
    message: str = ""  # the CLI's words, flattened and shortened


def recognise(text: str, *, status: int | None = None, now: float | None = None) -> Limit | None:
    """The limit `text` (a CLI's error message) reports, or None. `status` is the HTTP status
    the CLI gave apart from its text; `now` (epoch seconds) places a reset said as a time of
    day, which stays unknown without it."""
    text = text[:TEXT_LIMIT]
    kind = _kind(text, status)
    if kind is None:
        return None
    return Limit(
        kind=kind,
        resets_at=_reset_time(text, now),
        retry_after_s=_duration(text),
        message=_flat(text),
    )


def _kind(text: str, status: int | None) -> str | None:
    if RATE_WORDS.search(text):  # "Rate limit reached for …": a throttle, not an allowance
        return "rate"
    if USAGE_WORDS.search(text):
        return "usage"
    if status == 429 or THROTTLE_WORDS.search(text):
        return "rate"
    return None


def _reset_time(text: str, now: float | None) -> float | None:
    if found := EPOCH.search(text):
        return float(found.group(1))
    clock = CLOCK.search(text)
    if clock is None or now is None:
        return None
    hour, minute, half, zone = clock.groups()
    try:
        where = ZoneInfo(zone) if zone else None
    except (ZoneInfoNotFoundError, ValueError):
        return None
    if where is None or not 1 <= int(hour) <= 12 or int(minute or 0) > 59:
        return None  # a time of day in no named zone could be anyone's
    start = datetime.fromtimestamp(now, where)
    at = start.replace(
        hour=int(hour) % 12 + (12 if half.lower() == "pm" else 0),
        minute=int(minute or 0),
        second=0,
        microsecond=0,
    )
    return (at if at > start else at + timedelta(days=1)).timestamp()


def _duration(text: str) -> float | None:
    found = DURATION.search(text)
    if found is None:
        return None
    spans = AMOUNT.findall(found.group(1) or found.group(2))
    return sum(float(amount) * _unit_seconds(unit) for amount, unit in spans)


def _unit_seconds(unit: str) -> float:
    unit = unit.lower()
    return UNITS["ms"] if unit.startswith("milli") or unit == "ms" else UNITS[unit[0]]


def _flat(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= MESSAGE_LIMIT else flat[:MESSAGE_LIMIT] + "…"
