"""One git process tells an agent's end both HEAD and what changed, as two used to."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from striatum.engine import worktrees


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.email=t@t", "-c", "user.name=t", *args],
        check=True,
        capture_output=True,
        text=True,
        errors="surrogateescape",
    ).stdout


def _v1_changes(repo: Path) -> list[str]:
    listed = _git(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames")
    return [entry[3:] for entry in listed.split("\0") if len(entry) > 3]


def test_head_and_changes_match_rev_parse_and_the_v1_listing(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    for name in ("kept", "edited", "deleted", "staged", "moved"):
        (repo / name).write_text(name)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    (repo / "edited").write_text("changed")
    (repo / "deleted").unlink()
    (repo / "staged").write_text("staged change")
    _git(repo, "add", "staged")
    _git(repo, "mv", "moved", "renamed")
    (repo / "new dir" / "deep").mkdir(parents=True)
    (repo / "new dir" / "deep" / "a file with spaces").write_text("x")
    (repo / "tab\there").write_text("x")
    os.close(os.open(os.fsencode(repo) + b"/not-utf8-\xff", os.O_CREAT | os.O_WRONLY))
    head, changed = worktrees.head_and_changes(repo)
    assert head == _git(repo, "rev-parse", "HEAD").strip()
    assert sorted(changed) == sorted(_v1_changes(repo))
    assert {"edited", "deleted", "staged", "moved", "renamed", "tab\there"} <= set(changed)
    assert "new dir/deep/a file with spaces" in changed
    assert "kept" not in changed


def test_a_folder_left_out_is_not_listed_and_nothing_else_is_lost(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "docs").mkdir()
    (repo / "docs" / "guide.md").write_text("guide")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    (repo / "docs" / "striatum" / "run" / "job").mkdir(parents=True)
    for n in range(5):
        (repo / "docs" / "striatum" / "run" / "job" / f"a{n}.md").write_text("artifact")
    (repo / "docs" / "guide.md").write_text("edited")
    (repo / "docs" / "striatum-like.md").write_text("a sibling, not inside")
    (repo / "*").write_text("a file named like a pattern")
    everything = worktrees.changed(repo)
    _, without = worktrees.head_and_changes(repo, besides="docs/striatum/")
    assert without == [p for p in everything if not p.startswith("docs/striatum/")]
    assert sorted(without) == ["*", "docs/guide.md", "docs/striatum-like.md"]
    assert worktrees.changed(repo, besides=".") == everything  # never the whole tree
