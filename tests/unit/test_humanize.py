"""Values as a person reads them, and when output may carry colour."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from striatum.cli import humanize
from striatum.cli.terminal import wants_color

NOW = datetime(2026, 12, 5, 14, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stamp", "said"),
    [
        ("2026-12-05 13:59:59.600000+00:00", "just now"),
        ("2026-12-05T13:59:48.000000+00:00", "12s ago"),
        ("2026-12-05 13:57:00.000000+00:00", "3 min ago"),
        ("2026-12-05T11:00:00Z", "3 h ago"),
        ("2026-12-01T14:00:00+00:00", "4 days ago"),
        ("2026-12-05T14:05:00+00:00", "in 5 min"),
    ],
)
def test_a_timestamp_is_said_relative_to_now(stamp: str, said: str) -> None:
    when = humanize.parse_time(stamp)
    assert when is not None and humanize.ago(when, NOW) == said


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(0.42, "0.4s"), (5, "5s"), (12, "12s"), (72, "1m 12s"), (7380, "2h 03m"), (273600, "3d 04h")],
)
def test_a_duration_is_its_two_largest_units(seconds: float, said: str) -> None:
    assert humanize.duration(seconds) == said


def test_scalars_become_words_and_nested_values_k_equals_v_without_json() -> None:
    assert humanize.scalar(None, NOW) == "-"
    assert humanize.scalar(True, NOW) == "yes"
    assert humanize.scalar(3.5, NOW, "uptime_s") == "3.5s"
    nested = {"every_s": 10, "problems": {}, "argv": ["sh", "-c"], "inner": {"a": 1}}
    said = humanize.summary(nested, NOW)
    assert said == "argv=sh -c, every_s=10s, inner=(a=1), problems=-"
    assert not set("{}[]") & set(said)


def test_text_that_only_looks_like_a_time_is_left_alone() -> None:
    assert humanize.parse_time("2026-13-45 not a time") is None
    assert humanize.scalar("j0001", NOW) == "j0001"


def test_field_names_lose_their_unit_suffixes() -> None:
    assert humanize.label("started_at") == "started"
    assert humanize.label("uptime_s") == "uptime"
    assert humanize.label("_s") == " s"


@pytest.mark.parametrize(
    ("env", "tty", "colour"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1"}, True, False),
        ({"NO_COLOR": ""}, True, True),  # no-color.org: present and not empty
        ({"TERM": "dumb"}, True, False),
        ({"STRIATUM_COLOR": "always"}, False, True),
        ({"STRIATUM_COLOR": "never"}, True, False),
        ({"STRIATUM_COLOR": "always", "NO_COLOR": "1"}, False, False),
    ],
)
def test_colour_only_on_a_terminal_or_when_forced_and_never_against_no_color(
    env: dict[str, str], tty: bool, colour: bool
) -> None:
    assert wants_color(env, tty=tty) is colour
