"""Generate docs/CLI_REFERENCE.md from the command tree (which the verb catalog generates).

Run `python -m striatum.cli.reference > docs/CLI_REFERENCE.md`; a test fails when the file
differs from what this prints.
"""

from __future__ import annotations

import click

from striatum import errors
from striatum.verbs.catalog import BY_NAME

HEADER = """# CLI reference

Generated from the verb catalog by `python -m striatum.cli.reference`; do not edit by hand.
Every verb is also an RPC method of the same dotted name (`token create` is `token.create`)
and takes the same parameters. Every verb accepts `--json`.
"""


def render(root: click.Group) -> str:
    parts = [HEADER, _exit_codes(), _section(root, ["striatum"], _context(root))]
    return "\n".join(parts).rstrip() + "\n"


def error_table() -> str:
    """The error table as markdown; docs/SPEC.md §2 holds the same rows (a test compares)."""
    rows = [
        (row.exit, f"`{code}`", str(row.http), str(row.jsonrpc), row.meaning)
        for code, row in errors.CODES.items()
    ]
    rows += [(status, "-", "-", "-", meaning) for status, meaning in errors.OTHER_EXITS.items()]
    lines = ["| exit | code | HTTP | JSON-RPC | meaning |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {status} | {' | '.join(cells)} |" for status, *cells in sorted(rows)]
    return "\n".join(lines) + "\n"


def _exit_codes() -> str:
    return "## Exit codes and error codes\n\n" + error_table()


def _context(root: click.Group) -> click.Context:
    """The root's context as the CLI makes it (its context settings: `-h` as well as `--help`);
    click caches each command's help option from the first context it saw, so a bare
    `click.Context(root)` would print whatever an earlier call in this process left there."""
    return click.Context(root, info_name="striatum", **root.context_settings)


def _section(command: click.Command, path: list[str], ctx: click.Context) -> str:
    title = " ".join(path)
    usage = command.collect_usage_pieces(ctx)
    lines = [
        f"## `{title}`\n",
        (command.help or "").strip(),
        "",
        f"Usage: `{title} {' '.join(usage)}`",
        "",
    ]
    verb = BY_NAME.get(".".join(path[1:]))
    if verb is not None:
        kind = "write" if verb.writes else "read"
        lines += [f"RPC method `{verb.name}` ({kind}); capability `{verb.capability.value}`.", ""]
    options = [param.get_help_record(ctx) for param in command.get_params(ctx)]
    rows = [f"| `{_cell(name)}` | {_cell(text)} |" for name, text in (o for o in options if o)]
    if rows:
        lines += ["| option | meaning |", "| --- | --- |", *rows, ""]
    text = "\n".join(lines) + "\n"
    if isinstance(command, click.Group):
        for name in sorted(command.commands):
            child = command.commands[name]
            text += _section(child, [*path, name], click.Context(child, info_name=name, parent=ctx))
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def main() -> None:
    from striatum.cli.main import cli

    click.echo(render(cli), nl=False)


if __name__ == "__main__":
    main()
