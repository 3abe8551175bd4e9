"""Following a task's run to its end: the dashboard view, the human's decisions, landing.

`see_through` returns the exit status: 0 the run succeeded (landed, or left to land as
--land said), 5 it did not, 20 it waits for a human and no terminal can ask one.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from striatum import errors
from striatum.cli import dashboard, task_asking, task_questions
from striatum.cli.task_questions import Question
from striatum.cli.views import states
from striatum.model.terminal_text import visible


def see_through(run_id: str, *, land: str, as_role: str | None, repo: Path | None) -> int:
    source = dashboard.Source(run_id, None if repo is None else str(repo), as_role)
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    while True:
        dashboard.follow(source, until=task_questions.waiting)
        status = source.call("status", {"run_id": run_id})
        state = status["run"]["state"]
        if state in states.ENDED:
            return _ended(source, status, land=land, interactive=interactive)
        questions = task_asking.blocker_questions(source.call, status)
        if not questions:  # decided elsewhere meanwhile: follow on
            continue
        if not interactive:
            task_asking.tell(questions)
            return errors.EXIT_WAITING_FOR_HUMAN
        if not _answer(questions):
            return errors.EXIT_WAITING_FOR_HUMAN


def _answer(questions: list[Question]) -> bool:
    """Ask each question and record its answer; False when the human said `later`."""
    for question in questions:
        answer = task_asking.ask(question)
        if answer == task_asking.LATER:
            _say("left waiting; answer later with:", indent="  ", command=question.command())
            return False
        try:
            task_asking.record(question, answer)
        except errors.StriatumError as error:  # e.g. decided elsewhere, a bad amount
            _say(f"not recorded: {error.message}", indent="  ")
        else:
            _say("recorded:", indent="  ", command=question.command(answer))
    return True


def _ended(
    source: dashboard.Source, status: dict[str, Any], *, land: str, interactive: bool
) -> int:
    run = status["run"]
    if run["state"] != "succeeded":
        _say(f"run {run['run_id']} {run['state']}: {run.get('ended_reason') or '-'}")
        click.echo(f"  why: striatum why {run['run_id']}")
        click.echo(f"  again: striatum --as principal run retry {run['run_id']}")
        return errors.EXIT_RUN_NOT_SUCCEEDED
    if not _has_branch(run["repo"], run["run_id"]):
        _say(
            f"run {run['run_id']} succeeded. It worked in the checkout itself (the repository "
            "had no commit to branch from), so its changes are already there: nothing to land."
        )
        return errors.EXIT_OK
    question = task_questions.for_landing(status, task_asking.artifacts(source.call, run["run_id"]))
    if land == "never":
        _say(f"run {run['run_id']} succeeded; to land it:", command=question.command())
        return errors.EXIT_OK
    if land == "auto":
        return _land(question, as_role=source.as_role)
    if not interactive:
        task_asking.tell([question])
        return errors.EXIT_WAITING_FOR_HUMAN
    answer = task_asking.ask(question)
    if answer != "yes":
        _say("not landed; land it later with:", indent="  ", command=question.command())
        return errors.EXIT_OK if answer == "no" else errors.EXIT_WAITING_FOR_HUMAN
    return _land(question, as_role="principal")


def _land(question: Question, *, as_role: str | None) -> int:
    from striatum.client.invoke import invoke
    from striatum.verbs.catalog import BY_NAME

    try:
        landed = invoke(BY_NAME["run.land"], {"run_id": question.run_id}, as_role=as_role)
    except errors.StriatumError as error:
        _say(f"run {question.run_id} succeeded but was not landed: {error.message}")
        _say("once the working tree allows it:", indent="  ", command=question.command())
        return error.exit_code
    click.echo(f"landed {landed['branch']} as {landed['commit']}")
    return errors.EXIT_OK


def _has_branch(repo: str, run_id: str) -> bool:
    """Whether the run has its branch (a repository with no commit runs in place)."""
    import subprocess

    found = subprocess.run(
        ["git", "-C", repo, "rev-parse", "--verify", "--quiet", f"refs/heads/striatum/{run_id}"],
        capture_output=True,
        check=False,
    )
    return found.returncode == 0


def _say(text: str, *, indent: str = "", command: str | None = None) -> None:
    """One message wrapped to the terminal, then `command` whole on a line of its own."""
    from striatum.cli import layout, terminal

    width = terminal.screen(sys.stdout).width
    for line in layout.wrap(visible(text), width, indent=indent + "  ", first=indent):
        click.echo(line)
    if command is not None:
        click.echo(f"{indent}    {command}")
