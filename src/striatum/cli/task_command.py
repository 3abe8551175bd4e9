"""`striatum task "sentence"`: a task in one command, from the sentence to a landed change.

The `run task` verb builds the workflow from a starter and starts the run under a supervisor;
this command then follows it with the dashboard view until it ends or waits for the human,
asks the human at the terminal (or, with none, prints the commands and exits 20), and lands
the succeeded run as --land says. Not the `task` job kind of a workflow: this one makes a
whole run.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from striatum import errors
from striatum.verbs.runs import TASK_STYLES


@click.command(name="task")
@click.argument("sentence", required=False, default="")
@click.option(
    "--file", type=click.Path(dir_okay=False, path_type=Path), help="A Markdown task file."
)
@click.option(
    "--style",
    type=click.Choice(TASK_STYLES),
    default="code-change",
    show_default=True,
    help="The starter shape.",
)
@click.option("--author", help="The author's provider (default: the first AI CLI on PATH).")
@click.option(
    "--reviewer", help="Reviewers' providers, comma-separated (default: the other AI CLIs)."
)
@click.option("--max-revisions", type=int, help="Times a review may send the work back (0-20).")
@click.option("--budget-usd", help="Pause for the principal once the run reported this much.")
@click.option(
    "--land",
    type=click.Choice(["ask", "auto", "never"]),
    default="ask",
    show_default=True,
    help="After success: ask at the terminal, merge at once (the principal only), or not.",
)
@click.option("--detach", is_flag=True, help="Print the run id and return; do not follow it.")
@click.option(
    "--save",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write the workflow into this directory, to edit and rerun.",
)
@click.pass_context
def task(
    ctx: click.Context,
    sentence: str,
    file: Path | None,
    style: str,
    author: str | None,
    reviewer: str | None,
    max_revisions: int | None,
    budget_usd: str | None,
    land: str,
    detach: bool,
    save: Path | None,
) -> None:
    """Turn a sentence into a reviewed run, follow it, and land it.

    Builds a workflow from the --style starter with SENTENCE (or --file) as the task,
    validates and preflights it, keeps it under .striatum/tasks/, starts the run under a
    supervisor and follows it live. The author is the first AI CLI on PATH (claude, codex,
    gemini), the reviewers the others, never on the author's provider; with none the lanes
    run the scripted agent. When the run waits for the human, a terminal asks (as the
    principal); without one the commands are printed and the exit status is 20. Exits 0
    when the run succeeded (and landed, with --land auto), 5 when it did not. Not the
    `task` job kind of a workflow: this command makes a whole run.
    """
    options = ctx.find_root().obj or {}
    as_role, repo = options.get("as_role"), options.get("repo")
    _daemon_up()
    if land == "auto":
        _require_principal(as_role)
    given = {
        "sentence": sentence,
        "file": None if file is None else str(file),
        "style": style,
        "author": author,
        "reviewer": reviewer,
        "max_revisions": max_revisions,
        "budget_usd": budget_usd,
        "save": None if save is None else str(save),
    }
    started = _start({k: v for k, v in given.items() if v is not None}, repo, as_role)
    if detach:
        click.echo(started["run_id"])
        return
    from striatum.cli import task_flow

    sys.exit(task_flow.see_through(started["run_id"], land=land, as_role=as_role, repo=repo))


def _start(params: dict[str, Any], repo: Path | None, as_role: str | None) -> dict[str, Any]:
    from striatum.client.invoke import invoke
    from striatum.verbs.catalog import BY_NAME

    started: dict[str, Any] = invoke(
        BY_NAME["run.task"], params, repo=None if repo is None else str(repo), as_role=as_role
    )
    said = [f"adopted {started['repo']} (as striatum adopt)"] if started.get("adopted") else []
    said.append(f"task run {started['run_id']}: {started['lanes']}")
    if started.get("scripted"):
        said.append(
            "no AI CLI on PATH, so scripted agents stand in (install claude, codex or gemini, "
            "or give --author, for real ones)"
        )
    said.append(f"its workflow: {started['workflow']}")
    if started.get("saved_to"):
        said.append(f"saved a copy to {started['saved_to']}")
    _tell(said)
    return started


def _daemon_up() -> None:
    """From a fresh install one command is enough: start this user's daemon when none runs
    (as `striatum daemon start`), and say so."""
    from striatum import paths
    from striatum.daemon import runtime

    if runtime.is_running() or paths.setting("STRIATUM_TOKEN"):  # a token: someone else's
        return
    from striatum.cli import daemon_control

    said = daemon_control.start(None).splitlines()[0]
    _tell([f"no daemon was running: {said} (striatum daemon stop stops it)"])


def _tell(messages: list[str]) -> None:
    """On stderr, each message wrapped to the terminal (stdout: the run id, the view)."""
    from striatum.cli import layout, terminal
    from striatum.model.terminal_text import visible

    width = terminal.screen(sys.stderr).width
    for message in messages:
        for line in layout.wrap(visible(f"striatum: {message}"), width, indent="  ", first=""):
            click.echo(line, err=True)


def _require_principal(as_role: str | None) -> None:
    """--land auto lands without asking: only the principal's authority may."""
    from striatum.client import rpc

    caller = rpc.call("whoami", {}, as_role=as_role)
    if "decide" not in caller.get("capabilities", []):
        raise errors.PermissionDenied(
            f"--land auto lands the run, which is the principal's decision; this caller is "
            f"{caller.get('role')}",
            hint="striatum --as principal task ... --land auto (or --land ask)",
            parameter="land",
        )
