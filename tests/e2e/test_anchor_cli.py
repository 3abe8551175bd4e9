"""`striatum anchors show | push | fetch` as a user runs them, with no daemon: the report, one
line on stderr for an error, and the documented exit codes (0 holds, 4 not found, 5 not a
fast-forward, 8 a broken ref history)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from striatum import errors
from striatum.integrity import ref_anchors, ref_remote
from striatum.model.chain import Head
from tests.e2e.cli_helpers import run

CHAIN = "repo:r1"
H5 = Head(seq=5, row_hash="5" * 64)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    git(tmp_path, "init", "-q", str(repo))
    git(tmp_path, "init", "-q", "--bare", str(tmp_path / "remote.git"))
    git(repo, "remote", "add", "origin", str(tmp_path / "remote.git"))
    return repo


def anchors(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(["striatum", "anchors", *args], home)


def test_show_reports_the_heads_as_text_and_json(repo: Path, tmp_path: Path) -> None:
    empty = anchors(tmp_path / "home", "show", "--repo", str(repo))
    assert (empty.returncode, empty.stderr) == (0, "")
    assert "no anchors" in empty.stdout
    tip = ref_anchors.record(repo, {CHAIN: H5})
    assert tip is not None
    text = anchors(tmp_path / "home", "show", "--repo", str(repo))
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines() == [
        f"{repo}: refs/striatum/anchors at {tip[:12]}",
        f"  {CHAIN}  seq 5  {H5.row_hash[:16]}",
        "ok",
    ]
    shown = anchors(tmp_path / "home", "show", "--json", "--repo", str(repo))
    assert json.loads(shown.stdout) == {
        "repo": str(repo),
        "ok": True,
        "tip": tip,
        "heads": {CHAIN: {"seq": 5, "row_hash": H5.row_hash}},
        "problems": [],
    }
    assert not (tmp_path / "home").exists()  # no daemon, no database was touched


def test_show_exits_8_naming_a_forged_commit(repo: Path, tmp_path: Path) -> None:
    good = ref_anchors.record(repo, {CHAIN: H5})
    forged = ref_anchors.commit(repo, {CHAIN: Head(seq=2, row_hash="2" * 64)}, parent=good)
    git(repo, "update-ref", ref_anchors.REF, forged)
    shown = anchors(tmp_path / "home", "show", "--repo", str(repo))
    assert shown.returncode == errors.EXIT_CODES["integrity"] == 8
    assert f"PROBLEM: commit {forged} anchors {CHAIN} at seq 2, below seq 5" in shown.stdout
    as_json = json.loads(anchors(tmp_path / "home", "show", "--json", "--repo", str(repo)).stdout)
    assert as_json["ok"] is False and len(as_json["problems"]) == 1


def test_push_and_fetch_through_the_cli(repo: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    nothing = anchors(home, "push", "--repo", str(repo))
    assert nothing.returncode == 4 and nothing.stdout == ""
    assert nothing.stderr.startswith("striatum: error: no anchors to push")
    tip = ref_anchors.record(repo, {CHAIN: H5})
    assert tip is not None
    pushed = anchors(home, "push", "--repo", str(repo))
    assert pushed.returncode == 0, pushed.stderr
    assert pushed.stdout == f"anchors pushed to origin: refs/striatum/anchors at {tip[:12]}\n"
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(tmp_path / "remote.git"), str(clone))
    fetched = anchors(home, "fetch", "--repo", str(clone))
    assert fetched.returncode == 0, fetched.stderr
    assert "anchors fetched from origin" in fetched.stdout
    again = anchors(home, "fetch", "--repo", str(clone))
    assert again.returncode == 0 and "already up to date" in again.stdout


def test_a_fetch_that_would_not_fast_forward_exits_5_in_one_line(
    repo: Path, tmp_path: Path
) -> None:
    ref_anchors.record(repo, {CHAIN: H5})
    ref_remote.push(repo, "origin")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(tmp_path / "remote.git"), str(clone))
    ref_anchors.record(clone, {CHAIN: Head(seq=6, row_hash="6" * 64)})
    ref_anchors.record(repo, {CHAIN: Head(seq=7, row_hash="7" * 64)})
    ref_remote.push(repo, "origin")
    refused = anchors(tmp_path / "home", "fetch", "--remote", "origin", "--repo", str(clone))
    assert refused.returncode == errors.EXIT_CODES["conflict"] == 5
    assert refused.stdout == "" and "Traceback" not in refused.stderr
    assert refused.stderr.startswith("striatum: error: origin's refs/striatum/anchors (")
    assert "does not extend" in refused.stderr.splitlines()[0]


def test_a_directory_that_is_not_a_repository_exits_4(tmp_path: Path) -> None:
    for verb in ("show", "push", "fetch"):
        done = anchors(tmp_path / "home", verb, "--repo", str(tmp_path))
        assert done.returncode == 4, (verb, done.stderr)
        assert done.stderr == f"striatum: error: {tmp_path} is not a git repository\n"
