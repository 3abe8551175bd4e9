"""Asking the human at the terminal what a followed task waits for, and recording the answer
through the verbs the CLI uses (`checkpoint decide`, `escalation resolve`, `run budget`,
`run land`), as the principal."""

from __future__ import annotations

from typing import Any

import click

from striatum.cli import task_questions
from striatum.cli.task_questions import AMOUNT, Question

LATER = "later"  # an answer to every question: leave it waiting, and say how to answer it
NOTE = "decided in the terminal (striatum task)"


def blocker_questions(call: Any, status: dict[str, Any]) -> list[Question]:
    """The open blockers' questions, with what the daemon says of their choices."""
    run_id = status["run"]["run_id"]
    blockers = status.get("open_blockers", [])
    branches = []
    if any(b["kind"] == "checkpoint" for b in blockers):
        branches = call("run.graph", {"run_id": run_id})["checkpoint_branches"]
    outcomes = {
        b["blocker_id"]: call("escalation.show", {"blocker": b["blocker_id"]})["outcomes"]
        for b in blockers
        if b["kind"] == "escalation"
    }
    return task_questions.for_blockers(
        status, branches=branches, outcomes=outcomes, artifacts=artifacts(call, run_id)
    )


def artifacts(call: Any, run_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = call("list.artifacts", {"run_id": run_id})["artifacts"]
    return found


def ask(question: Question) -> str:
    """The human's answer: one of the choices (an amount for a budget), or LATER."""
    for line in task_questions.lines(question, width=_width()):
        click.echo(line)
    if question.choices == (AMOUNT,):
        answer: str = click.prompt(
            f"  new budget in US dollars (or {LATER})", default=LATER, show_default=False
        )
        return answer.strip()
    choice = click.Choice([*question.choices, LATER])
    picked: str = click.prompt("  answer", type=choice)  # click lists the choices
    return picked


def record(question: Question, answer: str) -> Any:
    """Make the decision with the verb its command names, as the principal."""
    from striatum.client.invoke import invoke
    from striatum.verbs.catalog import BY_NAME

    name, params = _call(question, answer)
    return invoke(BY_NAME[name], params, as_role="principal")


def _call(question: Question, answer: str) -> tuple[str, dict[str, Any]]:
    if question.kind == "checkpoint":
        return "checkpoint.decide", {"blocker": question.subject, "choice": answer, "note": NOTE}
    if question.kind == "escalation":
        return "escalation.resolve", {
            "blocker": question.subject,
            "outcome": answer,
            "note": NOTE,
        }
    if question.kind == "budget":
        lane = {} if question.lane is None else {"lane": question.lane}
        return "run.budget", {"run_id": question.run_id, "usd": answer, **lane}
    return "run.land", {"run_id": question.run_id}


def tell(questions: list[Question]) -> None:
    """No terminal to ask on: what waits, and the exact commands that answer it."""
    for question in questions:
        for line in task_questions.lines(question, width=_width(), answer=True):
            click.echo(line)


def _width() -> int:
    import sys

    from striatum.cli import terminal

    return terminal.screen(sys.stdout).width
