"""Click parameters for subject ids: a positional argument and its --flag spelling, merged
by subjects.py; for the generated verb commands and the hand-written ones alike."""

from __future__ import annotations

from typing import Any

import click

from striatum.cli import completion, subjects
from striatum.model.verb_spec import Param

_FLAGGED = "__flag"  # the suffix of the value name a positional param's --flag spelling fills


def click_params(param: Param, kind: Any) -> list[click.Parameter]:
    """A positional argument and its --flag spelling; `merged` makes them one value."""
    shown = subjects.metavar(param.name)
    return [
        click.Argument(
            [param.name],
            type=kind,
            required=False,
            metavar=shown if param.required else f"[{shown}]",
            shell_complete=_completer(param),
        ),
        click.Option(
            [subjects.flag(param.name), param.name + _FLAGGED],
            type=kind,
            help=f"{param.help.rstrip('.')}; or give it as {shown}.",
            show_default=False,
            shell_complete=_completer(param),
        ),
    ]


def _completer(param: Param) -> Any:
    """Run ids complete from the daemon; other ids from nothing (click's default)."""
    return completion.run_ids if param.name == "run_id" else None


def merged(declared: tuple[Param, ...], values: dict[str, Any]) -> dict[str, Any]:
    """`values` with each positional param's two spellings merged into one; a usage error
    when they disagree or a required one is missing."""
    slots = [p for p in declared if p.positional]
    given = [values.pop(p.name) for p in slots]
    flagged = {p.name: values.pop(p.name + _FLAGGED) for p in slots}
    named, problem = subjects.assign(
        slots,
        [value for value in given if value is not None],
        {name: value for name, value in flagged.items() if value is not None},
    )
    ctx = click.get_current_context()
    if problem:
        raise click.UsageError(problem, ctx)
    for slot in slots:
        if slot.required and slot.name not in named:
            raise click.UsageError(
                f"Missing argument '{subjects.metavar(slot.name)}' "
                f"(or {subjects.flag(slot.name)}).",
                ctx,
            )
    return {**values, **named}


def with_subjects(command: click.Command, *declared: Param) -> click.Command:
    """A hand-written command taking these ids as a generated verb does (`latest` included)."""
    command.params[:0] = [q for p in declared for q in click_params(p, click.STRING)]
    inner = command.callback
    assert inner is not None

    def callback(**values: Any) -> Any:
        from striatum.client import latest_run

        options = click.get_current_context().find_root().obj or {}
        repo = None if options.get("repo") is None else str(options["repo"])
        named = latest_run.resolve(
            merged(declared, values), repo=repo, as_role=options.get("as_role")
        )
        return inner(**named)

    command.callback = callback
    return command
