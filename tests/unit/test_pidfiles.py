"""The supervisor's pid files, rewritten in place: always the whole of the last text."""

from __future__ import annotations

from pathlib import Path

from striatum.lanes import pidfiles


def test_a_rewrite_leaves_only_the_new_text(tmp_path: Path) -> None:
    path = tmp_path / "work.pid"
    pidfiles.write(path, "1234\n5678\n")
    assert path.read_text() == "1234\n5678\n"
    pidfiles.write(path, "9\n")  # shorter: the rest is cut, not left behind
    assert path.read_text() == "9\n"
    pidfiles.write(path, "")
    assert path.read_bytes() == b""
    pidfiles.write(path, "42\n")
    assert path.read_text() == "42\n"
