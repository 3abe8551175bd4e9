"""The skill bundle keeps the Agent Skills rules, and every command it teaches exists."""

from __future__ import annotations

import re

import pytest
import yaml

from striatum import __version__
from striatum.skills import bundle
from tests.support import cli_docs

FILES = bundle.files(__version__)
EXPECTED = {
    "striatum-claim-loop",
    "striatum-review",
    "striatum-recover",
    "striatum-write-workflow",
    "striatum-escalate",
}


def test_the_bundle_has_the_five_skills() -> None:
    assert {path.split("/")[0] for path in FILES} == EXPECTED
    assert all(path.endswith("/SKILL.md") for path in FILES)


@pytest.mark.parametrize("path", sorted(FILES))
def test_each_skill_keeps_the_agent_skills_rules(path: str) -> None:
    folder, text = path.split("/")[0], FILES[path]
    assert bundle.problems(folder, text) == []
    head, body = bundle.split_front_matter(text)
    meta = yaml.safe_load(head)  # a real YAML parser, not ours
    assert meta["name"] == folder and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", folder)
    assert len(folder) <= 64
    assert isinstance(meta["description"], str) and 0 < len(meta["description"]) <= 1024
    assert meta["metadata"] == {"generated-by": "striatum", "striatum-version": __version__}
    assert body.lstrip().startswith("# ")


@pytest.mark.parametrize(
    ("folder", "text", "fragment"),
    [
        ("Bad_Name", "---\nname: Bad_Name\ndescription: x\n---\n", "lowercase"),
        ("a", "---\nname: b\ndescription: x\n---\n", "differs from its folder"),
        ("a", "---\nname: a\n---\n", "description must be"),
        ("a", "---\nname: a\ndescription: " + "x" * 1025 + "\n---\n", "description must be"),
        ("a", "# no front matter\n", "no front matter"),
        ("a", "---\nname: a\ndescription: x\n", "not closed"),
        ("a--b", "---\nname: a--b\ndescription: x\n---\n", "single hyphens"),
    ],
)
def test_the_rules_catch_broken_skills(folder: str, text: str, fragment: str) -> None:
    assert any(fragment in problem for problem in bundle.problems(folder, text))


@pytest.mark.parametrize("path", sorted(FILES))
def test_every_command_a_skill_teaches_exists(path: str) -> None:
    taught = cli_docs.commands(FILES[path])
    assert taught, "a skill with no command teaches nothing"
    assert [p for p in map(cli_docs.problem, taught) if p] == [], path
