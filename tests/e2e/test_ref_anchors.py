"""Chain heads anchored in the repository under refs/striatum/anchors, with real git: the ref
only moves forward, by compare-and-swap; a rewritten or removed ref shows; push and fetch
carry it to a remote and back, and a fetch that would not fast-forward changes nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from striatum import errors
from striatum.integrity import ref_anchors, ref_remote
from striatum.integrity.ref_anchors import REF
from striatum.model.chain import Head

CHAIN = "repo:r1"


def git(repo: Path, *args: str, stdin: str = "") -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo), *args],
        input=stdin,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def head(seq: int) -> Head:
    return Head(seq=seq, row_hash=f"{seq:064x}")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A work tree with one commit, a staged change and an untracked file."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "a.txt").write_text("a\n")
    git(repo, "add", "a.txt")
    git(repo, "commit", "-qm", "first")
    (repo / "a.txt").write_text("staged\n")
    git(repo, "add", "a.txt")
    (repo / "loose.txt").write_text("untracked\n")
    return repo


def test_record_then_read_gives_the_highest_head_of_every_chain(repo: Path) -> None:
    status = git(repo, "status", "--porcelain")
    first = ref_anchors.record(repo, {CHAIN: head(3), "repo:r2": head(1)})
    second = ref_anchors.record(repo, {CHAIN: head(5)})
    assert first and second and first != second
    anchors = ref_anchors.read(repo)
    assert anchors.tip == second and anchors.problems == []
    assert anchors.heads == {CHAIN: head(5), "repo:r2": head(1)}
    assert git(repo, "rev-parse", f"{second}^") == first
    assert git(repo, "reflog", "show", "--format=%H", REF).split() == [second, first]
    # the working tree, index and HEAD are as they were
    assert git(repo, "status", "--porcelain") == status
    assert git(repo, "log", "--format=%s", "HEAD") == "first"
    assert git(repo, "log", "-1", "--format=%an <%ae>", second) == "Striatum <striatum@localhost>"
    assert git(repo, "log", "-1", "--format=%B", second) == (
        f"striatum anchors: 2 chain heads\n\nStriatum-Anchor: {CHAIN} 5 {head(5).row_hash}\n"
        f"Striatum-Anchor: repo:r2 1 {head(1).row_hash}"
    )


def test_record_returns_none_when_nothing_advanced_or_there_is_no_repository(
    repo: Path, tmp_path: Path
) -> None:
    assert ref_anchors.record(repo, {CHAIN: head(0)}) is None  # an empty chain
    tip = ref_anchors.record(repo, {CHAIN: head(4)})
    assert ref_anchors.record(repo, {CHAIN: head(4)}) is None
    assert ref_anchors.record(repo, {CHAIN: head(2)}) is None  # never backwards
    assert ref_anchors.read(repo).tip == tip
    plain = tmp_path / "plain"
    plain.mkdir()
    assert ref_anchors.record(plain, {CHAIN: head(1)}) is None
    assert ref_anchors.record(tmp_path / "missing", {CHAIN: head(1)}) is None
    assert ref_anchors.read(plain) == ref_anchors.RefAnchors()
    inside = repo / "sub"
    inside.mkdir()
    assert ref_anchors.record(inside, {CHAIN: head(9)}) is None  # only a repository's top
    assert not ref_anchors.contains(inside, tip or "")


def test_no_hook_runs_when_anchors_are_recorded(repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "reference-transaction"
    hook.write_text(f"#!/bin/sh\ntouch {repo}/hook-ran\n")
    hook.chmod(0o755)
    assert ref_anchors.record(repo, {CHAIN: head(1)})
    assert not (repo / "hook-ran").exists()


def test_the_swap_is_refused_when_the_ref_moved_meanwhile(repo: Path) -> None:
    old = ref_anchors.record(repo, {CHAIN: head(1)})
    made = ref_anchors.commit(repo, {CHAIN: head(2)}, parent=old)
    moved = ref_anchors.record(repo, {CHAIN: head(3)})
    with pytest.raises(errors.Conflict, match="moved meanwhile"):
        ref_anchors.swap(repo, made, old)
    with pytest.raises(errors.Conflict):
        ref_anchors.swap(repo, made, None)  # "absent" when it exists
    assert ref_anchors.read(repo).tip == moved


def test_contains_is_false_once_the_ref_is_removed_or_rewritten(repo: Path) -> None:
    first = ref_anchors.record(repo, {CHAIN: head(1)})
    second = ref_anchors.record(repo, {CHAIN: head(2)})
    assert first and second
    assert ref_anchors.contains(repo, first) and ref_anchors.contains(repo, second)
    forged = ref_anchors.commit(repo, {CHAIN: head(2)}, parent=None)
    git(repo, "update-ref", REF, forged)
    assert not ref_anchors.contains(repo, second)
    git(repo, "update-ref", "-d", REF)
    assert not ref_anchors.contains(repo, first)
    assert ref_anchors.read(repo) == ref_anchors.RefAnchors()
    assert not ref_anchors.contains(repo, "--all")


def test_a_forged_tip_anchoring_a_lower_seq_is_named(repo: Path) -> None:
    good = ref_anchors.record(repo, {CHAIN: head(7)})
    forged = ref_anchors.commit(repo, {CHAIN: head(5)}, parent=good)
    git(repo, "update-ref", REF, forged)
    anchors = ref_anchors.read(repo)
    assert anchors.tip == forged
    assert anchors.heads == {CHAIN: head(7)}  # the history still says 7
    assert anchors.problems == [
        f"commit {forged} anchors {CHAIN} at seq 5, below seq 7 anchored by {good}"
    ]


def test_a_different_hash_a_dropped_chain_and_a_foreign_message_are_named(repo: Path) -> None:
    good = ref_anchors.record(repo, {CHAIN: head(7), "repo:r2": head(1)})
    other = Head(seq=7, row_hash="f" * 64)
    swapped = ref_anchors.commit(repo, {CHAIN: other}, parent=good)
    tree = git(repo, "mktree")
    foreign = git(repo, "commit-tree", "-p", swapped, tree, stdin="hello\n")
    git(repo, "update-ref", REF, foreign)
    problems = ref_anchors.read(repo).problems
    assert problems == [
        f"commit {swapped} anchors {CHAIN} at seq 7 with hash {'f' * 64}, where {good} "
        f"anchored {head(7).row_hash}",
        f"commit {swapped} drops repo:r2, anchored at seq 1 by {good}",
        f"commit {foreign} is not an anchor record (its message does not parse)",
    ]


def test_a_ref_naming_a_blob_is_a_problem_not_a_crash(repo: Path) -> None:
    blob = git(repo, "hash-object", "-w", "--stdin", stdin="x")
    git(repo, "update-ref", REF, blob)
    anchors = ref_anchors.read(repo)
    assert anchors.tip == blob and anchors.problems == [f"{REF} in {repo} does not name a commit"]


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    return bare


def test_push_then_fetch_into_a_clone_carries_the_anchors(
    repo: Path, remote: Path, tmp_path: Path
) -> None:
    git(repo, "remote", "add", "origin", str(remote))
    tip = ref_anchors.record(repo, {CHAIN: head(2)})
    pushed = ref_remote.push(repo, "origin")
    assert pushed == ref_remote.Transfer(remote="origin", tip=tip, moved=True)
    assert not ref_remote.push(repo, "origin").moved  # up to date
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(remote), str(clone))
    assert ref_anchors.read(clone).tip is None  # a plain clone does not carry it
    assert ref_remote.fetch(clone, "origin").moved
    assert ref_anchors.read(clone).heads == {CHAIN: head(2)}
    assert git(clone, "for-each-ref", "--format=%(refname)") == REF  # no scratch ref left
    newer = ref_anchors.record(clone, {CHAIN: head(3)})
    ref_remote.push(clone, "origin")
    assert ref_remote.fetch(repo, "origin") == ref_remote.Transfer(
        remote="origin", tip=newer, moved=True
    )
    assert ref_anchors.record(repo, {CHAIN: head(4)})
    behind = ref_remote.fetch(repo, "origin")  # the remote is behind: nothing to do
    assert not behind.moved and behind.tip != newer


def test_a_fetch_that_would_not_fast_forward_is_refused_and_changes_nothing(
    repo: Path, remote: Path, tmp_path: Path
) -> None:
    ref_anchors.record(repo, {CHAIN: head(2)})
    ref_remote.push(repo, str(remote))
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(remote), str(clone))
    ref_remote.fetch(clone, "origin")
    rewritten = ref_anchors.commit(remote, {CHAIN: head(1)}, parent=None)
    git(remote, "update-ref", REF, rewritten)
    before = ref_anchors.read(clone).tip
    with pytest.raises(errors.Conflict, match="does not extend"):
        ref_remote.fetch(clone, "origin")
    assert ref_anchors.read(clone).tip == before
    # not even when the user configured the forced refspec we advise against
    git(clone, "config", "--add", "remote.origin.fetch", "+refs/striatum/*:refs/striatum/*")
    with pytest.raises(errors.Conflict, match="does not extend"):
        ref_remote.fetch(clone, "origin")
    assert ref_anchors.read(clone).tip == before
    mine = ref_anchors.record(clone, {CHAIN: head(3)})
    with pytest.raises(errors.Conflict, match="refused"):  # and pushing does not force
        ref_remote.push(clone, "origin")
    assert ref_anchors.read(remote).tip == rewritten and ref_anchors.read(clone).tip == mine


def test_push_and_fetch_say_what_is_missing(repo: Path, remote: Path) -> None:
    with pytest.raises(errors.NotFound, match="no anchors to push"):
        ref_remote.push(repo, str(remote))
    with pytest.raises(errors.NotFound, match="cannot fetch"):
        ref_remote.fetch(repo, str(remote))
    with pytest.raises(errors.NotFound, match="cannot fetch"):
        ref_remote.fetch(repo, "nowhere")
    with pytest.raises(errors.UsageError):
        ref_remote.fetch(repo, "--upload-pack=touch")


def test_a_head_that_cannot_be_written_is_refused_before_anything_is(repo: Path) -> None:
    with pytest.raises(errors.ValidationError):
        ref_anchors.record(repo, {"repo:a b": head(1)})
    with pytest.raises(errors.ValidationError):
        ref_anchors.record(repo, {CHAIN: Head(seq=1, row_hash="ABC")})
    assert ref_anchors.read(repo).tip is None


def test_a_forged_message_with_a_nul_byte_is_a_problem(repo: Path) -> None:
    good = ref_anchors.record(repo, {CHAIN: head(1)})
    who = "x <x> 0 +0000"
    raw = (
        f"tree {git(repo, 'mktree')}\nparent {good}\nauthor {who}\ncommitter {who}\n\n"
        f"striatum anchors: 1\n\0\nx\n"
    )
    forged = (
        subprocess.run(
            ["git", "-C", str(repo), "hash-object", "-t", "commit", "-w", "--stdin", "--literally"],
            input=raw.encode(),
            check=True,
            capture_output=True,
        )
        .stdout.decode()
        .strip()
    )
    git(repo, "update-ref", REF, forged)
    assert ref_anchors.read(repo).problems == [  # git prints a message up to its NUL
        f"commit {forged} is not an anchor record (its message does not parse)"
    ]
