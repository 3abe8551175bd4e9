"""The copies of provenance inside an adopted repository, against a database superuser.

The daemon copies each repository chain's verified head into `refs/striatum/anchors`; doctor
checks that ref and the run branches' `Striatum-Event` trailers. So a rewrite is caught even
when the home's anchors file is gone, and a removed or forged ref is caught by the file.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from striatum.integrity import anchor_file, ref_anchors
from striatum.model.chain import Head
from tests.e2e.test_superuser_attacks import (
    INTEGRITY,
    _as_superuser,
    _breaks,
    _doctor,
    _runtime,
    _wait_anchored,
)
from tests.integration.chain_helpers import append_events
from tests.support import servers
from tests.support.daemons import DaemonUnderTest, discard, new_daemon


@dataclass
class Adopted:
    daemon: DaemonUnderTest
    repo: Path
    repo_id: str

    @property
    def chain(self) -> str:
        return f"repo:{self.repo_id}"


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _ref_head(adopted: Adopted) -> Head | None:
    return ref_anchors.read(adopted.repo).heads.get(adopted.chain)


def _wait_ref(adopted: Adopted, seq: int) -> None:
    deadline = time.monotonic() + 20
    while (head := _ref_head(adopted)) is None or head.seq < seq:
        assert time.monotonic() < deadline, f"the ref never anchored seq {seq}: {head}"
        time.sleep(0.1)


@pytest.fixture
def adopted(embedded_server: servers.PgServer) -> Iterator[Adopted]:
    """A daemon with a real git repository adopted and 6 more events on its chain."""
    database = embedded_server.clone()
    daemon = new_daemon(database)
    repo = daemon.base / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "README").write_text("hello\n")
    _git(repo, "add", "README")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    try:
        daemon.start()
        repo_id = daemon.json("adopt", "--repo", str(repo))["repo_id"]
        with _runtime(daemon) as conn:
            append_events(conn, repo_id, 6)
        found = Adopted(daemon=daemon, repo=repo, repo_id=repo_id)
        _wait_anchored(daemon, found.chain, 7)
        _wait_ref(found, 7)
        yield found
    finally:
        discard(daemon)
        embedded_server.drop(database)


def test_the_daemon_copies_the_head_into_the_repository(adopted: Adopted) -> None:
    lines = anchor_file.read_lines(adopted.daemon.anchors_file)
    recorded = [line.refs[adopted.chain] for line in lines if adopted.chain in line.refs]
    assert recorded and recorded[-1] == ref_anchors.tip_of(adopted.repo)
    # the work tree and index are untouched (adopt itself wrote .gitignore)
    assert _git(adopted.repo, "status", "--porcelain") in ("", "?? .gitignore")
    assert _doctor(adopted.daemon)[0] == 0


def test_with_the_anchors_file_gone_the_ref_still_catches_a_rewrite(adopted: Adopted) -> None:
    daemon = adopted.daemon
    daemon.stop()
    daemon.anchors_file.unlink()
    _as_superuser(
        daemon,
        f"DELETE FROM striatumd.events WHERE repo_id = '{adopted.repo_id}' AND seq > 3",
        "UPDATE striatumd.chain_heads SET seq = 3, row_hash = (SELECT row_hash FROM "
        f"striatumd.events WHERE repo_id = '{adopted.repo_id}' AND seq = 3) "
        f"WHERE chain = '{adopted.chain}'",
    )
    daemon.start()
    with _runtime(daemon) as conn:
        append_events(conn, adopted.repo_id, 6, start=100)  # seq 4..9, a valid chain again
    code, report = _doctor(daemon)
    assert code == INTEGRITY, report
    assert any(
        c == adopted.chain and s == 7 and "per refs/striatum/anchors" in r
        for c, s, r in _breaks(report)
    ), report
    time.sleep(1.5)  # and the daemon does not anchor the rewrite anywhere
    head = _ref_head(adopted)
    assert head is not None and head.seq == 7
    file_heads = anchor_file.read(daemon.anchors_file).anchored(
        anchor_file.read_lines(daemon.anchors_file)[0].identity.database
    )
    assert file_heads is None or adopted.chain not in file_heads.heads


def test_a_removed_ref_is_caught_by_the_file_and_not_recreated(adopted: Adopted) -> None:
    _git(adopted.repo, "update-ref", "-d", ref_anchors.REF)
    code, report = _doctor(adopted.daemon)
    assert code == INTEGRITY, report
    assert any("was removed or rewritten" in r for _, _, r in _breaks(report)), report
    with _runtime(adopted.daemon) as conn:
        append_events(conn, adopted.repo_id, 2, start=6)
    _wait_anchored(adopted.daemon, adopted.chain, 9)
    assert ref_anchors.tip_of(adopted.repo) is None  # left for the principal to look at
    assert _doctor(adopted.daemon)[0] == INTEGRITY


def test_a_forged_ref_tip_is_caught(adopted: Adopted) -> None:
    tip = ref_anchors.tip_of(adopted.repo)
    forged = ref_anchors.commit(
        adopted.repo, {adopted.chain: Head(seq=9, row_hash="f" * 64)}, parent=tip
    )
    _git(adopted.repo, "update-ref", ref_anchors.REF, forged)
    code, report = _doctor(adopted.daemon)
    assert code == INTEGRITY, report
    reasons = [r for c, _, r in _breaks(report) if c == adopted.chain]
    assert any("anchored row is missing" in r and "per refs/striatum/anchors" in r for r in reasons)


def test_a_trailer_naming_an_event_not_in_the_chain_is_caught(adopted: Adopted) -> None:
    repo = adopted.repo
    _git(repo, "checkout", "-q", "-b", "striatum/run-forged")
    (repo / "code.txt").write_text("x\n")
    _git(repo, "add", "code.txt")
    message = (
        "striatum: w (attempt 1) of run-forged\n\nStriatum-Run: run-forged\n"
        f"Striatum-Job: w\nStriatum-Attempt: 1\nStriatum-Event: {'e' * 64}\n"
    )
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", message)
    _git(repo, "checkout", "-q", "main")
    code, report = _doctor(adopted.daemon)
    assert code == INTEGRITY, report
    commit = _git(repo, "rev-parse", "striatum/run-forged")
    assert any(
        c == adopted.chain and f"commit {commit[:12]} on striatum/run-forged" in r
        for c, _, r in _breaks(report)
    ), report


def test_a_restore_from_an_older_backup_is_accepted_refs_included(adopted: Adopted) -> None:
    """What a legitimate restore looks like (the last rows gone), and its one repair."""
    daemon = adopted.daemon
    _as_superuser(
        daemon,
        f"DELETE FROM striatumd.events WHERE repo_id = '{adopted.repo_id}' AND seq > 4",
        "UPDATE striatumd.chain_heads SET seq = 4, row_hash = (SELECT row_hash FROM "
        f"striatumd.events WHERE repo_id = '{adopted.repo_id}' AND seq = 4) "
        f"WHERE chain = '{adopted.chain}'",
    )
    assert _doctor(daemon)[0] == INTEGRITY
    accepted = daemon.cli("--as", "principal", "daemon", "accept-anchors", "--reason", "backup")
    assert accepted.returncode == 0, accepted.stderr
    head = _ref_head(adopted)
    assert head is not None and head.seq == 4  # the ref starts again from the accepted head
    code, report = _doctor(daemon)
    assert code == 0, report
    with _runtime(daemon) as conn:
        append_events(conn, adopted.repo_id, 3, start=200)
    _wait_ref(adopted, 7)  # and the daemon goes on copying into it
