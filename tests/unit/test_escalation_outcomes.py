"""Every reason an escalation can be opened for has answers the human may give."""

from __future__ import annotations

from striatum.model.engine.records import BlockerReason
from striatum.verbs.human.decisions import OUTCOMES


def test_every_escalation_reason_has_its_outcomes() -> None:
    """A reason missing here made `escalation resolve` an internal error (cannot_start was)."""
    escalations = set(BlockerReason) - {BlockerReason.CHECKPOINT, BlockerReason.BUDGET}
    assert set(OUTCOMES) == escalations
    assert all(OUTCOMES[reason] for reason in escalations)
