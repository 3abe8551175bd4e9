"""Hostile artifact paths, sent by a lane holding a live lease, through the real daemon.

Every one is refused with its documented exit code and a message naming the path (or the
parameter, for what never becomes a path); nothing is recorded (no artifact row, no event)
and neither the repository nor anything outside it changes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from striatum import errors
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, example, new_repo

SCOPE = "docs/striatum"
Setup = Callable[["Leased"], str]  # makes the hostile thing, returns the path to publish


@dataclass
class Leased:
    """A run of minimal-flow whose only job is leased (for an hour) by a lane."""

    daemon: DaemonUnderTest
    repo: Path
    outside: Path  # a directory beside the repository, holding secret.md
    run_id: str
    lease: str
    token: str  # the lane token bound to the lease
    expected: str  # the job's declared output path

    @property
    def secret(self) -> Path:
        return self.outside / "secret.md"

    def rpc(self, method: str, **params: Any) -> dict[str, Any]:
        """The daemon's raw answer to one request made with the lane token."""
        frame = (
            json.dumps(
                {"v": 1, "id": "abuse", "method": method, "params": params, "token": self.token}
            ).encode()
            + b"\n"
        )
        answer: dict[str, Any] = json.loads(self.daemon.rpc(frame))
        return answer


# The repository is compared byte for byte before and after each refusal: the daemon's own
# anchoring (a commit under refs/striatum/anchors) must not run in between.
DAEMON_ENV = {"STRIATUM_ANCHOR_EVERY_S": "3600"}


@pytest.fixture(scope="module")
def leased(shared_daemon: DaemonUnderTest, tmp_path_factory: pytest.TempPathFactory) -> Leased:
    base = tmp_path_factory.mktemp("artifact-paths")
    operator = Operator(daemon=shared_daemon, repo=new_repo(base))
    run_id = operator.prepare(example("minimal-flow"))
    packet = operator.claim(run_id, "--ttl-s", "3600")
    assert packet is not None
    outside = base / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("the operator's secret\n")
    (operator.repo / "README.md").write_text("outside the write scope\n")
    (operator.repo / SCOPE).mkdir(parents=True)
    return Leased(
        daemon=shared_daemon,
        repo=operator.repo,
        outside=outside,
        run_id=run_id,
        lease=packet["lease"]["lease_id"],
        token=packet["token"],
        expected=packet["expected_artifacts"][0]["path"],
    )


def tree(root: Path) -> dict[str, str]:
    """Every entry under `root` (symlinks not followed): its kind and content or target."""
    found: dict[str, str] = {}
    for directory, dirs, names in os.walk(root):
        for name in dirs + names:
            path = Path(directory) / name
            if path.is_symlink():
                found[str(path.relative_to(root))] = "link:" + os.readlink(path)
            elif path.is_file():
                found[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                found[str(path.relative_to(root))] = "dir"
    return found


def recorded(leased: Leased) -> tuple[int, int]:
    """How many artifact rows and events the database holds."""
    assert leased.daemon.database is not None
    with psycopg.connect(leased.daemon.database.admin_conninfo) as conn:
        artifacts = conn.execute("SELECT count(*) FROM striatumd.artifacts").fetchone()
        events = conn.execute("SELECT count(*) FROM striatumd.events").fetchone()
    assert artifacts is not None and events is not None
    return artifacts[0], events[0]


@contextlib.contextmanager
def nothing_changes(leased: Leased) -> Iterator[None]:
    """Whatever the block tries, the database records nothing and no file changes."""
    before = recorded(leased), tree(leased.repo), tree(leased.outside)
    yield
    assert (recorded(leased), tree(leased.repo), tree(leased.outside)) == before


def _link(leased: Leased, name: str, target: Path | str) -> str:
    os.symlink(target, leased.repo / SCOPE / name)
    return f"{SCOPE}/{name}"


def _nested_git(leased: Leased) -> str:
    (leased.repo / SCOPE / ".git").mkdir(exist_ok=True)
    (leased.repo / SCOPE / ".git" / "config").write_text("[core]\n")
    return f"{SCOPE}/.git/config"


def _hard_link(leased: Leased) -> str:
    target = leased.repo / SCOPE / "linked.md"
    if not target.exists():
        os.link(leased.secret, target)
    return f"{SCOPE}/linked.md"


# name -> (make the hostile path, exit code, what the message says)
PUBLISHED: dict[str, tuple[Setup, int, str]] = {
    "dotdot": (lambda s: f"{SCOPE}/../../README.md", 3, "contains '..'"),
    "dotdot-outside": (lambda s: f"../{s.outside.name}/secret.md", 3, "contains '..'"),
    "absolute": (lambda s: str(s.secret), 3, "is absolute"),
    "absolute-inside": (lambda s: str(s.repo / SCOPE / "x.md"), 3, "is absolute"),
    "symlink-file": (lambda s: _link(s, "leak.md", s.secret), 3, "leads outside the repository"),
    "symlink-dir": (
        lambda s: _link(s, "leakdir", s.outside) + "/secret.md",
        3,
        "leads outside the repository",
    ),
    "symlink-into-git": (
        lambda s: _link(s, "cfg.md", "../../.git/config"),
        3,
        "leads into a .git/",
    ),
    "hard-link": (_hard_link, 3, "is a hard link"),
    "git": (lambda s: ".git/config", 3, "points into .git/"),
    "nested-git": (_nested_git, 3, "leads into a .git/"),
    "striatum": (lambda s: ".striatum/prompt.md", 3, "points into .striatum/"),
    "backslash": (lambda s: f"{SCOPE}\\..\\..\\README.md", 3, "uses a backslash"),
    "outside-scope": (lambda s: "README.md", 3, "outside the job's write scope"),
    "long-component": (lambda s: f"{SCOPE}/{'x' * 300}.md", 3, "File name too long"),
}


@pytest.mark.parametrize("case", sorted(PUBLISHED))
def test_publish_artifact_refuses_a_hostile_path(leased: Leased, case: str) -> None:
    setup, code, fragment = PUBLISHED[case]
    path = setup(leased)
    with nothing_changes(leased):
        _refused_by_rpc_and_cli(leased, path, code, fragment)


def _refused_by_rpc_and_cli(leased: Leased, path: str, code: int, fragment: str) -> None:
    answer = leased.rpc("publish-artifact", lease=leased.lease, path=path)
    assert answer["ok"] is False
    error = errors.from_dict(answer["error"])
    assert error.exit_code == code and fragment in error.message, error.message
    assert repr(path) in error.message  # the message names the path as sent
    cli = leased.daemon.cli(
        "--repo",
        str(leased.repo),
        "publish-artifact",
        "--lease",
        leased.lease,
        "--path",
        path,
        token=leased.token,
    )
    assert cli.returncode == code and fragment in cli.stderr, cli.stderr
    assert "Traceback" not in cli.stderr


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        (f"{SCOPE}/{'x' * 5000}.md", "longer than 500 characters"),
        (f"{SCOPE}/a\x00.md", "contains a NUL"),
        (f"{SCOPE}/\ud800.md", "not valid Unicode"),
    ],
    ids=["5000-characters", "nul-byte", "lone-surrogate"],
)
def test_a_path_that_cannot_be_a_file_name_is_refused_naming_the_parameter(
    leased: Leased, path: str, fragment: str
) -> None:
    frame = (
        json.dumps(
            {
                "v": 1,
                "id": "abuse",
                "method": "publish-artifact",
                "token": leased.token,
                "params": {"lease": leased.lease, "path": path},
            }
        ).encode()
        + b"\n"
    )
    with nothing_changes(leased):
        answer = json.loads(leased.daemon.rpc(frame))
    error = errors.from_dict(answer["error"])
    assert (error.code, error.exit_code) == ("validation", 3)
    assert "parameter 'path'" in error.message and fragment in error.message


@contextlib.contextmanager
def worktree_of(leased: Leased) -> Iterator[Path]:
    """The run's worktree (where a supervised agent writes), removed afterwards."""
    repo_id = leased.daemon.json("status", "--run-id", leased.run_id)["run"]["repo_id"]
    worktrees = leased.daemon.base / "home" / "worktrees"
    worktree = worktrees / repo_id / leased.run_id
    (worktree / SCOPE).mkdir(parents=True)
    try:
        yield worktree
    finally:
        shutil.rmtree(worktrees)


def test_a_hard_link_in_the_run_worktree_is_not_copied_into_the_repository(
    leased: Leased,
) -> None:
    """An agent's worktree output is copied in before publishing: never a file whose content
    may be a file outside the worktree."""
    relative = f"{SCOPE}/from-worktree.md"
    with worktree_of(leased) as worktree:
        os.link(leased.secret, worktree / relative)
        with nothing_changes(leased):
            answer = leased.rpc("publish-artifact", lease=leased.lease, path=relative)
        error = errors.from_dict(answer["error"])
        assert error.exit_code == 3 and "hard link" in error.message, error.message


def _expected_as_link(leased: Leased, target: Path | str) -> None:
    path = leased.repo / leased.expected
    path.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(target, path)


def _expected_dir_outside(leased: Leased) -> None:
    path = leased.repo / leased.expected
    path.parent.parent.mkdir(parents=True, exist_ok=True)
    (leased.outside / "attempt").mkdir()
    (leased.outside / "attempt" / path.name).write_text("outside\n")
    os.symlink(leased.outside / "attempt", path.parent)


def _expected_hard_link(leased: Leased) -> None:
    path = leased.repo / leased.expected
    path.parent.mkdir(parents=True, exist_ok=True)
    os.link(leased.secret, path)


COMPLETED: dict[str, tuple[Callable[[Leased], None], str]] = {
    "symlink-file": (lambda s: _expected_as_link(s, s.secret), "leads outside the repository"),
    "symlink-parent-dir": (_expected_dir_outside, "leads outside the repository"),
    "symlink-into-git": (
        lambda s: _expected_as_link(s, s.repo / ".git" / "config"),
        "leads into a .git/",
    ),
    "symlink-out-of-scope": (
        lambda s: _expected_as_link(s, s.repo / "README.md"),
        "outside the job's write scope",
    ),
    "hard-link": (_expected_hard_link, "is a hard link"),
}


@pytest.mark.parametrize("case", sorted(COMPLETED))
def test_complete_refuses_an_expected_output_that_is_hostile(leased: Leased, case: str) -> None:
    setup, fragment = COMPLETED[case]
    clean = tree(leased.repo), tree(leased.outside)
    setup(leased)
    try:
        before = recorded(leased), tree(leased.repo), tree(leased.outside)
        cli = leased.daemon.cli(
            "--repo", str(leased.repo), "complete", "--lease", leased.lease, token=leased.token
        )
        assert cli.returncode == 3 and fragment in cli.stderr, cli.stderr
        assert leased.expected in cli.stderr
        assert (recorded(leased), tree(leased.repo), tree(leased.outside)) == before
        status = leased.daemon.json("status", "--run-id", leased.run_id)
        assert status["jobs"][0]["state"] == "leased"
    finally:
        _remove_new(leased.repo, clean[0])
        _remove_new(leased.outside, clean[1])


def _remove_new(root: Path, kept: dict[str, str]) -> None:
    """Undo a case: remove what it added under `root` (deepest first, links not followed)."""
    for relative in sorted(set(tree(root)) - set(kept), key=len, reverse=True):
        path = root / relative
        if path.is_symlink() or not path.is_dir():
            path.unlink()
        else:
            path.rmdir()


def test_a_plain_file_in_scope_is_still_published(leased: Leased) -> None:
    """The refusals above are about the paths, not about this lease."""
    (leased.repo / SCOPE / "plain.md").write_text("fine\n")
    answer = leased.rpc("publish-artifact", lease=leased.lease, path=f"{SCOPE}/plain.md")
    assert answer["ok"] is True, answer


def test_a_name_too_long_for_the_file_system_with_a_worktree_is_a_validation_error(
    leased: Leased,
) -> None:
    """Looking for the output in the worktree first must not turn ENAMETOOLONG into a bug."""
    long_name = f"{SCOPE}/{'y' * 300}.md"
    with worktree_of(leased), nothing_changes(leased):
        answer = leased.rpc("publish-artifact", lease=leased.lease, path=long_name)
    error = errors.from_dict(answer["error"])
    assert error.exit_code == 3 and "File name too long" in error.message, error.message
    assert repr(long_name) in error.message


@pytest.mark.parametrize("link", ["directory", "dangling-file"])
def test_a_worktree_output_is_never_copied_through_a_symlink_in_the_repository(
    leased: Leased, link: str
) -> None:
    """The copy from the worktree would follow a symlinked directory (or a dangling link)
    in the repository and write outside it before the path check refused the publish."""
    relative = f"{SCOPE}/via-{link}/new.md" if link == "directory" else f"{SCOPE}/dangling.md"
    planted = leased.repo / SCOPE / (f"via-{link}" if link == "directory" else "dangling.md")
    os.symlink(leased.outside if link == "directory" else leased.outside / "planted.md", planted)
    try:
        with worktree_of(leased) as worktree:
            (worktree / relative).parent.mkdir(parents=True, exist_ok=True)
            (worktree / relative).write_text("agent output\n")
            with nothing_changes(leased):
                answer = leased.rpc("publish-artifact", lease=leased.lease, path=relative)
    finally:
        planted.unlink()
    error = errors.from_dict(answer["error"])
    assert error.exit_code == 3 and "symlink" in error.message, error.message
    assert sorted(p.name for p in leased.outside.iterdir()) == ["secret.md"]


@pytest.mark.parametrize("swap", ["directory", "fifo", "symlink"])
def test_a_published_file_swapped_afterwards_is_skipped_by_readers_not_fatal(
    leased: Leased, tmp_path: Path, swap: str
) -> None:
    """Readers of recorded artifacts (corpus export with contents, review packets) meet
    whatever is at the path now: it is never believed, and never an internal error."""
    relative = f"{SCOPE}/swapped-{swap}.md"
    target = leased.repo / relative
    target.write_text("published\n")
    assert leased.rpc("publish-artifact", lease=leased.lease, path=relative)["ok"] is True
    target.unlink()
    if swap == "directory":
        target.mkdir()
    elif swap == "fifo":
        os.mkfifo(target)
    else:
        os.symlink(leased.secret, target)
    out = tmp_path / "bundle"
    exported = leased.daemon.json(
        "--as",
        "principal",
        "--repo",
        str(leased.repo),
        "corpus",
        "export",
        "--run-id",
        leased.run_id,
        "--out",
        str(out),
        "--include-content",
    )
    assert exported["files"]
    assert b"the operator's secret" not in b"".join(
        p.read_bytes() for p in out.rglob("*") if p.is_file()
    )
