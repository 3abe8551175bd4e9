"""What a followed task asks the human: pure, from what the daemon said about the run.

One `Question` per open blocker (a checkpoint, an escalation, a budget) and one for landing a
succeeded run: its choices, the artifact to read first, and the exact command that records
the answer, so a terminal can ask it and a script can be told it (exit 20).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from striatum.cli.layout import wrap
from striatum.model.terminal_text import visible

AMOUNT = "AMOUNT"  # a budget's answer: dollars, not a choice


@dataclass(frozen=True, kw_only=True)
class Question:
    run_id: str
    kind: str  # checkpoint | escalation | budget | land
    subject: str  # the blocker id, or the run id for landing
    text: str
    choices: tuple[str, ...]  # (AMOUNT,) for a budget
    read: tuple[str, ...]  # files to read before answering
    lane: str | None = None  # a budget's: the lane whose budget it is (None: the run's)

    def command(self, answer: str | None = None) -> str:
        """The command that records `answer` (None: every choice, `a|b`)."""
        said = answer or "|".join(self.choices)
        if self.kind == "checkpoint":
            return f"striatum --as principal checkpoint decide {self.subject} --choice {said}"
        if self.kind == "escalation":
            return f"striatum --as principal escalation resolve {self.subject} --outcome {said}"
        if self.kind == "budget":
            lane = "" if self.lane is None else f" --lane {self.lane}"
            return f"striatum --as principal run budget {self.run_id}{lane} --usd {said}"
        return f"striatum --as principal run land {self.run_id}"


def waiting(status: dict[str, Any]) -> bool:
    """Whether the run waits for a human decision (an open blocker)."""
    return bool(status.get("open_blockers"))


def for_blockers(
    status: dict[str, Any],
    *,
    branches: list[dict[str, Any]],
    outcomes: dict[str, list[str]],
    artifacts: list[dict[str, Any]],
) -> list[Question]:
    """The open blockers' questions. `branches`: `run graph`'s checkpoint branches;
    `outcomes`: an escalation's outcomes by blocker id; `artifacts`: `list artifacts`."""
    run = status["run"]
    found = []
    for blocker in status.get("open_blockers", []):
        kind = str(blocker["kind"])
        if kind == "checkpoint":
            choices = tuple(
                b["choice"] for b in branches if b.get("checkpoint") == blocker.get("job_id")
            )
        elif kind == "escalation":
            choices = tuple(outcomes.get(blocker["blocker_id"], ()))
        else:  # a budget: one question per budget reached (the run's, a lane's)
            found += _budgets(status, blocker)
            continue
        found.append(
            Question(
                run_id=run["run_id"],
                kind=kind,
                subject=blocker["blocker_id"],
                text=visible(str(blocker.get("reason") or kind)),
                choices=choices,
                read=to_read(run["repo"], blocker.get("job_id"), artifacts),
            )
        )
    return found


def _budgets(status: dict[str, Any], blocker: dict[str, Any]) -> list[Question]:
    """What raising each budget reached asks (the run's when none says it is reached)."""
    spent = [status.get("budget") or {}, *(status.get("lane_budgets") or [])]
    lanes = [b.get("lane") for b in spent if b.get("reached")] or [None]
    return [
        Question(
            run_id=status["run"]["run_id"],
            kind="budget",
            subject=str(blocker["blocker_id"]),
            text=visible(str(blocker.get("reason") or "budget"))
            + ("" if lane is None else f" (raise lane {visible(str(lane))}'s)"),
            choices=(AMOUNT,),
            read=(),
            lane=lane,
        )
        for lane in lanes
    ]


def for_landing(status: dict[str, Any], artifacts: list[dict[str, Any]]) -> Question:
    run = status["run"]
    return Question(
        run_id=run["run_id"],
        kind="land",
        subject=run["run_id"],
        text=f"The run succeeded. Merge its branch striatum/{run['run_id']} into {run['repo']}?",
        choices=("yes", "no"),
        read=to_read(run["repo"], None, artifacts),
    )


def to_read(repo: str, job_id: str | None, artifacts: list[dict[str, Any]]) -> tuple[str, ...]:
    """The job's newest artifacts, or (none of its own: a checkpoint, a run) the newest the
    run published, as absolute paths."""
    own = [a for a in artifacts if job_id is not None and a.get("job_id") == job_id]
    pool = own or artifacts
    if not pool:
        return ()
    newest = max(pool, key=lambda a: (str(a.get("created_at")), a.get("attempt", 0)))
    chosen = [
        a
        for a in pool
        if a.get("job_id") == newest.get("job_id") and a.get("attempt") == newest.get("attempt")
    ]
    return tuple(visible(f"{repo.rstrip('/')}/{a['path']}") for a in chosen)


def lines(question: Question, *, width: int = 80, answer: bool = False) -> list[str]:
    """The question as a terminal shows it, wrapped to `width` (a path or a command is kept
    whole on a line of its own); `answer`: with the command that answers it."""
    head = {
        "checkpoint": "A checkpoint waits for your decision",
        "escalation": "An escalation waits for you",
        "budget": "The run reached its budget",
        "land": "Landing waits for you",
    }[question.kind]
    shown = wrap(f"{head} ({question.subject}):", width)
    shown += wrap(question.text, width, indent="  ")
    for path in question.read:
        shown += ["  read:", f"    {path}"]
    if answer:
        shown += ["  answer with:", f"    {question.command()}"]
    return shown
