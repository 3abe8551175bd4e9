"""What the daemon reads from its environment for anchoring, and what it passes on."""

from __future__ import annotations

import pytest

from striatum.integrity import anchoring
from striatum.lanes import markers


def test_the_cadence_comes_from_the_settings_and_bad_values_fall_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STRIATUM_ANCHOR_EVERY_EVENTS", "250")
    monkeypatch.setenv("STRIATUM_ANCHOR_EVERY_S", "0.5")
    cadence = anchoring.Cadence.from_settings()
    assert (cadence.every_events, cadence.every_s, cadence.tick_s) == (250, 0.5, 0.5)
    monkeypatch.setenv("STRIATUM_ANCHOR_EVERY_S", "soon")
    monkeypatch.setenv("STRIATUM_ANCHOR_EVERY_EVENTS", "0")
    cadence = anchoring.Cadence.from_settings()
    assert (cadence.every_events, cadence.every_s, cadence.tick_s) == (1, 10.0, 1.0)


def test_a_process_started_from_an_agent_shell_drops_the_attempt_markers() -> None:
    env = {"STRIATUM_RUN_ID": "run-1", "STRIATUM_LEASE": "l-1", "STRIATUM_HOME": "/h"}
    assert markers.unmarked(env) == {"STRIATUM_HOME": "/h"}
    assert markers.of_run("run-1") not in [
        f"{k}={v}".encode() for k, v in markers.unmarked(env).items()
    ]
