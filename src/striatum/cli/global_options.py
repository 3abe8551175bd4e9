"""The group's options (`--as`, `--repo`) accepted after the subcommand too, same meaning.

`striatum status RUN --as principal` is what people type; each command gets a hidden copy
of every group option it does not spell itself (a verb's own `--repo` keeps its place, with
the same meaning). Given both before and after the subcommand, an option must agree.
"""

from __future__ import annotations

from typing import Any

import click


def accept_after_subcommand(root: click.Group) -> None:
    """Copy the root's non-eager options onto every command under it."""
    # One copy serves every command (a parameter keeps no state of its own between calls):
    # building one per command would cost the CLI's start-up a millisecond or two.
    shared = [_copy(p) for p in root.params if isinstance(p, click.Option) and not p.is_eager]
    for command in _commands(root):
        taken = {spelling for param in command.params for spelling in param.opts}
        command.params += [option for option in shared if not taken & set(option.opts)]


def _commands(group: click.Group) -> list[click.Command]:
    found: list[click.Command] = []
    for command in group.commands.values():
        if isinstance(command, click.Group):
            found += _commands(command)
        else:
            found.append(command)
    return found


def _copy(option: click.Option) -> click.Option:
    assert option.name is not None

    def store(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        if value is None:
            return
        chosen = ctx.find_root().ensure_object(dict)
        earlier = chosen.get(option.name)
        if earlier is not None and earlier != value:
            raise click.UsageError(
                f"{option.opts[0]} given twice ({earlier}, {value}); give it once", ctx
            )
        chosen[option.name] = value

    return click.Option(
        option.opts,
        type=option.type,
        default=None,
        hidden=True,
        expose_value=False,
        callback=store,
        help=option.help,
    )
