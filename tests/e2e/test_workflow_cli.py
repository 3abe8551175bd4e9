"""`striatum workflow init | validate | graph` as a user runs them: no daemon, no database."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.e2e.cli_helpers import run

STYLES = ["minimal", "review", "code-change", "human-checkpoint", "evidence", "multi-review"]


@pytest.mark.parametrize("style", STYLES)
def test_init_writes_a_starter_that_validates(tmp_path: Path, style: str) -> None:
    target = tmp_path / "wf"
    made = run(["striatum", "workflow", "init", "--style", style, str(target)], tmp_path)
    assert made.returncode == 0, made.stderr
    assert "next:" in made.stdout
    checked = run(
        ["striatum", "workflow", "validate", "--json", str(target / "workflow.json")], tmp_path
    )
    assert checked.returncode == 0, checked.stdout
    assert json.loads(checked.stdout)["ok"] is True
    assert not (tmp_path / "home").exists()  # no daemon, no database was touched


def test_init_never_overwrites(tmp_path: Path) -> None:
    assert run(["striatum", "workflow", "init", str(tmp_path / "w")], tmp_path).returncode == 0
    again = run(["striatum", "workflow", "init", str(tmp_path / "w")], tmp_path)
    assert again.returncode == 5 and "refusing to overwrite" in again.stderr


def test_a_command_starter_runs_its_scripted_agent(tmp_path: Path) -> None:
    target = tmp_path / "wf"
    assert (
        run(
            ["striatum", "workflow", "init", "--style", "code-change", "--command", str(target)],
            tmp_path,
        ).returncode
        == 0
    )
    out = tmp_path / "review.md"
    subprocess.run(
        [
            "python3",
            str(target / "agents" / "scripted_agent.py"),
            "--job",
            "code-review",
            "--attempt",
            "1",
            "--prompt",
            str(target / "prompts" / "code-review.md"),
            "--out",
            str(out),
            "--plan",
            str(target / "scripted-plan.json"),
        ],
        check=True,
    )
    assert "verdict: needs_revision" in out.read_text()


def test_validate_reports_every_error_with_its_path_and_exit_3(tmp_path: Path) -> None:
    target = tmp_path / "wf"
    run(["striatum", "workflow", "init", str(target)], tmp_path)
    document = json.loads((target / "workflow.json").read_text())
    document["jobs"][0]["lane"] = "ghost"
    document["jobs"][1]["review"]["target"] = "nope"
    (target / "prompts" / "draft.md").unlink()
    (target / "workflow.json").write_text(json.dumps(document))
    result = run(["striatum", "workflow", "validate", str(target / "workflow.json")], tmp_path)
    assert result.returncode == 3
    assert "$.jobs[0].lane: unknown lane 'ghost'" in result.stderr
    assert "$.jobs[1].review.target: unknown job 'nope'" in result.stderr
    assert "$.jobs[0].prompt: prompt file 'prompts/draft.md' does not exist" in result.stderr
    assert "INVALID (3 error(s)" in result.stdout


def test_graph_prints_text_and_mermaid(tmp_path: Path) -> None:
    example = Path(__file__).parents[2] / "examples" / "code-change-flow" / "workflow.json"
    text = run(["striatum", "workflow", "graph", str(example)], tmp_path)
    assert (
        "revision route: code-review --needs_revision--> change (max 2, then escalate)"
        in text.stdout
    )
    mermaid = run(["striatum", "workflow", "graph", "--format", "mermaid", str(example)], tmp_path)
    assert mermaid.stdout.startswith("flowchart LR")


def test_a_missing_file_is_not_found_without_a_traceback(tmp_path: Path) -> None:
    result = run(["striatum", "workflow", "validate", str(tmp_path / "nope.json")], tmp_path)
    assert result.returncode == 4 and "no such file" in result.stderr
    assert "Traceback" not in result.stderr
