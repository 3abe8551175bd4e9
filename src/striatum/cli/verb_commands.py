"""Click commands generated from the verb catalog: one per verb, the same params everywhere."""

from __future__ import annotations

import sys
from typing import Any

import click

from striatum.cli import subject_params, subjects
from striatum.model.verb_spec import Param, Verb
from striatum.verbs.catalog import VERBS

_CLICK_TYPES: dict[str, Any] = {"string": click.STRING, "integer": click.INT, "boolean": click.BOOL}


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
        sent = {
            k: v for k, v in subject_params.merged(verb.params, values).items() if v is not None
        }
        repo = None if options.get("repo") is None else str(options["repo"])
        as_role = options.get("as_role")
        sent = latest_run.resolve(sent, repo=repo, as_role=as_role, quiet=as_json)
        result = invoke(verb, sent, repo=repo, as_role=as_role)
        render.show(result, as_json=as_json, verb=verb.name)
        code = exit_code(verb, result)
        if code:
            sys.exit(code)

    help_text = verb.summary + (f"\n\n{verb.description}" if verb.description else "")
    help_text += f"\n\nNeeds capability '{verb.capability.value}'."
    return click.Command(
        verb.words[-1], params=params, callback=callback, help=help_text, short_help=verb.summary
    )


def _click_params(param: Param) -> list[click.Parameter]:
    kind = click.Choice(param.choices) if param.choices else _CLICK_TYPES[param.type]
    if param.positional:
        return subject_params.click_params(param, kind)
    flag = subjects.flag(param.name)
    if param.type == "boolean":
        return [click.Option([flag, param.name], is_flag=True, default=None, help=param.help)]
    # No `default=None` here: click (8.3 on) takes an explicit None as a given value, and a
    # required option would then reach the daemon missing instead of being a usage error.
    return [
        click.Option(
            [flag, param.name],
            type=kind,
            required=param.required,
            help=param.help,
            show_default=False,
        )
    ]
