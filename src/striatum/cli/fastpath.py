"""Parsing an ordinary verb call straight from the catalog, without click.

Grammar accepted: `[--as ROLE] WORD... [ID... | --opt VALUE | --opt=VALUE | --flag | --json |
--as ROLE]...`, ids placed as subjects.py says.
Anything else (help, --repo, unknown or missing options, bad values) returns None and the full
click CLI handles it, so a usage mistake is always click's exit 2 with click's message; only
a call click would make is made here. tests/unit/test_fastpath.py checks that both parsers send
the same request, tests/unit/test_cli_usage.py that they end every call the same way.

The catalog is read from its generated index (`verb_index`), and nothing on the way to a
successful answer imports typing, the catalog or the error classes (errors are imported where
one is caught): tests/e2e/test_cli_start_path.py keeps it so.
"""

from __future__ import annotations

import sys

from striatum.cli import subjects
from striatum.cli.verb_index import VERBS
from striatum.client.call_spec import CallParam, CallSpec

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (checkers honour the name)
if TYPE_CHECKING:
    from typing import Any

    from striatum.model.verb_spec import Verb

_GLOBAL_ROLES = ("operator", "principal")


class Invocation:
    """A parsed call: the verb (a catalog `Verb` works too), its params, the global options."""

    __slots__ = ("as_json", "as_role", "params", "verb")

    def __init__(
        self, verb: CallSpec | Verb, params: dict[str, Any], as_json: bool, as_role: str | None
    ) -> None:
        self.verb, self.params, self.as_json, self.as_role = verb, params, as_json, as_role


def parse(argv: list[str]) -> Invocation | None:
    as_role, rest = _global_options(argv)
    if rest is None:
        return None
    verb = _match(rest)
    if verb is None:
        return None
    parsed = _verb_arguments(verb, rest[len(verb.words) :])
    if parsed is None:
        return None
    params, as_json, role_after = parsed
    if role_after is not None:  # `--as` may follow the subcommand too: the same, once
        if as_role not in (None, role_after):
            return None
        as_role = role_after
    return Invocation(verb=verb, params=params, as_json=as_json, as_role=as_role)


def run(invocation: Invocation) -> int:
    """Call the daemon and print the result; errors as one line on stderr, never a traceback."""
    from striatum.cli import render
    from striatum.client import latest_run
    from striatum.client.invoke import exit_code, invoke

    try:
        params = latest_run.resolve(
            invocation.params,
            repo=None,
            as_role=invocation.as_role,
            quiet=invocation.as_json,
        )
        result = invoke(invocation.verb, params, as_role=invocation.as_role)
        render.show(result, as_json=invocation.as_json, verb=invocation.verb.name)
        return exit_code(invocation.verb, result)
    except KeyboardInterrupt:
        from striatum import errors

        sys.stderr.write("\n")  # as click does: end the line the terminal's ^C is on
        return errors.EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. piped into `head`
        from striatum import errors

        return errors.EXIT_OK
    except Exception as error:
        return _failed(error)


def _failed(error: Exception) -> int:
    """Our error as its one line and status; anything else as the last line of defence, as in
    failures.run_guarded."""
    from striatum import errors

    if isinstance(error, errors.StriatumError):
        from striatum.cli import role_hint

        role_hint.add_hint(error, sys.argv[1:])
        _report(error.message, error.hint)
        return error.exit_code
    _report(
        f"internal error: {type(error).__name__}: {error}",
        "please report this with the command you ran",
    )
    return errors.EXIT_INTERNAL


def _report(message: str, hint: str | None) -> None:
    """As failures.report: one line each, control characters escaped."""
    from striatum.model.terminal_text import visible

    sys.stderr.write(f"striatum: error: {visible(message)}\n")
    if hint:
        sys.stderr.write(f"  hint: {visible(hint)}\n")


def _global_options(argv: list[str]) -> tuple[str | None, list[str] | None]:
    as_role, index = None, 0
    while index < len(argv) and argv[index].startswith("-"):
        role = _role(argv, index)
        if role is None:
            return None, None  # --repo and anything else: the full CLI
        as_role, index = role, index + 2
    return as_role, argv[index:]


def _role(argv: list[str], index: int) -> str | None:
    """The role of `--as ROLE` at `index`, or None (not that, or a role click refuses)."""
    if argv[index] != "--as" or index + 1 >= len(argv):
        return None
    role = argv[index + 1]
    return role if role in _GLOBAL_ROLES else None


def _match(words: list[str]) -> CallSpec | None:
    for row in VERBS:
        spelled = row[0].split(".")
        if words[: len(spelled)] == spelled:
            return CallSpec(row)
    return None


def _verb_arguments(
    verb: CallSpec, args: list[str]
) -> tuple[dict[str, Any], bool, str | None] | None:
    """(params, --json, a --as given after the subcommand), or None for click to answer."""
    options = {subjects.flag(p.name): p for p in verb.params}
    slots = [p for p in verb.params if p.positional]
    params: dict[str, Any] = {}
    given: list[str] = []
    as_json, as_role, index = False, None, 0
    while index < len(args):
        arg = args[index]
        if arg == "--json":
            as_json = True
        elif arg == "--as":
            role = _role(args, index)
            if role is None or as_role is not None:
                return None
            as_role, index = role, index + 1
        elif arg.startswith("-") and arg != "-":  # `-`: a run id (latest)
            name, equals, inline = arg.partition("=")
            param = options.get(name)
            if param is None or param.name in params:
                return None
            if param.type == "boolean":
                if equals:
                    return None
                params[param.name] = True
            else:
                if not equals:
                    index += 1
                    if index >= len(args):
                        return None
                    inline = args[index]
                value = _convert(param, inline)
                if value is None:
                    return None
                params[param.name] = value
        else:
            given.append(arg)
        index += 1
    flagged = {p.name: params.pop(p.name) for p in slots if p.name in params}
    named, problem = subjects.assign(slots, given, flagged)
    params.update(named)
    if problem or any(p.required and p.name not in params for p in verb.params):
        return None
    return params, as_json, as_role


def _convert(param: CallParam, text: str) -> Any:
    if param.type == "integer":
        try:
            return int(text)
        except ValueError:
            return None
    if param.choices and text not in param.choices:
        return None
    return text
