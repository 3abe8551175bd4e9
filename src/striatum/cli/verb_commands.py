"""Click commands generated from the verb catalog: one per verb, the same params everywhere."""

from __future__ import annotations

import sys
from typing import Any

import click

from striatum.cli import subjects
from striatum.model.verb_spec import Param, Verb
from striatum.verbs.catalog import VERBS

_CLICK_TYPES: dict[str, Any] = {"string": click.STRING, "integer": click.INT, "boolean": click.BOOL}
_FLAGGED = "__flag"  # the suffix of the value name a positional param's --flag spelling fills


def attach(root: click.Group) -> None:
    """Add every verb to the command tree under the groups its dotted name spells."""
    for verb in VERBS:
        group = root
        for word in verb.words[:-1]:
            existing = group.commands.get(word)
            if existing is None:
                existing = click.Group(word, help=f"{word.capitalize()} commands.")
                group.add_command(existing)
            assert isinstance(existing, click.Group)
            group = existing
        group.add_command(command_for(verb))


def command_for(verb: Verb) -> click.Command:
    params: list[click.Parameter] = [q for p in verb.params for q in _click_params(p)]
    params.append(
        click.Option(
            ["--json", "as_json"], is_flag=True, help="Print the result as JSON on stdout."
        )
    )

    def callback(as_json: bool, **values: Any) -> None:
        from striatum.cli import render
        from striatum.client import latest_run
        from striatum.client.invoke import exit_code, invoke

        options = click.get_current_context().find_root().obj or {}
        sent = {k: v for k, v in subject_values(verb.params, values).items() if v is not None}
        repo = None if options.get("repo") is None else str(options["repo"])
        as_role = options.get("as_role")
        sent = latest_run.resolve(verb, sent, repo=repo, as_role=as_role, quiet=as_json)
        result = invoke(verb, sent, repo=repo, as_role=as_role)
        render.show(result, as_json=as_json)
        code = exit_code(verb, result)
        if code:
            sys.exit(code)

    help_text = verb.summary + (f"\n\n{verb.description}" if verb.description else "")
    help_text += f"\n\nNeeds capability '{verb.capability.value}'."
    return click.Command(
        verb.words[-1], params=params, callback=callback, help=help_text, short_help=verb.summary
    )


def subject_params(name: str, kind: Any, required: bool, help_text: str) -> list[click.Parameter]:
    """A positional argument and its --flag spelling (see subjects.py); `subject_values`
    merges the two."""
    shown = subjects.metavar(name)
    return [
        click.Argument(
            [name], type=kind, required=False, metavar=shown if required else f"[{shown}]"
        ),
        click.Option(
            [subjects.flag(name), name + _FLAGGED],
            type=kind,
            help=f"{help_text} (Or give it as {shown}.)",
            show_default=False,
        ),
    ]


def subject_values(declared: tuple[Any, ...], values: dict[str, Any]) -> dict[str, Any]:
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


def _click_params(param: Param) -> list[click.Parameter]:
    kind = click.Choice(param.choices) if param.choices else _CLICK_TYPES[param.type]
    if param.positional:
        return subject_params(param.name, kind, param.required, param.help)
    flag = subjects.flag(param.name)
    if param.type == "boolean":
        return [click.Option([flag, param.name], is_flag=True, default=None, help=param.help)]
    # No `default=None` here: click (8.3 on) takes an explicit None as a given value, and a
    # required option would then reach the daemon missing instead of being a usage error.
    return [
        click.Option(
            [flag, param.name], type=kind, required=param.required, help=param.help, show_default=False
        )
    ]
