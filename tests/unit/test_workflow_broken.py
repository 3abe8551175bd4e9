"""A table of broken workflows: each names the JSON path of its fault, all reported at once."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from striatum.model.workflow.validate import validate_document, validate_text
from striatum.starters.build import build

Doc = dict[str, Any]


def base() -> Doc:
    """The review starter with vendor lanes: draft -> review -> synthesis."""
    files = build("review", providers=["claude_code", "codex"], scripted=False, schema_ref="x")
    document: Doc = json.loads(files["workflow.json"])
    return document


def checkpointed() -> Doc:
    files = build(
        "human-checkpoint", providers=["claude_code", "codex"], scripted=False, schema_ref="x"
    )
    document: Doc = json.loads(files["workflow.json"])
    return document


def job(doc: Doc, job_id: str) -> Doc:
    found: Doc = next(j for j in doc["jobs"] if j["id"] == job_id)
    return found


def mutate(make: Callable[[], Doc], change: Callable[[Doc], object]) -> Doc:
    doc = copy.deepcopy(make())
    change(doc)
    return doc


CASES: list[tuple[str, Doc, str, str]] = [
    (
        "wrong version",
        mutate(base, lambda d: d.update(schema_version="v0")),
        "$.schema_version",
        "must be",
    ),
    ("missing name", mutate(base, lambda d: d.pop("name")), "$.name", "missing"),
    ("bad workflow id", mutate(base, lambda d: d.update(id="Not Valid")), "$.id", "pattern"),
    ("typo field", mutate(base, lambda d: d.update(jobz=[])), "$.jobz", "unknown field"),
    ("no lanes", mutate(base, lambda d: d.update(lanes={})), "$.lanes", "at least 1"),
    (
        "unknown provider",
        mutate(base, lambda d: d["lanes"]["author"].update(provider="gpt")),
        "$.lanes.author.provider",
        "claude_code",
    ),
    (
        "zero timeout",
        mutate(base, lambda d: d["lanes"]["author"].update(timeout_s=0)),
        "$.lanes.author.timeout_s",
        "greater than",
    ),
    (
        "command lane without argv",
        mutate(base, lambda d: d["lanes"]["author"].update(provider="command")),
        "$.lanes.author.command",
        "argv",
    ),
    (
        "lane env name",
        mutate(base, lambda d: d["lanes"]["author"].update(env={"1BAD": "x"})),
        "$.lanes.author.env['1BAD']",
        "not a variable name",
    ),
    (
        "lane env reserved",
        mutate(base, lambda d: d["lanes"]["author"].update(env={"STRIATUM_TOKEN": "x"})),
        "$.lanes.author.env.STRIATUM_TOKEN",
        "set by Striatum",
    ),
    (
        "lane env malformed reference",
        mutate(base, lambda d: d["lanes"]["author"].update(env={"KEY": "${OPEN"})),
        "$.lanes.author.env.KEY",
        "malformed reference",
    ),
    (
        "lane env not a string",
        mutate(base, lambda d: d["lanes"]["author"].update(env={"KEY": 3})),
        "$.lanes.author.env.KEY",
        "string",
    ),
    (
        "context doc outside",
        mutate(base, lambda d: d.update(context_docs=["../x.md"])),
        "$.context_docs[0]",
        "'..'",
    ),
    (
        "forbidden artifact root",
        mutate(base, lambda d: d.update(forbidden_paths=["docs"])),
        "$.forbidden_paths[0]",
        "forbids the artifact root",
    ),
    (
        "unknown lane",
        mutate(base, lambda d: job(d, "draft").update(lane="ghost")),
        "$.jobs[0].lane",
        "unknown lane 'ghost'",
    ),
    (
        "task without lane",
        mutate(base, lambda d: job(d, "draft").pop("lane")),
        "$.jobs[0].lane",
        "needs a lane",
    ),
    (
        "unknown role",
        mutate(base, lambda d: job(d, "draft").update(role="ghost")),
        "$.jobs[0].role",
        "unknown role",
    ),
    (
        "duplicate id",
        mutate(base, lambda d: job(d, "synthesis").update(id="draft")),
        "$.jobs[2].id",
        "duplicate job id",
    ),
    (
        "unknown dependency",
        mutate(base, lambda d: job(d, "synthesis").update(depends_on=["review", "nope"])),
        "$.jobs[2].depends_on[1]",
        "unknown job 'nope'",
    ),
    (
        "self dependency",
        mutate(base, lambda d: job(d, "draft").update(depends_on=["draft"])),
        "$.jobs[0].depends_on[0]",
        "itself",
    ),
    (
        "cycle",
        mutate(base, lambda d: job(d, "draft").update(depends_on=["synthesis"])),
        "$.jobs[0].depends_on",
        "dependency cycle",
    ),
    (
        "review without gate",
        mutate(base, lambda d: job(d, "review").pop("review")),
        "$.jobs[1].review",
        "needs a review gate",
    ),
    (
        "gate on a task",
        mutate(base, lambda d: job(d, "draft").update(review={"target": "draft"})),
        "$.jobs[0].review",
        "only review jobs",
    ),
    (
        "review of unknown job",
        mutate(base, lambda d: job(d, "review")["review"].update(target="ghost")),
        "$.jobs[1].review.target",
        "unknown job",
    ),
    (
        "review of a downstream job",
        mutate(base, lambda d: job(d, "review")["review"].update(target="synthesis")),
        "$.jobs[1].review.target",
        "must depend",
    ),
    (
        "co-blind reviewer",
        mutate(base, lambda d: d["lanes"]["reviewer1"].update(provider="claude_code")),
        "$.jobs[1].lane",
        "same provider",
    ),
    (
        "negative max_revisions",
        mutate(base, lambda d: job(d, "review")["review"].update(max_revisions=-1)),
        "$.jobs[1].review.max_revisions",
        "greater than",
    ),
    (
        "bad on_exhausted",
        mutate(base, lambda d: job(d, "review")["review"].update(on_exhausted="retry")),
        "$.jobs[1].review.on_exhausted",
        "'fail' or 'escalate'",
    ),
    (
        "absolute artifact",
        mutate(base, lambda d: job(d, "draft")["artifacts"][0].update(path="/etc/passwd")),
        "$.jobs[0].artifacts[0].path",
        "absolute",
    ),
    (
        "dotdot artifact",
        mutate(base, lambda d: job(d, "draft")["artifacts"][0].update(path="docs/../../x.md")),
        "$.jobs[0].artifacts[0].path",
        "'..'",
    ),
    (
        "artifact in .git",
        mutate(
            base,
            lambda d: job(d, "draft").update(
                write_scope=[".git/"], artifacts=[{"path": ".git/config"}]
            ),
        ),
        "$.jobs[0].write_scope[0]",
        ".git/",
    ),
    (
        "artifact in .striatum",
        mutate(base, lambda d: job(d, "draft")["artifacts"][0].update(path=".striatum/x.md")),
        "$.jobs[0].artifacts[0].path",
        ".striatum/",
    ),
    (
        "artifact outside write scope",
        mutate(base, lambda d: job(d, "draft")["artifacts"][0].update(path="src/x.md")),
        "$.jobs[0].artifacts[0].path",
        "outside the job's write scope",
    ),
    (
        "artifact declared twice",
        mutate(
            base,
            lambda d: job(d, "synthesis")["artifacts"][0].update(path="docs/striatum/draft.md"),
        ),
        "$.jobs[2].artifacts[0].path",
        "already an artifact",
    ),
    (
        "prompt escaping the workflow",
        mutate(base, lambda d: job(d, "draft").update(prompt="../secrets.md")),
        "$.jobs[0].prompt",
        "'..'",
    ),
    (
        "checkpoint with lane",
        mutate(checkpointed, lambda d: job(d, "decide").update(lane="author")),
        "$.jobs[2].lane",
        "takes no lane",
    ),
    (
        "checkpoint without choices",
        mutate(checkpointed, lambda d: job(d, "decide").pop("checkpoint")),
        "$.jobs[2].checkpoint",
        "needs a question",
    ),
    (
        "choice leading nowhere",
        mutate(checkpointed, lambda d: job(d, "decide")["checkpoint"]["choices"].update(revise=[])),
        "$.jobs[2].checkpoint.choices.revise",
        "leads nowhere",
    ),
    (
        "cancel leading somewhere",
        mutate(
            checkpointed,
            lambda d: job(d, "decide")["checkpoint"]["choices"].update(cancel=["publish"]),
        ),
        "$.jobs[2].checkpoint.choices.cancel",
        "ends the run",
    ),
    (
        "choice to an unknown job",
        mutate(
            checkpointed, lambda d: job(d, "decide")["checkpoint"]["choices"].update(cont=["ghost"])
        ),
        "$.jobs[2].checkpoint.choices.cont[0]",
        "unknown job",
    ),
    (
        "choice to a job not after it",
        mutate(
            checkpointed, lambda d: job(d, "decide")["checkpoint"]["choices"].update(redo=["draft"])
        ),
        "$.jobs[2].checkpoint.choices.redo[0]",
        "must depend on checkpoint",
    ),
    (
        "job after a checkpoint in no choice",
        mutate(
            checkpointed,
            lambda d: job(d, "decide")["checkpoint"]["choices"].update({"continue": []}),
        ),
        "$.jobs[3].depends_on",
        "never become ready",
    ),
    (
        "job needing two choices at once",
        mutate(
            checkpointed,
            lambda d: (
                job(d, "decide")["checkpoint"]["choices"].update(other=["alt"]),
                d["jobs"].append(
                    {
                        "id": "alt",
                        "kind": "task",
                        "lane": "author",
                        "depends_on": ["decide"],
                        "artifacts": [],
                    }
                ),
                d["jobs"].append(
                    {
                        "id": "both",
                        "kind": "task",
                        "lane": "author",
                        "depends_on": ["publish", "alt"],
                        "artifacts": [],
                    }
                ),
            ),
        ),
        "$.jobs[5].depends_on",
        "different choices",
    ),
]


@pytest.mark.parametrize(
    ("name", "document", "path", "fragment"), CASES, ids=[case[0] for case in CASES]
)
def test_each_broken_workflow_names_its_path(
    name: str, document: Doc, path: str, fragment: str
) -> None:
    result = validate_document(document)
    assert not result.ok
    found = [(p.path, p.message) for p in result.errors]
    assert any(p == path and fragment in m for p, m in found), found


def test_the_table_is_at_least_25_cases_and_the_bases_are_valid() -> None:
    assert len(CASES) >= 25
    assert validate_document(base()).ok and validate_document(checkpointed()).ok


def test_all_errors_are_reported_at_once() -> None:
    doc = base()
    job(doc, "draft")["lane"] = "ghost"
    job(doc, "review")["review"]["target"] = "nope"
    job(doc, "synthesis")["artifacts"][0]["path"] = "/abs.md"
    paths = {p.path for p in validate_document(doc).errors}
    assert {"$.jobs[0].lane", "$.jobs[1].review.target", "$.jobs[2].artifacts[0].path"} <= paths


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('{"a": 1,\n  "b": }', "line 2, column 8"),
        ("[]", "JSON object"),
        ('{"id": 1, "id": 2}', "duplicate key 'id'"),
        ("", "line 1, column 1"),
    ],
)
def test_syntax_errors_give_line_and_column(text: str, fragment: str) -> None:
    result = validate_text(text)
    assert not result.ok and fragment in result.errors[0].message


def test_smells_are_warnings_not_errors() -> None:
    doc = base()
    doc["lanes"]["spare"] = {"provider": "gemini"}
    job(doc, "review")["artifacts"] = []
    result = validate_document(doc)
    assert result.ok
    assert {p.path for p in result.warnings} == {"$.lanes.spare", "$.jobs[1].artifacts"}


def test_allow_same_provider_lifts_the_co_blindness_rule() -> None:
    doc = base()
    doc["lanes"]["reviewer1"]["provider"] = "claude_code"
    job(doc, "review")["review"]["allow_same_provider"] = True
    assert validate_document(doc).ok


def test_command_lanes_are_distinct_providers_unless_they_share_a_model() -> None:
    doc = base()
    for lane in doc["lanes"].values():
        lane.update(provider="command", command=["run", "{prompt_file}"])
    assert validate_document(doc).ok
    for lane in doc["lanes"].values():
        lane["model"] = "same-model"
    assert any("same provider" in p.message for p in validate_document(doc).errors)
