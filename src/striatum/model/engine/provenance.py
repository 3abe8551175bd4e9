"""Who actually does an attempt, and whether a session may review a target (co-blindness).

A session may declare the provider it is (`register-session --provider`). An attempt is then
done by that provider, whatever lane the job is on; a session that declares nothing is taken
to be the provider of the lane whose job it claims (a supervisor runs each lane's own CLI).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from striatum.model.workflow.rules import provider_identity

# The workflow's providers, plus `human` for a person claiming jobs by hand.
SESSION_PROVIDERS = ("claude_code", "codex", "gemini", "command", "human")


class Source(enum.StrEnum):
    SESSION = "session"  # the claiming session declared its provider
    LANE = "lane"  # the session declared nothing: the lane's provider is assumed


@dataclass(frozen=True, kw_only=True)
class Worker:
    """The provider (and model label) that did, or would do, one attempt of a job."""

    provider: str
    model: str | None
    lane: str | None  # the job's lane: names a `command` lane's identity when it has no model
    source: Source

    @property
    def identity(self) -> str:
        return provider_identity(self.lane, self.provider, self.model)

    def recorded(self) -> dict[str, str | None]:
        """As the attempt row and the `job.leased` event record it."""
        return {
            "provider": self.provider,
            "model": self.model,
            "provider_source": self.source.value,
        }


def worker(
    *,
    session_provider: str | None,
    session_model: str | None,
    lane: str | None,
    lane_provider: str | None,
    lane_model: str | None,
) -> Worker:
    """The session's declared provider if it has one, else the lane's."""
    if session_provider is not None:
        return Worker(
            provider=session_provider, model=session_model, lane=lane, source=Source.SESSION
        )
    return Worker(
        provider=lane_provider or "unknown", model=lane_model, lane=lane, source=Source.LANE
    )


@dataclass(frozen=True, kw_only=True)
class ReviewDecision:
    allowed: bool
    same_provider: bool  # reviewer and author are one identity (allowed only by the gate)
    identity: str  # the reviewer's identity


def may_review(
    reviewer: Worker, author: Worker | None, *, allow_same_provider: bool
) -> ReviewDecision:
    """A review must not be done by the provider that did the work it judges, unless its
    gate says `allow_same_provider: true`. No recorded author (nothing succeeded yet): allowed."""
    same = author is not None and reviewer.identity == author.identity
    return ReviewDecision(
        allowed=allow_same_provider or not same, same_provider=same, identity=reviewer.identity
    )
