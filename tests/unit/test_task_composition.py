"""`striatum task`'s pure parts: who works on a task, the workflow built from a starter with
the task in it, and what a followed task asks the human."""

from __future__ import annotations

import json

import pytest

from striatum import errors
from striatum.cli import task_questions
from striatum.model.workflow.validate import validate_text
from striatum.starters import task as tasks
from striatum.starters.shapes import SHAPES
from striatum.verbs.runs import TASK_STYLES


def test_the_verb_offers_every_starter_shape() -> None:
    assert tuple(SHAPES) == TASK_STYLES


def test_the_author_is_the_first_installed_cli_and_the_others_review() -> None:
    chosen = tasks.choose(text="Add rate limiting", installed=("claude_code", "codex", "gemini"))
    assert (chosen.author, chosen.reviewers) == ("claude_code", ("codex", "gemini"))
    assert not chosen.scripted


def test_a_reviewer_given_alone_takes_an_installed_author_of_another_provider() -> None:
    chosen = tasks.choose(text="x", reviewers="claude_code", installed=("claude_code", "codex"))
    assert (chosen.author, chosen.reviewers) == ("codex", ("claude_code",))


def test_no_ai_cli_means_scripted_lanes() -> None:
    chosen = tasks.choose(text="Add rate limiting", installed=())
    assert chosen.scripted and chosen.author is None and chosen.reviewers == ()


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        ({"text": "   "}, "the task is empty"),
        ({"text": "x", "author": "copilot"}, "--author: unknown provider"),
        ({"text": "x", "author": "codex", "reviewers": "bard"}, "--reviewer: unknown provider"),
        ({"text": "x", "author": "codex", "reviewers": "codex"}, "--reviewer codex"),
        ({"text": "x", "max_revisions": 21}, "--max-revisions"),
        ({"text": "x", "max_revisions": -1}, "--max-revisions"),
        ({"text": "x", "style": "huge"}, "--style"),
        ({"text": "x", "author": "codex"}, "need a provider other than the author's"),
    ],
)
def test_bad_input_is_a_usage_error_naming_the_argument(
    arguments: dict[str, object], named: str
) -> None:
    with pytest.raises(errors.UsageError) as refused:
        tasks.choose(**arguments)  # type: ignore[arg-type]
    assert named in refused.value.message


def test_a_style_without_reviews_needs_no_reviewer() -> None:
    chosen = tasks.choose(text="x", style="minimal", author="codex", installed=("codex",))
    assert chosen.reviewers == ()


@pytest.mark.parametrize("style", list(SHAPES))
def test_every_style_composes_a_valid_workflow_with_the_task_in_every_prompt(style: str) -> None:
    chosen = tasks.choose(
        text="Add rate limiting\n\nto the API",
        style=style,
        installed=("claude_code", "codex", "gemini"),
        max_revisions=3,
    )
    files = tasks.compose(chosen)
    files["workflow.schema.json"] = "{}"
    result = validate_text(files["workflow.json"], file_exists=files.__contains__)
    assert result.ok, result.problems
    document = json.loads(files["workflow.json"])
    assert (document["id"], document["name"]) == (f"task-{style}", "Add rate limiting")
    assert files[tasks.TASK_FILE] == "Add rate limiting\n\nto the API\n"
    prompts = [text for name, text in files.items() if name.startswith("prompts/")]
    assert prompts and all("## The task\n\nAdd rate limiting\n\nto the API\n" in p for p in prompts)
    gates = [job["review"] for job in document["jobs"] if job.get("review")]
    assert all(gate["max_revisions"] == 3 for gate in gates)
    provider = {
        j["id"]: document["lanes"][j["lane"]]["provider"] for j in document["jobs"] if "lane" in j
    }
    assert provider[document["jobs"][0]["id"]] == "claude_code"  # the author's first job
    for job in document["jobs"]:
        if job.get("review"):  # co-blindness
            assert provider[job["id"]] != provider[job["review"]["target"]]


def test_scripted_lanes_run_the_scripted_agent_with_its_plan() -> None:
    files = tasks.compose(tasks.choose(text="x", installed=()))
    lanes = json.loads(files["workflow.json"])["lanes"]
    assert {lane["provider"] for lane in lanes.values()} == {"command"}
    assert json.loads(files["scripted-plan.json"])["verdicts"]["code-review"] == (
        "needs_revision,accept"
    )


STATUS = {
    "run": {"run_id": "run_1", "repo": "/r", "state": "running"},
    "open_blockers": [
        {"blocker_id": "blk_c", "kind": "checkpoint", "job_id": "decide", "reason": "Ship?"},
        {"blocker_id": "blk_e", "kind": "escalation", "job_id": "review", "reason": "bound"},
        {"blocker_id": "blk_b", "kind": "budget", "job_id": None, "reason": "$5 spent"},
    ],
}
ARTIFACTS = [
    {"job_id": "draft", "attempt": 1, "path": "docs/d1.md", "created_at": "1"},
    {"job_id": "review", "attempt": 1, "path": "docs/r1.md", "created_at": "2"},
    {"job_id": "review", "attempt": 2, "path": "docs/r2.md", "created_at": "3"},
]


def test_each_blocker_becomes_a_question_with_its_choices_its_reading_and_its_command() -> None:
    checkpoint, escalation, budget = task_questions.for_blockers(
        STATUS,
        branches=[{"checkpoint": "decide", "choice": c} for c in ("continue", "cancel")],
        outcomes={"blk_e": ["accept", "revise", "fail"]},
        artifacts=ARTIFACTS,
    )
    assert checkpoint.choices == ("continue", "cancel")
    assert checkpoint.read == ("/r/docs/r2.md",)  # nothing of its own: the newest
    assert checkpoint.command("continue") == (
        "striatum --as principal checkpoint decide blk_c --choice continue"
    )
    assert escalation.read == ("/r/docs/r2.md",)  # its own newest attempt
    assert escalation.command() == (
        "striatum --as principal escalation resolve blk_e --outcome accept|revise|fail"
    )
    assert budget.command() == "striatum --as principal run budget run_1 --usd AMOUNT"
    landing = task_questions.for_landing(STATUS, ARTIFACTS)
    assert landing.command() == "striatum --as principal run land run_1"


def test_waiting_means_an_open_blocker() -> None:
    assert task_questions.waiting(STATUS)
    assert not task_questions.waiting({**STATUS, "open_blockers": []})


def test_a_question_fits_80_columns_but_for_paths_and_commands() -> None:
    long = {"blocker_id": "blk_e", "kind": "escalation", "job_id": "review", "reason": "word " * 40}
    question = task_questions.for_blockers(
        {**STATUS, "open_blockers": [long]},
        branches=[],
        outcomes={},
        artifacts=[],
    )[0]
    assert all(len(line) <= 80 for line in task_questions.lines(question, width=80))


def test_a_budget_blocker_asks_to_raise_each_budget_reached_the_runs_or_a_lanes() -> None:
    blocker = {"blocker_id": "blk_b", "kind": "budget", "job_id": None, "reason": "spent"}
    status = {
        **STATUS,
        "open_blockers": [blocker],
        "budget": {"budget_usd": 10.0, "reached": False},
        "lane_budgets": [
            {"lane": "claude", "budget_usd": 1.0, "reached": True},
            {"lane": "codex", "budget_usd": 1.0, "reached": False},
        ],
    }
    (lane,) = task_questions.for_blockers(status, branches=[], outcomes={}, artifacts=[])
    assert lane.command("3") == "striatum --as principal run budget run_1 --lane claude --usd 3"
    status["budget"] = {"budget_usd": 10.0, "reached": True}
    both = task_questions.for_blockers(status, branches=[], outcomes={}, artifacts=[])
    assert [q.lane for q in both] == [None, "claude"]
    assert both[0].command() == "striatum --as principal run budget run_1 --usd AMOUNT"
