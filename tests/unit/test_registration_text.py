"""Pure pieces of the MCP registration: TOML strings and unexpanded settings."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from striatum import errors, paths
from striatum.client import rpc
from striatum.mcp.registration import toml_string


@given(st.text(st.characters(exclude_categories=["Cs"])))
def test_any_path_round_trips_through_a_toml_string(value: str) -> None:
    assert tomllib.loads(f"x = {toml_string(value)}")["x"] == value


@pytest.mark.parametrize("value", ["$STRIATUM_TOKEN", "${STRIATUM_TOKEN}", ""])
def test_an_unexpanded_or_empty_setting_counts_as_unset(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("STRIATUM_TOKEN", value)
    assert paths.setting("STRIATUM_TOKEN") is None
    monkeypatch.setenv("STRIATUM_TOKEN", "stk_real")
    assert paths.setting("STRIATUM_TOKEN") == "stk_real"


def test_an_agent_without_its_lane_token_never_falls_back_to_the_host_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STRIATUM_LEASE", "lease_1")
    monkeypatch.setenv("STRIATUM_TOKEN", "$STRIATUM_TOKEN")  # what an agent CLI may pass
    with pytest.raises(errors.TokenMissing):
        rpc.token_for(None)
    monkeypatch.setenv("STRIATUM_TOKEN", "stk_lane")
    assert rpc.token_for(None) == "stk_lane"
