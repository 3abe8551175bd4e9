"""Landing in two halves, with real git: `prepare_land` (inside the transaction) makes the
merge commit and moves nothing a user sees; `finish_land` (after commit) fast-forwards the
checkout to it, once, or says what was recorded and how to finish."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from striatum import errors
from striatum.engine import worktrees

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
RUN = "run_1"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        [*GIT, "-C", str(repo), *args], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def commit(repo: Path, name: str, text: str) -> None:
    (repo / name).write_text(text)
    git(repo, "add", name)
    git(repo, "commit", "-qm", f"write {name}")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository on `main` whose run branch adds app.py; main has moved on since."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "README.md", "readme\n")
    git(repo, "checkout", "-q", "-b", worktrees.branch(RUN))
    commit(repo, "app.py", "x = 1\n")
    git(repo, "checkout", "-q", "main")
    commit(repo, "NOTES.md", "notes\n")
    return repo


def visible(repo: Path) -> tuple[str, str, str]:
    """What a user sees: the refs, HEAD, and the working tree's status."""
    return (
        git(repo, "for-each-ref", "--format=%(refname) %(objectname)"),
        git(repo, "rev-parse", "HEAD"),
        git(repo, "status", "--porcelain", "--untracked-files=all"),
    )


def test_preparing_moves_nothing_and_gives_the_same_commit_every_time(repo: Path) -> None:
    """A retried transaction prepares again: the same merge commit, still unnamed."""
    before = visible(repo)
    first = worktrees.prepare_land(repo, RUN, repo / "no-worktree")
    assert worktrees.prepare_land(repo, RUN, repo / "no-worktree") == first
    assert visible(repo) == before
    parents = git(repo, "rev-list", "--parents", "-n1", first.commit).split()[1:]
    assert parents == [before[1], git(repo, "rev-parse", worktrees.branch(RUN))]
    assert first.checked_out == "refs/heads/main"


def test_finishing_fast_forwards_once_and_again_is_a_no_op(repo: Path) -> None:
    landing = worktrees.prepare_land(repo, RUN, repo / "no-worktree")
    worktrees.finish_land(landing)
    after = visible(repo)
    assert after[1] == landing.commit and (repo / "app.py").read_text() == "x = 1\n"
    worktrees.finish_land(landing)
    assert visible(repo) == after
    again = worktrees.prepare_land(repo, RUN, repo / "no-worktree")  # merged already
    assert again.commit == again.base == landing.commit


def test_finishing_after_head_moved_names_the_recorded_commit(repo: Path) -> None:
    landing = worktrees.prepare_land(repo, RUN, repo / "no-worktree")
    commit(repo, "LATER.md", "a commit made meanwhile\n")
    moved = visible(repo)
    with pytest.raises(errors.Conflict) as refused:
        worktrees.finish_land(landing)
    assert landing.commit in refused.value.message and "recorded as landed" in refused.value.message
    assert refused.value.details == {"run_id": RUN, "commit": landing.commit}
    assert visible(repo) == moved


def test_a_conflict_is_refused_while_preparing_and_names_the_file(repo: Path) -> None:
    commit(repo, "app.py", "x = 2\n")
    before = visible(repo)
    with pytest.raises(errors.Conflict, match=r"conflicts: app\.py"):
        worktrees.prepare_land(repo, RUN, repo / "no-worktree")
    assert visible(repo) == before


def test_an_untracked_file_in_the_way_is_refused_while_preparing(repo: Path) -> None:
    (repo / "app.py").write_text("mine\n")
    with pytest.raises(errors.Conflict, match="would be overwritten"):
        worktrees.prepare_land(repo, RUN, repo / "no-worktree")
    assert (repo / "app.py").read_text() == "mine\n"


def test_an_untracked_copy_of_what_the_branch_adds_is_not_in_the_way(repo: Path) -> None:
    """A travelling run's artifacts are published into the checkout as they come, and
    committed on the branch too: landing takes their place, the bytes being the same. A
    copy that differs in one byte is still refused, and left as it was."""
    (repo / "app.py").write_text("x = 2\n")
    with pytest.raises(errors.Conflict, match="would be overwritten"):
        worktrees.prepare_land(repo, RUN, repo / "no-worktree")
    (repo / "app.py").write_text("x = 1\n")
    landing = worktrees.prepare_land(repo, RUN, repo / "no-worktree")
    worktrees.finish_land(landing)
    assert git(repo, "rev-parse", "HEAD") == landing.commit
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert (repo / "app.py").read_text() == "x = 1\n"


def test_a_recorded_commit_the_branch_lacks_is_named(repo: Path) -> None:
    """A job's commit made on another host and not fetched here: landing would be partial."""
    tip = git(repo, "rev-parse", worktrees.branch(RUN))
    elsewhere = "0123456789abcdef0123456789abcdef01234567"
    held = [("draft", tip), ("review", elsewhere), ("fix", elsewhere)]
    assert worktrees.missing_from_branch(repo, RUN, held) == ["fix", "review"]
    assert worktrees.missing_from_branch(repo, RUN, held[:1]) == []


def test_finishing_after_a_commit_on_top_of_the_landing_is_a_no_op(repo: Path) -> None:
    """The landed commit is in HEAD's history: landing is done, whatever came after it."""
    landing = worktrees.prepare_land(repo, RUN, repo / "no-worktree")
    worktrees.finish_land(landing)
    commit(repo, "LATER.md", "a commit made since\n")
    after = visible(repo)
    worktrees.finish_land(landing)
    assert visible(repo) == after


def test_a_checkout_with_no_commit_is_a_conflict_not_a_crash(repo: Path) -> None:
    """An orphan branch checked out since the run began: a refusal the user can act on
    (exit 5), never an internal error."""
    git(repo, "checkout", "-q", "--orphan", "fresh")
    git(repo, "rm", "-rq", "--cached", ".")
    with pytest.raises(errors.Conflict, match="no commit checked out"):
        worktrees.prepare_land(repo, RUN, repo / "no-worktree")
