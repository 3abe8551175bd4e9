"""Views a newcomer reads first, at 80 columns: `list verdicts` (one verdict in two lines, both
sides named) and an ended run's dashboard headline with its reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from striatum.cli import views
from striatum.cli.layout import width_of
from striatum.cli.terminal import Screen

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def _verdict(value: str, attempt: int, *, model: str | None) -> dict[str, object]:
    return {
        "verdict_id": f"vrd_{attempt:012d}",
        "review_job_id": "code-review",
        "target_job_id": "change",
        "attempt": attempt,
        "value": value,
        "findings_artifact_id": "art_0123456789ab",
        "actor": "operator:tok_0123456789",
        "reviewer": "ses_0123456789",
        "reviewer_lane": "reviewer1",
        "reviewer_provider": "codex",
        "reviewer_model": model,
        "author_lane": "author",
        "author_provider": "claude_code",
        "author_model": "claude-sonnet-4-5",
        "cross_provider": True,
        "applied": True,
        "created_at": (NOW - timedelta(minutes=3)).isoformat(),
    }


def test_verdicts_read_as_what_was_judged_then_both_sides_at_80_columns() -> None:
    result = {
        "verdicts": [
            _verdict("needs_revision", 1, model=None),
            _verdict("accept", 2, model="gpt-5"),
        ]
    }
    lines = views.draw("list.verdicts", result, Screen(80, color=False), NOW)
    assert all(width_of(line) <= 80 for line in lines), lines
    assert lines[0] == "code-review of change, attempt 1: needs_revision  3 min ago"
    assert lines[1] == (
        "    reviewer: reviewer1 codex · author: author claude_code claude-sonnet-4-5 ·"
    )
    assert lines[2] == "    cross-provider"
    assert lines[3].startswith("code-review of change, attempt 2: accept")
    assert "reviewer1 codex gpt-5" in lines[4]
    assert not any(cell in "".join(lines) for cell in ("{", "[", "art_", "tok_"))


def test_a_verdict_is_coloured_on_a_colour_screen() -> None:
    result = {"verdicts": [_verdict("reject", 1, model=None)]}
    (first, *_) = views.draw("list.verdicts", result, Screen(80, color=True), NOW)
    assert "\x1b[" in first and "reject" in first


def test_no_verdicts_says_so() -> None:
    assert views.draw("list.verdicts", {"verdicts": []}, Screen(80, color=False), NOW) == [
        "(no verdicts)"
    ]


def test_an_ended_run_s_dashboard_headline_fits_with_its_reason() -> None:
    from striatum.cli import dashboard_frame

    run = {
        "run_id": "run_b1fc5bc78db6",
        "workflow_id": "code-change-flow",
        "state": "succeeded",
        "started_at": (NOW - timedelta(seconds=61)).isoformat(),
        "ended_at": NOW.isoformat(),
        "ended_reason": "nothing more can happen",
    }
    status = {"run": run, "jobs": [], "open_blockers": [], "next_actions": [], "leases": []}
    frame = dashboard_frame.run_frame(status, [], Screen(80, color=False, height=24), NOW)
    assert frame[0].startswith("run run_b1fc5bc78db6  code-change-flow  SUCCEEDED  (1m 01s)")
    assert all(width_of(line) <= 80 for line in frame), frame


def test_a_run_s_usage_reads_in_words_and_never_shows_unknown_as_free() -> None:
    def job(job_id: str, usage: dict[str, object]) -> dict[str, object]:
        return {
            "job_id": job_id,
            "kind": "task",
            "state": "succeeded",
            "attempt": 1,
            "lane": "author",
            "provider": "claude_code",
            "model": "claude-sonnet-4-5",
            "usage": usage,
        }

    paid = {"tokens": 5750, "cost_usd": 0.042, "cost_source": "reported", "attempts": 1}
    guessed = {"tokens": 1200, "cost_usd": 0.5, "cost_source": "estimated", "attempts": 2}
    silent: dict[str, object] = {"tokens": None, "attempts": 1, "unreported_attempts": 1}
    total = {"tokens": 6950, "cost_usd": 0.542, "cost_source": "estimated", "attempts": 4}
    result = {
        "run": {"run_id": "run_b1fc5bc78db6", "workflow_id": "flow", "state": "running"},
        "jobs": [
            job("draft", paid),
            job("review", {**guessed, "unreported_attempts": 1}),
            job("fix", silent),
        ],
        "usage": {
            "total": {**total, "unreported_attempts": 2},
            "by_provider": {"claude_code": paid, "codex": {**guessed, "unreported_attempts": 1}},
        },
        "leases": [],
        "open_blockers": [],
        "next_actions": [],
    }
    lines = views.draw("status", result, Screen(80, color=False), NOW)
    assert all(width_of(line) <= 80 for line in lines), lines
    text = " ".join(" ".join(lines).split())  # a long field wraps onto the next line
    assert "6,950 tokens, $0.54 (partly estimated); 2 of 4 attempts reported nothing" in text
    assert "by codex" in text and "1 of 2 attempts reported nothing" in text
    table = {
        line.split()[0]: line
        for line in lines
        if line.strip().split()[:1] in (["draft"], ["review"], ["fix"])
    }
    assert "$0.04" in table["draft"] and "~$0.50" in table["review"]
    assert " ? " in table["fix"] and "$0.00" not in table["fix"]


def test_the_dashboard_says_what_the_run_used_and_of_what_budget() -> None:
    from striatum.cli import dashboard_frame

    run = {"run_id": "run_b1fc5bc78db6", "workflow_id": "flow", "state": "paused"}
    total = {"tokens": 1500, "cost_usd": 0.25, "cost_source": "reported", "attempts": 1}
    budget = {"budget_usd": 0.1, "budget_tokens": None, "spent_usd": 0.25, "reached": True}
    status = {
        "run": run,
        "jobs": [],
        "open_blockers": [],
        "next_actions": [],
        "leases": [],
        "usage": {"total": {**total, "unreported_attempts": 0}},
        "budget": {**budget, "spent_tokens": 1500},
    }
    frame = dashboard_frame.run_frame(status, [], Screen(80, color=False, height=24), NOW)
    assert all(width_of(line) <= 80 for line in frame), frame
    assert frame[2].startswith("  used: 1,500 tokens, $0.25; budget $0.25 of $0.10 spent")
