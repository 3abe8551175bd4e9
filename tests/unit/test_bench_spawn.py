"""bench.spawn's `measure` API (bench.report may call it): every way timed, in milliseconds."""

from __future__ import annotations

from bench import spawn
from striatum.lanes import death_signal


def test_measure_times_every_way_of_launching_and_names_the_death_signal_used() -> None:
    found = spawn.measure(3)
    ways = {"preexec_fn", "plain", "launch", "launch_without_setpriv"}
    if death_signal.setpriv_path() is not None:
        ways.add("setpriv")
    assert found["benchmark"] == "spawn" and found["samples"] == 3
    assert found["death_signal"] == ("setpriv" if "setpriv" in ways else "preexec_fn")
    assert {k for k, v in found.items() if isinstance(v, dict)} == ways
    for way in ways:
        assert set(found[way]) == {"held_ms", "held_p90_ms", "exit_ms"}
        assert 0 < found[way]["held_ms"] <= found[way]["exit_ms"]
