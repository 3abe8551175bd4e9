"""lanes/usage_limits: a CLI's error text names a rate limit (retry soon) or a usage limit (an
allowance spent until a reset), with the reset or the wait when the text says it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from striatum.lanes.usage_limits import recognise

NOW = 1_765_000_000.0  # 2025-12-06 05:46:40 UTC


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("try again in 5 days.", 5 * 86400),
        ("Try again in 2 hours, 3 minutes", 7380),
        ("Please try again in 20ms.", 0.02),
        ("please retry in 23.5s", 23.5),
        ('"retryDelay": "41s"', 41),
        ("try again at 3:05 PM", None),
    ],
)
def test_a_wait_is_read_in_seconds(text: str, seconds: float | None) -> None:
    found = recognise(f"Rate limit reached. {text}")
    assert found is not None and found.retry_after_s == seconds


@pytest.mark.parametrize(
    ("text", "resets_at"),
    [
        ("Claude AI usage limit reached|1765044000", 1765044000.0),
        ("limit reached · resets 4:30am (UTC)", 1765081800.0),  # passed today: tomorrow
        ("Your limit will reset at 7pm (America/Chicago).", 1765069200.0),
        ("usage limit reached, resets 3pm", None),  # no zone: nobody's 3pm
        ("usage limit reached, resets 3pm (Mars/Olympus)", None),
    ],
)
def test_a_reset_is_an_epoch_or_the_next_such_time_in_the_named_zone(
    text: str, resets_at: float | None
) -> None:
    found = recognise(f"Claude usage limit reached. {text}", now=NOW)
    assert found is not None and found.kind == "usage" and found.resets_at == resets_at


@pytest.mark.parametrize(
    "text",
    [
        "API Error: 500 Internal Server Error",
        "Connection failed: error sending request",
        "stream disconnected before completion",
        "exception TypeError: fetch failed sending request",
    ],
)
def test_other_failures_are_no_limit(text: str) -> None:
    assert recognise(text) is None


def test_a_429_status_alone_is_a_rate_limit() -> None:
    found = recognise("scripted model failure", status=429)
    assert found is not None and found.kind == "rate" and found.message == "scripted model failure"


@given(st.text(max_size=400), st.none() | st.integers(), st.none() | st.floats(0, 4e9))
def test_any_text_is_read_without_raising(text: str, status: int | None, now: float | None) -> None:
    found = recognise(text, status=status, now=now)
    assert found is None or (found.kind in ("rate", "usage") and len(found.message) <= 301)
