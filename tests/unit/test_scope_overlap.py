"""Which write scopes collide (model/workflow/paths.py): the rule claims and supervisors share."""

from __future__ import annotations

from striatum.model.workflow.paths import code_scopes, overlapping


def test_scopes_under_the_artifact_root_never_write_code() -> None:
    scopes = ["docs/striatum/", "docs/striatum/plan.md", "src/", "docs/"]
    assert code_scopes(scopes, "docs/striatum") == ["src", "docs"]


def test_a_scope_inside_another_overlaps_either_way_round() -> None:
    assert overlapping(["src/lib"], ["src"]) == ("src/lib", "src")
    assert overlapping(["src"], ["src/lib/a.py"]) == ("src", "src/lib/a.py")
    assert overlapping(["src"], ["src"]) == ("src", "src")


def test_siblings_and_shared_prefixes_do_not_overlap() -> None:
    assert overlapping(["src/lib"], ["src/library", "docs"]) is None
    assert overlapping([], ["src"]) is None
