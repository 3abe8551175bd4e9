"""Provenance trailers checked against a real chain: the supervisor's commits (made with
`worktrees.commit`, real git) name the chain head by hash and seq; a commit naming a hash the
repository's chain does not hold, or holds at another seq, is a TrailerBreak; a good run
branch, an empty chain's `none`, and a commit from before the seq trailer are not."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from striatum.engine import worktrees
from striatum.integrity import trailers
from striatum.model.chain import Head
from striatum.store import chains
from striatum.store import connection as db
from tests.integration.chain_helpers import append_events, register_repo
from tests.support import servers

REPO_ID, RUN = "r1", "run_1"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


@pytest.fixture
def conn(embedded_server: servers.PgServer) -> Iterator[db.Conn]:
    """A runtime connection to a fresh database whose chain repo:r1 has three events (and
    repo:r2 one)."""
    database = embedded_server.clone()
    conn = db.connect_runtime(database, autocommit=True)
    try:
        append_events(conn, register_repo(conn, REPO_ID), 3)
        append_events(conn, register_repo(conn, "r2"), 1)
        yield conn
    finally:
        conn.close()
        embedded_server.drop(database)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "README.md").write_text("readme\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-qm", "first")
    return repo


def stamp(repo: Path, tmp_path: Path, job: str, anchor: str | None, seq: int | None) -> str:
    """A job's provenance commit on the run branch, as the supervisor makes it."""
    tree = worktrees.ensure(repo, RUN, tmp_path / "worktree")
    (tree / "src").mkdir(exist_ok=True)
    (tree / "src" / f"{job}.py").write_text(f"{job} = 1\n")
    sha = worktrees.commit(
        tree,
        run_id=RUN,
        job_id=job,
        attempt=1,
        lease_id=f"lease_{job}",
        anchor=anchor,
        anchor_seq=seq,
        scopes=["src"],
    )
    assert sha is not None
    return sha


def head_of(conn: db.Conn, repo_id: str = REPO_ID) -> Head:
    found = chains.read_head(conn, chains.event_chain(repo_id))
    assert found is not None
    return found


def by_seq(conn: db.Conn) -> trailers.EventLookup:
    return lambda hashes: chains.event_seqs(conn, REPO_ID, hashes)


def by_hash(conn: db.Conn) -> trailers.EventLookup:
    return lambda hashes: set(chains.event_seqs(conn, REPO_ID, hashes))


def test_a_good_run_branch_has_no_break(conn: db.Conn, repo: Path, tmp_path: Path) -> None:
    stamp(repo, tmp_path, "empty", None, None)  # the chain was empty: "none"
    first = stamp(repo, tmp_path, "draft", head_of(conn).row_hash, head_of(conn).seq)
    assert git(repo, "log", "-1", "--format=%(trailers:key=Striatum-Event-Seq,valueonly)", first)
    append_events(conn, REPO_ID, 1, start=3)
    stamp(repo, tmp_path, "review", head_of(conn).row_hash, head_of(conn).seq)
    older = chains.stored_hash_at(conn, chains.event_chain(REPO_ID), 2)
    assert older is not None
    stamp(repo, tmp_path, "old", older, None)  # made before the seq trailer existed
    assert len(trailers.stamped_commits(repo)) == 4
    assert trailers.check(repo, by_seq(conn)) == []
    assert trailers.check(repo, by_hash(conn)) == []


def test_a_hash_the_chain_lacks_is_a_break(conn: db.Conn, repo: Path, tmp_path: Path) -> None:
    stamp(repo, tmp_path, "draft", head_of(conn).row_hash, head_of(conn).seq)
    foreign = head_of(conn, "r2")  # in the database, but another repository's chain
    bad = stamp(repo, tmp_path, "review", foreign.row_hash, foreign.seq)
    expected = trailers.TrailerBreak(
        commit=bad,
        branch=worktrees.branch(RUN),
        event=foreign.row_hash,
        reason="the repository's event chain holds no event with this hash",
    )
    assert trailers.check(repo, by_seq(conn)) == [expected]
    assert trailers.check(repo, by_hash(conn)) == [expected]


def test_a_hash_at_another_seq_is_a_break_when_seqs_are_known(
    conn: db.Conn, repo: Path, tmp_path: Path
) -> None:
    bad = stamp(repo, tmp_path, "draft", head_of(conn).row_hash, 2)
    assert [b.commit for b in trailers.check(repo, by_seq(conn))] == [bad]
    assert trailers.check(repo, by_seq(conn))[0].reason == (
        "the event chain holds this hash at seq 3, not at seq 2"
    )
    assert trailers.check(repo, by_hash(conn)) == []  # a set of hashes cannot tell


def test_landed_commits_are_read_only_with_the_whole_history(
    conn: db.Conn, repo: Path, tmp_path: Path
) -> None:
    bad = stamp(repo, tmp_path, "draft", "e" * 64, 3)
    broken = trailers.check(repo, by_seq(conn))
    assert [(b.commit, b.event) for b in broken] == [(bad, "e" * 64)]
    git(repo, "merge", "-q", "--no-ff", "-m", "land", worktrees.branch(RUN))
    assert trailers.check(repo, by_seq(conn)) == []  # on the main line now
    assert [b.commit for b in trailers.check(repo, by_seq(conn), whole_history=True)] == [bad]


def test_a_repository_without_run_branches_has_nothing_to_check(repo: Path, tmp_path: Path) -> None:
    def never(hashes: object) -> set[str]:
        raise AssertionError("nothing to look up")

    assert trailers.check(repo, never) == []
    assert trailers.check(tmp_path / "missing", never) == []


def test_odd_bytes_in_a_message_do_not_confuse_the_reading(
    conn: db.Conn, repo: Path, tmp_path: Path
) -> None:
    good = head_of(conn)
    stamp(repo, tmp_path, "draft", good.row_hash, good.seq)
    tree = tmp_path / "worktree"
    (tree / "x.txt").write_text("x")
    git(tree, "add", "x.txt")
    message = (
        "agent \x01 subject\n\nbody \x01 line\nStriatum-Event: in the body, not a trailer\n\n"
        f"Striatum-Event: {good.row_hash}\nStriatum-Event-Seq: {good.seq}\n  folded\n"
    )
    git(tree, "commit", "-qm", message)
    broken = trailers.check(repo, by_seq(conn))
    assert [b.reason for b in broken] == ["Striatum-Event-Seq is not one number"]
