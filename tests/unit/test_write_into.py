"""Writing a file into the repository: whole or not at all, never through a symlink."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from striatum import errors
from striatum.engine.files import place, write_into


def test_a_file_at_the_repository_root_and_its_mode_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "tool.sh"
    target.write_text("old")
    target.chmod(0o755)
    write_into(tmp_path, "tool.sh", b"new")
    assert target.read_bytes() == b"new" and os.stat(target).st_mode & 0o777 == 0o755
    assert [p.name for p in tmp_path.iterdir()] == ["tool.sh"]  # no temporary left


def test_a_symlinked_directory_is_refused_before_anything_is_created(tmp_path: Path) -> None:
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    repo.mkdir()
    outside.mkdir()
    (repo / "docs").symlink_to(outside)
    with pytest.raises(errors.ValidationError, match="through a symlink"):
        write_into(repo, "docs/new/deeper/out.md", b"x")
    assert list(outside.iterdir()) == []


def test_placing_the_same_bytes_again_leaves_the_file_alone(tmp_path: Path) -> None:
    """An after-commit copy is idempotent: the same bytes already there are not rewritten."""
    place(tmp_path, "docs/out.md", b"recorded")
    first = os.stat(tmp_path / "docs" / "out.md")
    place(tmp_path, "docs/out.md", b"recorded")
    assert os.stat(tmp_path / "docs" / "out.md").st_ino == first.st_ino
    place(tmp_path, "docs/out.md", b"other bytes")
    assert (tmp_path / "docs" / "out.md").read_bytes() == b"other bytes"
