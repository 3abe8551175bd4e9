"""A Markdown artifact's front matter is read as key/value pairs and kept out of its body."""

from __future__ import annotations

from striatum.web import front_matter


def test_a_leading_block_becomes_pairs_and_leaves_the_body() -> None:
    found = front_matter.split("---\nverdict: accept\nfindings:\n  - a\n  - b\n---\n# Review\n")
    assert found.fields == [("verdict", "accept"), ("findings", "- a\n- b")]
    assert found.body == "# Review\n"


def test_a_trailing_block_is_read_too_so_it_never_renders_as_a_heading() -> None:
    found = front_matter.split("# Review\n\nFine.\n\n---\nverdict: needs_revision\n---\n")
    assert found.fields == [("verdict", "needs_revision")]
    assert "verdict" not in found.body and found.body.startswith("# Review")


def test_rules_around_prose_are_not_front_matter() -> None:
    text = "---\n\nJust a rule.\n\n---\n"
    assert front_matter.split(text) == front_matter.Split(fields=[], body=text)


def test_an_unclosed_block_is_left_as_markdown() -> None:
    text = "---\nverdict: accept\n# Review\n"
    assert front_matter.split(text).fields == []
