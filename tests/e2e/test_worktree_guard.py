"""What an agent leaves in a run's worktree, policed with real git: hostile file names,
staged changes, its own commits, and leftovers of a dead supervisor."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from striatum.engine import worktrees
from striatum.lanes.worktree_guard import WorktreeGuard

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        [*GIT, "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


def repo_with(tmp_path: Path, files: dict[str, str]) -> Path:
    repo = tmp_path / "wt"
    repo.mkdir()
    git(repo, "init", "-q")
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "base")
    return repo


def test_a_file_named_like_a_pathspec_reverts_only_itself(tmp_path: Path) -> None:
    """An agent's file called `*` or `:/` must not wipe another job's work in progress."""
    repo = repo_with(tmp_path, {"other/b.py": "b\n", "mine/a.py": "a\n"})
    (repo / "other" / "b.py").write_text("job B's edit\n")
    (repo / "other" / "new.py").write_text("job B's new file\n")
    for name in ("*", ":(top)x", "a[1]"):
        (repo / name).write_text("stray\n")
    guard = WorktreeGuard(repo, "docs/striatum")
    broke, _ = guard.police(scopes=["mine"], others=["other"], forbidden=[])
    assert broke is not None and "*" in broke
    assert (repo / "other" / "b.py").read_text() == "job B's edit\n"
    assert (repo / "other" / "new.py").exists()
    assert not (repo / "*").exists() and not (repo / "a[1]").exists()


def test_a_name_that_is_not_utf8_is_judged_and_reverted(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"mine/a.py": "a\n"})
    bad = os.fsencode(str(repo)) + b"/bad\xff.txt"
    with open(bad, "wb") as handle:
        handle.write(b"x")
    broke, _ = WorktreeGuard(repo, "docs").police(scopes=["mine"], others=[], forbidden=[])
    assert broke is not None and "bad\\xff.txt" in broke
    broke.encode("utf-8")  # a reason the daemon can store
    assert not os.path.exists(bad)
    assert worktrees.changed(repo) == []


def test_staged_changes_deletions_and_renames_are_all_reverted(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"other/b.py": "b\n", "other/c d é.py": "c\n", "x.py": "x\n"})
    git(repo, "rm", "-q", "other/b.py")
    git(repo, "mv", "other/c d é.py", "other/renamed.py")
    (repo / "staged.py").write_text("new\n")
    git(repo, "add", "staged.py")
    (repo / "x.py").write_text("changed\n")
    broke, _ = WorktreeGuard(repo, "docs").police(scopes=["mine"], others=[], forbidden=[])
    assert broke is not None
    assert worktrees.changed(repo) == []
    assert (repo / "other" / "b.py").read_text() == "b\n"
    assert (repo / "other" / "c d é.py").exists() and not (repo / "staged.py").exists()


def test_an_agents_own_commit_is_taken_back_and_judged(tmp_path: Path) -> None:
    """Only the supervisor commits: an agent's commit outside its scope cannot slip onto the
    run's branch (and one inside stays as a change for the supervisor to commit)."""
    repo = repo_with(tmp_path, {"README.md": "r\n"})
    guard = WorktreeGuard(repo, "docs")
    base = worktrees.head(repo)
    (repo / "mine").mkdir()
    (repo / "mine" / "a.py").write_text("a\n")
    (repo / "README.md").write_text("rewritten\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "agent's own commit")
    broke, made = guard.police(scopes=["mine"], others=[], forbidden=[])
    assert worktrees.head(repo) == base
    assert made and "agent's own commit" in made[0]
    assert broke is not None and "README.md" in broke
    assert worktrees.changed(repo) == ["mine/a.py"]  # in scope: left for the commit


def test_a_new_supervisor_drops_what_earlier_agents_left(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"a.py": "a\n"})
    (repo / "a.py").write_text("half done\n")
    (repo / "stray.txt").write_text("x\n")
    left = WorktreeGuard(repo, "docs").isolate(live=[])
    assert sorted(left) == ["a.py", "stray.txt"]
    assert worktrees.changed(repo) == []


def test_isolating_spares_running_scopes_and_the_artifact_root(tmp_path: Path) -> None:
    """Staged, deleted, modified and new files outside every live scope are put back; a
    running job's work in progress and published artifacts stay."""
    repo = repo_with(tmp_path, {"mine/a.py": "a\n", "b.py": "b\n", "c.py": "c\n"})
    (repo / "mine" / "a.py").write_text("dead attempt\n")
    (repo / "b.py").unlink()
    (repo / "c.py").write_text("staged\n")
    git(repo, "add", "c.py")
    (repo / "new" / "deep").mkdir(parents=True)
    (repo / "new" / "deep" / "n.py").write_text("n\n")
    (repo / "live").mkdir()
    (repo / "live" / "wip.py").write_text("in progress\n")
    (repo / "docs" / "r" / "j").mkdir(parents=True)
    (repo / "docs" / "r" / "j" / "out.md").write_text("published\n")
    put_back = WorktreeGuard(repo, "docs").isolate(live=["live"])
    assert sorted(put_back) == ["b.py", "c.py", "mine/a.py", "new/deep/n.py"]
    assert sorted(worktrees.changed(repo)) == ["docs/r/j/out.md", "live/wip.py"]
    assert (repo / "b.py").read_text() == "b\n" and not (repo / "new").exists()


def test_a_new_supervisor_takes_back_commits_a_dead_supervisors_agents_made(
    tmp_path: Path,
) -> None:
    """Above the last commit Striatum made on the run's branch, any commit is an agent's own:
    a new supervisor takes it back with everything uncommitted."""
    checkout = repo_with(tmp_path, {"a.py": "a\n"})
    tree = worktrees.ensure(checkout, "r1", tmp_path / "trees" / "r1")
    (tree / "mine").mkdir()
    (tree / "mine" / "ok.py").write_text("kept\n")
    worktrees.commit(
        tree, run_id="r1", job_id="j", attempt=1, lease_id="l", anchor=None, scopes=["mine"]
    )
    ours = worktrees.head(tree)
    (tree / "a.py").write_text("agent's own\n")
    git(tree, "commit", "-qam", "an agent's commit")
    (tree / "half.py").write_text("uncommitted\n")
    made, left = WorktreeGuard(tree, "docs").take_over(checkout)
    assert [subject.split(" ", 1)[1] for subject in made] == ["an agent's commit"]
    assert left == ["a.py", "half.py"]
    assert worktrees.head(tree) == ours and worktrees.changed(tree) == []
    assert (tree / "a.py").read_text() == "a\n"


def test_an_agents_commit_on_a_fresh_branch_is_taken_back_to_where_it_left(
    tmp_path: Path,
) -> None:
    checkout = repo_with(tmp_path, {"a.py": "a\n"})
    base = worktrees.head(checkout)
    tree = worktrees.ensure(checkout, "r2", tmp_path / "trees" / "r2")
    (tree / "new.py").write_text("agent's own\n")
    git(tree, "add", "new.py")
    git(tree, "commit", "-qm", "an agent's commit")
    made, left = WorktreeGuard(tree, "docs").take_over(checkout)
    assert len(made) == 1 and left == ["new.py"]
    assert worktrees.head(tree) == base and not (tree / "new.py").exists()


def test_a_removed_worktree_comes_back_on_the_run_s_branch_with_its_commits(
    tmp_path: Path,
) -> None:
    """`run clean` (or a hand) removes a run's worktree but keeps its unlanded branch; the
    next supervisor of a retried run must find the run's commits there, not a branch moved
    back to the checkout's HEAD."""
    repo = repo_with(tmp_path, {"README.md": "hello\n"})
    worktree = tmp_path / "worktrees" / "run_1"
    worktrees.ensure(repo, "run_1", worktree)
    (worktree / "work.txt").write_text("the run's work\n")
    git(worktree, "add", "work.txt")
    git(worktree, "commit", "-qm", "job A")
    tip = git(repo, "rev-parse", "striatum/run_1").strip()
    git(repo, "worktree", "remove", str(worktree))
    (repo / "later.txt").write_text("the user went on\n")
    git(repo, "add", "later.txt")
    git(repo, "commit", "-qm", "later")
    worktrees.ensure(repo, "run_1", worktree)
    assert git(repo, "rev-parse", "striatum/run_1").strip() == tip
    assert (worktree / "work.txt").read_text() == "the run's work\n"
    assert not (worktree / "later.txt").exists()
