"""Fitting text to columns: clipping, wrapping, tables and fields never pass the width."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from striatum.cli import layout
from striatum.cli.terminal import Screen

WORDS = st.lists(st.text(alphabet="abcdé東🚀-/", min_size=1, max_size=30), max_size=20)


def test_a_wide_character_takes_two_columns_and_a_combining_one_none() -> None:
    assert layout.width_of("東京") == 4
    assert layout.width_of("e\u0301") == 1
    assert layout.width_of("plain") == 5


def test_clipping_ends_in_an_ellipsis_only_when_something_was_cut() -> None:
    assert layout.clip("run_d8fa61b44475", 16) == "run_d8fa61b44475"
    assert layout.clip("run_d8fa61b44475", 8) == "run_d8f…"
    assert layout.clip("東京東京", 5) == "東京…"


@given(st.text(max_size=80), st.integers(min_value=1, max_value=60))
def test_a_clipped_text_never_passes_its_width(text: str, width: int) -> None:
    assert layout.width_of(layout.clip(text, width)) <= width


@given(WORDS, st.integers(min_value=8, max_value=60))
def test_wrapping_fits_and_keeps_every_word_whole(words: list[str], width: int) -> None:
    """A line passes the width only when it is one word that alone is wider (a path or a
    command, which must paste back whole)."""
    text = " ".join(words)
    lines = layout.wrap(text, width, indent="  ", first="- ")
    for line in lines:
        assert layout.width_of(line) <= width or " " not in line[2:], line
    assert [w for line in lines for w in line[2:].split(" ") if w] == [w for w in words if w]


def test_a_path_longer_than_the_line_is_kept_whole_on_a_line_of_its_own() -> None:
    path = "/tmp/" + "x" * 90 + "/config.toml"
    lines = layout.wrap(f"add to {path}: then run it", 80, indent="    ")
    assert lines == ["    add to", f"    {path}:", "    then run it"]


@given(
    st.lists(
        st.lists(st.text(alphabet="abcd東 ", max_size=50), min_size=4, max_size=4), max_size=8
    ),
    st.integers(min_value=40, max_value=200),
)
def test_a_table_fits_any_width_and_keeps_one_line_per_row(
    rows: list[list[str]], width: int
) -> None:
    lines = layout.table(["ID", "STATE", "REASON", "NOTE"], rows, Screen(width, color=False))
    assert len(lines) == 1 + len(rows)
    assert all(layout.width_of(line) <= width for line in lines)


def test_the_widest_column_gives_way_first() -> None:
    rows = [["run_1", "running", "x" * 200]]
    _, row = layout.table(["RUN", "STATE", "REASON"], rows, Screen(60, color=False))
    assert row.startswith("run_1  running  xxx") and row.endswith("…")
    assert layout.width_of(row) == 60


def test_colour_is_painted_after_fitting_so_widths_hold() -> None:
    plain = layout.table(["STATE"], [["running"]], Screen(40, color=False))
    painted = layout.table(
        ["STATE"], [["running"]], Screen(40, color=True), styles={0: lambda _: "cyan"}
    )
    assert "\x1b[" in painted[1] and "\x1b[" not in "".join(plain)


def test_fields_align_keys_and_wrap_values_under_themselves() -> None:
    lines = layout.fields([("repo", "/tmp/x"), ("supervisor", "a " * 40)], Screen(40, color=False))
    assert lines[0] == "repo        /tmp/x"
    assert all(line.startswith(" " * 12) for line in lines[2:])
    assert all(layout.width_of(line) <= 40 for line in lines)
