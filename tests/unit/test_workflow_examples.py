"""Every starter and example validates; generated files are up to date; fuzzed input is safe."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from striatum.model.json_paths import json_path
from striatum.model.workflow import graph, json_schema
from striatum.model.workflow.validate import validate_document, validate_text
from striatum.starters.build import build
from striatum.starters.examples import example_files
from striatum.starters.shapes import SHAPES

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples"
EXAMPLE_NAMES = [
    "minimal-flow",
    "review-flow",
    "code-change-flow",
    "human-checkpoint-flow",
    "support-ledger-flow",
    "rfc-ledger-cleanup",
]


def test_the_six_examples_exist_under_their_documented_names() -> None:
    assert sorted(p.parent.name for p in EXAMPLES.glob("*/workflow.json")) == sorted(EXAMPLE_NAMES)
    assert (EXAMPLES / "agents" / "scripted_agent.py").is_file()


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_validates_with_its_files_and_against_the_json_schema(name: str) -> None:
    folder = EXAMPLES / name
    result = validate_text(
        (folder / "workflow.json").read_text(), file_exists=lambda p: (folder / p).is_file()
    )
    assert result.ok and not result.problems, result.problems
    schema = json.loads((ROOT / "schemas" / "workflow.v1.json").read_text())
    jsonschema.validate(json.loads((folder / "workflow.json").read_text()), schema)
    assert (folder / "README.md").is_file()


def test_examples_are_what_the_generator_writes() -> None:
    """Regenerate with `make docs` when this fails."""
    for name, text in example_files().items():
        assert (EXAMPLES / name).read_text() == text, name


def test_the_committed_json_schema_is_up_to_date() -> None:
    """Regenerate with `make docs` when this fails."""
    assert (ROOT / "schemas" / "workflow.v1.json").read_text() == json_schema.text()


@pytest.mark.parametrize("style", list(SHAPES))
@pytest.mark.parametrize(
    "providers", [["claude_code", "codex", "gemini"], ["codex", "claude_code"], ["gemini", "codex"]]
)
def test_every_starter_passes_its_own_validator(style: str, providers: list[str]) -> None:
    for scripted in (False, True):
        files = build(style, providers=providers, scripted=scripted, schema_ref="x")
        result = validate_text(files["workflow.json"], file_exists=files.__contains__)
        assert result.ok and not result.problems, (style, scripted, result.problems)
        workflow = result.workflow
        assert workflow is not None
        by_id = {job.id: job for job in workflow.jobs}
        for job in workflow.jobs:
            if job.review and not scripted:
                mine = workflow.lanes[job.lane or ""].provider
                theirs = workflow.lanes[by_id[job.review.target].lane or ""].provider
                assert mine != theirs, (style, job.id)


def test_the_graph_shows_revision_routes_and_checkpoint_branches() -> None:
    files = build(
        "human-checkpoint", providers=["claude_code", "codex"], scripted=False, schema_ref="x"
    )
    workflow = validate_text(files["workflow.json"]).workflow
    assert workflow is not None
    text = graph.text(workflow)
    assert "revision route: review --needs_revision--> draft" in text
    assert "publish  task  author/claude_code  <- decide [continue]" in text
    assert "cancel ends the run" in text
    drawing = graph.mermaid(workflow)
    assert "j_review -. needs_revision (max 1) .-> j_draft" in drawing
    assert "j_decide -- continue --> j_publish" in drawing


def _valid_documents() -> list[dict[str, Any]]:
    return [json.loads((EXAMPLES / n / "workflow.json").read_text()) for n in EXAMPLE_NAMES]


junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_mutated_workflows_give_a_clean_result_never_an_exception(data: st.DataObject) -> None:
    document = copy.deepcopy(data.draw(st.sampled_from(_valid_documents())))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(document)[1:]))
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        action = data.draw(st.sampled_from(["drop", "replace", "reference"]))
        if action == "drop":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = data.draw(junk)
        else:
            parent[path[-1]] = data.draw(
                st.sampled_from(
                    ["draft", "review", "ghost", "author", "reviewer1", "decide", "", "x" * 70]
                )
            )
        if not _paths(document)[1:]:
            break
    result = validate_document(document)
    assert result.ok or result.errors
    for problem in result.problems:
        assert problem.path.startswith("$") and problem.message


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_give_a_clean_result(raw: bytes) -> None:
    result = validate_text(raw.decode("utf-8", "replace"))
    assert not result.ok and result.errors


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_unbounded_json_anywhere_in_a_workflow_is_a_validation_problem_at_its_path(
    data: st.DataObject,
) -> None:
    """A deep nest or a huge number spliced into any field: one problem naming that field's
    path (or a path inside it), never an exception."""
    document = copy.deepcopy(data.draw(st.sampled_from(_valid_documents())))
    path = data.draw(st.sampled_from(_paths(document)[1:]))
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    marker = "\u0000splice\u0000"
    parent[path[-1]] = marker
    hostile = data.draw(
        st.sampled_from(
            [
                "[" * 100_000 + "]" * 100_000,
                "9" * 5000,
                "1e999",
                "NaN",
                '{"a":' * 70 + "1" + "}" * 70,
            ]
        )
    )
    text = json.dumps(document).replace(json.dumps(marker), hostile)
    result = validate_text(text)
    assert not result.ok and len(result.errors) == 1
    assert result.errors[0].path.startswith(json_path(*path))


def test_writing_workflows_documents_every_field() -> None:
    from striatum.model.workflow import schema

    text = (ROOT / "docs" / "WRITING_WORKFLOWS.md").read_text()
    for model in (
        schema.Workflow,
        schema.Lane,
        schema.Job,
        schema.Artifact,
        schema.ReviewGate,
        schema.Checkpoint,
    ):
        for name, field in model.model_fields.items():
            shown = field.alias or name
            assert f"`{shown}`" in text or f'"{shown}"' in text, f"{model.__name__}.{shown}"
