"""One argument-parser contract: the fast path and click end every call the same way.

For any command line, `striatum` (the fast path, deferring to click when unsure) and the click
CLI alone give the same exit status, stdout, stderr and daemon request. A usage mistake (a
missing required option or argument, an unknown option, a bad choice, a value of the wrong
type, an extra argument, an option without its value) is exit 2 with click's message and never
reaches the daemon; a value the daemon refuses is exit 3 with the daemon's message.
"""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stderr, redirect_stdout
from typing import Any, NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from striatum import errors
from striatum.cli import entry
from striatum.cli import main as click_cli
from striatum.client import invoke, rpc
from striatum.model.verb_spec import Param, Verb
from striatum.verbs.catalog import VERBS


class Ending(NamedTuple):
    status: int
    stdout: str
    stderr: str
    sent: list[tuple[str, dict[str, Any], str | None]]


def daemon(sent: list[tuple[str, dict[str, Any], str | None]]) -> Any:
    """A stand-in daemon: records the request; refuses any string holding '=' (exit 3)."""

    def call(
        method: str, params: dict[str, Any], *, as_role: str | None = None, token: str | None = None
    ) -> Any:
        sent.append((method, params, as_role))
        for name, value in params.items():
            if isinstance(value, str) and "=" in value:
                raise errors.ValidationError(
                    f"{method}: parameter {name!r} may not hold '='", hint="drop the '='"
                )
        return {"method": method, "params": params}

    return call


def ending(door: Any, argv: list[str], answer: Any = daemon) -> Ending:
    """How `door` (a console-script main) ends for `striatum ARGV`."""
    sent: list[tuple[str, dict[str, Any], str | None]] = []
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(rpc, "call", answer(sent))
        monkeypatch.setattr(invoke, "run_check", lambda *args: None)
        monkeypatch.setattr(invoke, "run_hook", lambda dotted, result, local: result)
        monkeypatch.setattr(sys, "argv", ["striatum", *argv])
        with redirect_stdout(out), redirect_stderr(err):
            try:
                door()
                status = 0
            except SystemExit as exit_:
                status = exit_.code if isinstance(exit_.code, int) else 1
    return Ending(status, out.getvalue(), err.getvalue(), sent)


def flag(param: Param) -> str:
    return "--" + param.name.replace("_", "-")


def value(param: Param) -> st.SearchStrategy[str]:
    if param.choices:
        return st.sampled_from(param.choices)
    if param.type == "integer":
        return st.integers(-5, 2000).map(str)
    if param.name == "run_id":  # `-` names the newest run: a look-up first (test_cli_ids)
        return st.text("abc-_ 1=", max_size=6).filter(lambda text: text != "-")
    return st.text("abc-_ 1=", max_size=6)


@st.composite
def command_line(draw: st.DrawFn) -> tuple[list[str], str | None]:
    """A verb call, right or with one usage mistake (named, or None)."""
    verb: Verb = draw(st.sampled_from(VERBS))
    options = [p for p in verb.params if not p.positional]
    required = [p for p in verb.params if p.required]
    mistakes: list[str | None] = [None, "unknown option", "extra argument", "bad role"]
    mistakes += ["missing"] if required else []
    mistakes += ["bad choice"] if any(p.choices for p in options) else []
    mistakes += ["not an integer"] if any(p.type == "integer" for p in options) else []
    mistakes += ["no value"] if any(p.type != "boolean" for p in options) else []
    mistake = draw(st.sampled_from(mistakes))

    given = [p for p in options if p.required or draw(st.booleans())]
    values = {p.name: draw(value(p)) for p in given}
    if mistake == "bad choice":
        bad = draw(st.sampled_from([p for p in options if p.choices]))
        given, values[bad.name] = [*{*given, bad}], "bogus"
    if mistake == "not an integer":
        bad = draw(st.sampled_from([p for p in options if p.type == "integer"]))
        given, values[bad.name] = [*{*given, bad}], "x"
    dropped = draw(st.sampled_from(required)) if mistake == "missing" else None
    args = [
        piece
        for p in draw(st.permutations(given))
        if p is not dropped
        for piece in _option(p, values.get(p.name), draw(st.booleans()))
    ]
    # A dropped id drops them all: the ones left would fill it (`why RUN` reads as `why ID`).
    positionals = [
        draw(st.text("tok_abc", min_size=1, max_size=8))
        for p in verb.params
        if p.positional and not (dropped and dropped.positional)
    ]
    args = positionals + args
    if mistake == "unknown option":
        args.insert(draw(st.integers(0, len(args))), "--bogus")
    if mistake == "extra argument":
        args.append("extra")
    args += draw(st.sampled_from([[], ["--json"]]))
    if mistake == "no value":  # last: anything after it would be its value
        args.append(flag(draw(st.sampled_from([p for p in options if p.type != "boolean"]))))
    prefix = draw(st.sampled_from([[], ["--as", "principal"], ["--as", "operator"]]))
    if mistake == "bad role":
        prefix = ["--as", "lane"]
    return [*prefix, *verb.words, *args], mistake


def _option(param: Param, text: str | None, inline: bool) -> list[str]:
    if param.type == "boolean":
        return [flag(param)]
    assert text is not None
    return [f"{flag(param)}={text}"] if inline else [flag(param), text]


@settings(max_examples=400, deadline=None)
@given(command_line())
def test_the_fast_path_and_click_end_every_call_the_same_way(
    call: tuple[list[str], str | None],
) -> None:
    argv, mistake = call
    fast, click = ending(entry.main, argv), ending(click_cli.main, argv)
    assert fast == click, argv
    if mistake is not None:
        assert click.status == errors.EXIT_USAGE, (mistake, argv, click)
        assert click.sent == [] and click.stdout == ""
        assert any(line.startswith("Error: ") for line in click.stderr.splitlines())
    else:
        refused = any("=" in v for _, params, _ in click.sent for v in map(str, params.values()))
        expected = errors.EXIT_CODES["validation"] if refused else errors.EXIT_OK
        assert click.status == expected and len(click.sent) == 1, (argv, click)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "cancel"], "Missing argument 'RUN_ID' (or --run-id)"),
        (["run", "cancel", "--reason", "x"], "Missing argument 'RUN_ID' (or --run-id)"),
        (["run", "cancel", "run_a", "--run-id", "run_b"], "RUN_ID given twice"),
        (["job", "show", "run_a", "build", "extra"], "unexpected extra argument"),
        (["--as", "operator", "status", "--as", "principal"], "--as given twice"),
        (["token", "revoke"], "Missing argument 'TOKEN_ID'"),
        (["status", "--bogus"], "No such option"),
        (["audit", "list", "--limit", "x"], "Invalid value for '--limit'"),
        (["token", "create", "--role", "lane"], "Invalid value for '--role'"),
        (["--as", "lane", "whoami"], "Invalid value for '--as'"),
        (["whoami", "extra"], "unexpected extra argument"),
        (["status", "--run-id"], "'--run-id' requires an argument"),
    ],
)
def test_a_usage_mistake_is_exit_2_with_clicks_message(argv: list[str], message: str) -> None:
    fast = ending(entry.main, argv)
    assert fast == ending(click_cli.main, argv)
    assert (fast.status, fast.sent) == (2, [])
    error = next(line for line in fast.stderr.splitlines() if line.startswith("Error: "))
    assert message in error, fast.stderr


def test_a_value_the_daemon_refuses_is_exit_3_with_its_message() -> None:
    argv = ["run", "cancel", "--run-id", "run_a=b"]
    fast = ending(entry.main, argv)
    assert fast == ending(click_cli.main, argv)
    assert fast.status == 3 and len(fast.sent) == 1
    assert fast.stderr == (
        "striatum: error: run.cancel: parameter 'run_id' may not hold '='\n  hint: drop the '='\n"
    )


def test_an_interrupt_ends_both_paths_alike_with_130() -> None:
    def interrupted(sent: list[Any]) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            raise KeyboardInterrupt

        return call

    fast = ending(entry.main, ["whoami"], interrupted)
    assert fast == ending(click_cli.main, ["whoami"], interrupted)
    assert fast.status == errors.EXIT_INTERRUPTED == 130
