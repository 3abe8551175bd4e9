"""Finding the `striatum ...` commands a Markdown text teaches, and checking they exist."""

from __future__ import annotations

import re
import shlex

import click

from striatum.cli.main import cli


def commands(text: str) -> list[list[str]]:
    """Every `striatum ...` command line in inline code or fenced code blocks (argv[1:])."""
    spans = re.findall(r"`([^`\n]+)`", text) + [
        line.strip()
        for block in re.findall(r"```[a-z]*\n(.*?)```", text, re.S)
        for line in block.splitlines()
    ]
    found = []
    for span in spans:
        if span.startswith("striatum "):
            found.append(shlex.split(span.split("  #")[0].replace("|", " "))[1:])
    return found


def problem(words: list[str]) -> str | None:
    """Why `striatum WORDS` is not a real command line, or None."""
    command: click.Command = cli
    rest = list(words)
    while rest and rest[0] in ("--as", "--repo"):
        rest = rest[2:]
    while isinstance(command, click.Group) and rest and rest[0] in command.commands:
        command = command.commands[rest.pop(0)]
    if isinstance(command, click.Group) and rest[:1] in (["--version"], ["--help"]):
        return None
    if isinstance(command, click.Group):
        return f"no command `striatum {' '.join(words)}`"
    known = {opt for param in command.params for opt in param.opts} | {"--help"}
    unknown = [w for w in rest if w.startswith("--") and w not in known]
    return f"`striatum {' '.join(words)}`: no option {unknown[0]}" if unknown else None
