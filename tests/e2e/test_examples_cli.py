"""`striatum examples list | copy` and `python -m striatum`, as a user runs them: the examples
come from the installed package, need no daemon, and never overwrite a file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from striatum.starters.examples import catalog

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]


def striatum(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRIATUM_")}
    env["STRIATUM_HOME"] = str(cwd / "home")
    result = subprocess.run(
        [str(BIN / "striatum"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "Traceback" not in result.stderr
    return result


def test_python_dash_m_striatum_is_the_cli(tmp_path: Path) -> None:
    module = subprocess.run(
        [sys.executable, "-m", "striatum", "examples", "list"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert module.returncode == 0, module.stderr
    assert module.stdout == striatum(tmp_path, "examples", "list").stdout
    version = subprocess.run(
        [sys.executable, "-m", "striatum", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert version.stdout.startswith("striatum, version ")


def test_examples_list_names_every_example_of_the_checkout(tmp_path: Path) -> None:
    listed = striatum(tmp_path, "examples", "list")
    assert listed.returncode == 0, listed.stderr
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    shipped = sorted(p.name for p in (ROOT / "examples").iterdir() if p.name != "agents")
    assert sorted(names) == shipped == sorted(catalog())
    assert not (tmp_path / "home").exists()  # no daemon, no database was touched


@pytest.mark.parametrize("name", sorted(catalog()))
def test_a_copied_example_is_self_contained_and_validates(tmp_path: Path, name: str) -> None:
    copied = striatum(tmp_path, "examples", "copy", name)
    assert copied.returncode == 0, copied.stderr
    folder = tmp_path / name
    workflow = json.loads((folder / "workflow.json").read_text())
    assert (folder / "agents" / "scripted_agent.py").is_file()
    assert (folder / workflow["$schema"]).is_file()
    commands = [" ".join(lane["command"]) for lane in workflow["lanes"].values()]
    assert commands and all(".." not in command for command in commands)  # nothing outside it
    assert f"{name}/workflow.json" in (folder / "README.md").read_text()
    checked = striatum(tmp_path, "workflow", "validate", "--json", f"{name}/workflow.json")
    assert checked.returncode == 0 and json.loads(checked.stdout)["ok"], checked.stdout


def test_copy_writes_into_the_given_destination(tmp_path: Path) -> None:
    copied = striatum(tmp_path, "examples", "copy", "minimal-flow", "flows/first")
    assert copied.returncode == 0, copied.stderr
    assert (tmp_path / "flows" / "first" / "workflow.json").is_file()
    assert not (tmp_path / "minimal-flow").exists()


def test_copy_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    mine = tmp_path / "review-flow" / "prompts" / "draft.md"
    mine.parent.mkdir(parents=True)
    mine.write_text("my own prompt\n")
    refused = striatum(tmp_path, "examples", "copy", "review-flow")
    assert refused.returncode == 5
    assert "refusing to overwrite" in refused.stderr and "review-flow/prompts/draft.md" in (
        refused.stderr
    )
    assert mine.read_text() == "my own prompt\n"
    assert [p for p in (tmp_path / "review-flow").rglob("*") if p.is_file()] == [mine]


def test_copy_refuses_a_destination_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x")
    refused = striatum(tmp_path, "examples", "copy", "minimal-flow", "taken")
    assert refused.returncode == 5 and "taken" in refused.stderr
    assert (tmp_path / "taken").read_text() == "x"


def test_an_unknown_example_is_named_with_the_choices(tmp_path: Path) -> None:
    refused = striatum(tmp_path, "examples", "copy", "no-such-flow")
    assert refused.returncode == 4
    assert "no-such-flow" in refused.stderr and "review-flow" in refused.stderr
    assert not (tmp_path / "no-such-flow").exists()
