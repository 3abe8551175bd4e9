"""Pure lane rules: command placeholders, lane env references, verdict front matter, scope."""

from __future__ import annotations

import pytest

from striatum.lanes import scope_check
from striatum.model import verdict_text
from striatum.model.workflow import lane_env, placeholders


def test_only_known_placeholders_are_filled_and_other_braces_stay_literal() -> None:
    values = {"output": "out.md", "lease_id": "lse_1"}
    assert (
        placeholders.fill('{"out": "{output}", "x": {y}}', values) == '{"out": "out.md", "x": {y}}'
    )
    assert placeholders.fill("{{output}}", values) == "{out.md}"
    assert placeholders.fill("--lease={lease_id}", values) == "--lease=lse_1"
    assert placeholders.unknown("run {secret} {output} {}") == ["secret"]


def test_lane_env_references_are_filled_from_the_source_and_missing_ones_named() -> None:
    declared = {"URL": "http://${HOST}:${PORT}/v1", "MODE": "literal $HOME"}
    resolved, missing = lane_env.resolve(declared, {"HOST": "127.0.0.1"})
    assert resolved == {"URL": "http://127.0.0.1:/v1", "MODE": "literal $HOME"}
    assert missing == ["PORT"]


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("9X", "v", "not a variable name"),
        ("striatum_token", "v", "set by Striatum"),
        ("KEY", "${OPEN", "malformed reference"),
        ("KEY", "a\0b", "NUL"),
        ("DB", "${STRIATUM_DATABASE_URL}", "Striatum's own variables"),
        ("T", "x-${striatum_token}", "Striatum's own variables"),
    ],
)
def test_a_bad_lane_variable_is_named(name: str, value: str, fragment: str) -> None:
    problem = lane_env.problem(name, value)
    assert problem is not None and fragment in problem


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("---\nverdict: accept\n---\nfine\n", "accept"),
        ("\ufeff\n---\nverdict: 'needs_revision'\n---\n", "needs_revision"),
        ("# Review\n\nbad.\n\n---\nverdict: reject\n---\n", "reject"),  # at the end
        ("---\nverdict: Accept  # after a second look\n---\n", "accept"),
    ],
)
def test_a_verdict_is_read_from_front_matter_at_the_top_or_the_end(text: str, value: str) -> None:
    assert verdict_text.read(text).value == value


def test_a_malformed_verdict_names_its_line_and_the_accepted_values() -> None:
    reading = verdict_text.read("---\ntitle: x\nverdict: looks-good\n---\n")
    assert reading.value is None and reading.line == 3
    assert reading.problem == (
        "line 3: `verdict: looks-good` is not one of accept, needs_revision, reject"
    )


def test_no_front_matter_is_said_plainly() -> None:
    reading = verdict_text.read("verdict: accept\n")  # not in a block
    assert reading.value is None and "front matter" in (reading.problem or "")


def test_changes_outside_the_scope_and_in_forbidden_paths_are_found() -> None:
    found = scope_check.check(
        ["src/a.py", "README.md", "docs/striatum/x/y.md", "lib/b.py", "src/vendor/c.py"],
        scopes=["src"],
        artifact_root="docs/striatum",
        others=["lib"],
        forbidden=["src/vendor"],
    )
    assert found.outside == ["README.md"]
    assert found.forbidden == ["src/vendor/c.py"]
    assert found.reason(["src"]) == (
        "changed README.md outside its write scope (src); "
        "changed forbidden path(s) src/vendor/c.py; those "
        "changes were discarded"
    )
    assert (
        scope_check.check(
            ["src/a.py"], scopes=["src"], artifact_root="docs", others=[], forbidden=[]
        ).reason(["src"])
        is None
    )


def test_a_reference_to_a_striatum_variable_is_never_filled() -> None:
    """Even past validation (an old snapshot), the launch refuses to copy a token."""
    resolved, missing = lane_env.resolve({"T": "${STRIATUM_TOKEN}"}, {"STRIATUM_TOKEN": "s"})
    assert resolved == {"T": ""} and missing == ["STRIATUM_TOKEN"]
