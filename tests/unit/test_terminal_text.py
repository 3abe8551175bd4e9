"""The one escaper of human output, and the renderers that must use it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from striatum.cli import dashboard_frame, render
from striatum.cli.terminal import Screen
from striatum.model.terminal_text import visible

HOSTILE = "\x1b]0;owned\x07\x1b[2J\x1b[1;31mAPPROVED\x1b[0m\nline2\r\t\x9b31m\x7f\x00"


def is_inert(text: str) -> bool:
    return not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text)


def test_controls_are_written_as_python_writes_them() -> None:
    assert visible(HOSTILE) == (
        "\\x1b]0;owned\\x07\\x1b[2J\\x1b[1;31mAPPROVED\\x1b[0m\\nline2\\r\\t\\x9b31m\\x7f\\x00"
    )
    assert visible("lone \ud800") == "lone \\ud800"


def test_ordinary_text_accents_and_emoji_are_left_alone() -> None:
    text = "café — 東京 🚀 C:\\path\\n (a literal backslash-n)"
    assert visible(text) == text


@given(st.text())
def test_any_text_comes_out_inert_on_one_line_and_escaping_twice_changes_nothing(
    text: str,
) -> None:
    once = visible(text)
    assert is_inert(once) and visible(once) == once
    once.encode("utf-8")  # printable: no lone surrogate left


def test_a_table_cell_cannot_start_a_row_nor_a_key_a_field() -> None:
    rows = [{"reason": HOSTILE, "job_id": "j0"}, {"reason": "ok", "job_id": "j1"}]
    lines = render.lines({"blockers": rows, HOSTILE: "value", "note": [HOSTILE]})
    assert all(is_inert(line) for line in lines)
    assert sum("j0" in line or "j1" in line for line in lines) == 2
    assert any(visible(HOSTILE) in line for line in lines)


def test_an_artifacts_content_keeps_its_lines_each_inert_and_indented() -> None:
    content = f"# Findings\n\n- {HOSTILE}\nartifact_id  forged"
    lines = render.lines({"artifact_id": "art_1", "content": content, "path": "a.md"})
    assert lines[:2] == ["artifact id  art_1", "path         a.md"]
    assert lines[2] == "content:"
    assert lines[3:5] == ["    # Findings", "    "]
    assert all(is_inert(line) and line.startswith("    ") for line in lines[3:])
    assert lines[-1] == "    artifact_id  forged"  # readable, but indented: no field of ours


def test_a_plain_result_is_escaped_too() -> None:
    assert render.lines(HOSTILE) == [visible(HOSTILE)]


def test_a_dashboard_frame_is_inert_whatever_the_run_holds() -> None:
    status: dict[str, Any] = {
        "run": {"run_id": "run_1", "workflow_id": HOSTILE, "state": "running"},
        "supervisor": None,
        "leases": [],
        "jobs": [
            {"job_id": "j0", "state": "waiting", "attempt": 1, "lane": HOSTILE, "provider": None}
        ],
        "open_blockers": [
            {"kind": "escalation", "blocker_id": "blk_1", "job_id": "j0", "reason": HOSTILE}
        ],
        "next_actions": [HOSTILE],
    }
    events = [{"at": "2026-01-01T00:00:00Z", "type": HOSTILE, "job_id": "j0", "seq": 1}]
    now = datetime(2026, 1, 1, 0, 1, tzinfo=UTC)
    lines = dashboard_frame.run_frame(status, events, Screen(100, color=False, height=40), now)
    assert all(is_inert(line) for line in lines)
    assert not any(line.lstrip().startswith("line2") for line in lines)
    # run, counts, job, blocker, "last events:", one event, "next:", the action
    assert len(lines) == 8
