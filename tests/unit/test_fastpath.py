"""The CLI's fast path sends exactly what the click CLI would send, or defers to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from striatum.cli import fastpath, subjects
from striatum.cli.main import cli
from striatum.client import rpc
from striatum.model.verb_spec import Param, Verb
from striatum.verbs.catalog import VERBS


def click_request(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...] | None:
    """What the full CLI sends for argv, or None when it refuses the arguments."""
    sent: list[tuple[Any, ...]] = []
    fake_daemon(monkeypatch, sent)
    from striatum.client import invoke

    monkeypatch.setattr(invoke, "run_hook", lambda *args: None)
    monkeypatch.setattr(invoke, "run_check", lambda *args: None)
    result = CliRunner().invoke(cli, argv)
    return sent[-1] if result.exit_code == 0 and sent else None


def fake_daemon(monkeypatch: pytest.MonkeyPatch, sent: list[tuple[Any, ...]]) -> None:
    """rpc.call records the verb calls; `run.latest` (how `latest` resolves) answers one run."""

    def record(
        method: str, params: dict[str, Any], *, as_role: str | None = None, token: str | None = None
    ) -> Any:
        sent.append((method, params, as_role))
        return {"run_id": "run_newest", "state": "running"} if method == "run.latest" else {}

    monkeypatch.setattr(rpc, "call", record)


def flagged(param: Param) -> Callable[[str], list[str]]:
    """An id given by its flag spelling."""
    return lambda value: [subjects.flag(param.name), value]


def argv_for(verb: Verb) -> st.SearchStrategy[list[str]]:
    def option(param: Param) -> st.SearchStrategy[list[str]]:
        flag = "--" + param.name.replace("_", "-")
        if param.type == "boolean":
            return st.just([flag])
        values: st.SearchStrategy[str]
        if param.choices:
            values = st.sampled_from([*param.choices, "bogus"])
        elif param.type == "integer":
            values = st.integers(-5, 2000).map(str) | st.just("x")
        else:
            values = st.text("abc-_ 1=", max_size=6) | st.just("--json")
        return values.flatmap(lambda v: st.sampled_from([[flag, v], [f"{flag}={v}"]]))

    def flag_with_value(param: Param) -> st.SearchStrategy[list[str]]:
        return st.just(["--" + param.name.replace("_", "-") + "="])

    pieces = [option(p) for p in verb.params if not p.positional]
    pieces += [flag_with_value(p) for p in verb.params if p.type == "boolean"]
    ids = st.text("tok_abc", min_size=1, max_size=8) | st.sampled_from(["latest", "-"])
    # A subject id by flag too (`--run-id`), perhaps beside the same or another positional.
    pieces += [ids.map(flagged(p)) for p in verb.params if p.positional]
    pieces.append(st.sampled_from([["--as", "principal"], ["--as", "operator"]]))
    positional = [ids.map(lambda v: [v]) for p in verb.params if p.positional]
    chosen = (
        st.lists(st.sampled_from(pieces), max_size=3).flatmap(lambda picks: st.tuples(*picks))
        if pieces
        else st.just(())
    )
    extras = st.sampled_from([[], ["--json"]])
    prefix = st.sampled_from([[], ["--as", "principal"], ["--as", "operator"]])
    return st.tuples(prefix, st.tuples(*positional), chosen, extras).map(
        lambda parts: [
            *parts[0],
            *verb.words,
            *(a for p in parts[1] for a in p),
            *(a for p in parts[2] for a in p),
            *parts[3],
        ]
    )


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(VERBS).flatmap(argv_for))
def test_the_fast_path_agrees_with_click_or_defers(argv: list[str]) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        expected = click_request(argv, monkeypatch)
    fast = fastpath.parse(argv)
    if fast is None:
        return  # deferring is always allowed: click then answers
    from striatum.client import latest_run, local_params

    with pytest.MonkeyPatch.context() as monkeypatch:
        fake_daemon(monkeypatch, [])
        params = latest_run.resolve(fast.params, repo=None, as_role=None, quiet=True)
    sent = local_params.complete(fast.verb, params, None)
    sent, _ = local_params.split_local(fast.verb, sent)
    assert expected == (fast.verb.name, sent, fast.as_role), argv


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["token", "create", "--help"],
        ["daemon", "start"],
        ["token", "create"],
        ["--repo", ".", "whoami"],
        ["whoami", "x"],
        ["token", "create", "--role", "lane"],
    ],
)
def test_help_local_commands_and_errors_go_to_click(argv: list[str]) -> None:
    assert fastpath.parse(argv) is None


def test_an_ordinary_call_takes_the_fast_path() -> None:
    parsed = fastpath.parse(
        ["--as", "principal", "token", "create", "--role=reader", "--label", "ci", "--json"]
    )
    assert parsed is not None
    assert (parsed.verb.name, parsed.params, parsed.as_json, parsed.as_role) == (
        "token.create",
        {"role": "reader", "label": "ci"},
        True,
        "principal",
    )


def test_an_empty_inline_value_is_a_value_and_a_valued_flag_defers() -> None:
    parsed = fastpath.parse(["token", "create", "--role", "reader", "--label=", "--json"])
    assert parsed is not None and parsed.params["label"] == "" and parsed.as_json
    assert fastpath.parse(["token", "list", "--all="]) is None
