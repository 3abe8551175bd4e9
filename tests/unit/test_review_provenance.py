"""Who did an attempt, and whether a session may review a target: pure co-blindness rules."""

from __future__ import annotations

import pytest

from striatum.model.engine.provenance import (
    SESSION_PROVIDERS,
    Source,
    Worker,
    may_review,
    worker,
)
from striatum.verbs.catalog import BY_NAME


def _lane(provider: str, lane: str = "lane", model: str | None = None) -> Worker:
    return worker(
        session_provider=None,
        session_model=None,
        lane=lane,
        lane_provider=provider,
        lane_model=model,
    )


def _session(provider: str, model: str | None = None, lane: str = "lane") -> Worker:
    return worker(
        session_provider=provider,
        session_model=model,
        lane=lane,
        lane_provider="codex",
        lane_model="gpt",
    )


def test_a_declared_provider_wins_over_the_lane() -> None:
    did = _session("claude_code", "opus")
    assert (did.provider, did.model, did.source) == ("claude_code", "opus", Source.SESSION)


def test_a_session_that_declares_nothing_is_the_lanes_provider() -> None:
    did = _lane("gemini", model="pro")
    assert (did.provider, did.model, did.source) == ("gemini", "pro", Source.LANE)


def test_a_session_may_not_review_work_its_own_provider_did() -> None:
    decision = may_review(
        _session("claude_code"), _session("claude_code"), allow_same_provider=False
    )
    assert not decision.allowed and decision.same_provider
    assert decision.identity == "claude_code"


def test_the_gate_option_allows_the_same_provider() -> None:
    decision = may_review(
        _session("claude_code"), _session("claude_code"), allow_same_provider=True
    )
    assert decision.allowed and decision.same_provider


def test_another_provider_may_review() -> None:
    decision = may_review(_session("codex"), _session("claude_code"), allow_same_provider=False)
    assert decision.allowed and not decision.same_provider


@pytest.mark.parametrize(
    ("reviewer", "author", "allowed"),
    [
        (_lane("command", "a", "m1"), _lane("command", "b", "m2"), True),
        (_lane("command", "a", "m1"), _lane("command", "b", "m1"), False),
        (_lane("command", "a"), _lane("command", "b"), True),  # no model: the lane names it
        (_session("command", "m1"), _lane("command", "b", "m1"), False),
        (_session("human"), _session("human"), False),
        (_session("human"), _lane("codex"), True),
    ],
)
def test_identities_follow_the_workflow_rule(
    reviewer: Worker, author: Worker, allowed: bool
) -> None:
    assert may_review(reviewer, author, allow_same_provider=False).allowed is allowed


def test_nothing_recorded_for_the_author_is_no_reason_to_refuse() -> None:
    assert may_review(_session("codex"), None, allow_same_provider=False).allowed


def test_register_session_offers_exactly_the_session_providers() -> None:
    verb = BY_NAME["register-session"]
    param = next(p for p in verb.params if p.name == "provider")
    assert param.choices == SESSION_PROVIDERS
