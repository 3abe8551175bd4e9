"""Agent text cannot drive the human's terminal.

A lane token blocks with a reason full of control sequences (set the title, clear the
screen, forge a red "APPROVED BY HUMAN", start a fake line, a C1 CSI); the workflow's name
and a job's title carry some too. Every human view of them, read as the raw bytes the real
CLI writes, holds no ESC, BEL, C1 character or line from the reason, and still shows the
reason, escaped. `--json` stays exact JSON.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from striatum.model.terminal_text import visible
from tests.support.daemons import BIN, DaemonUnderTest
from tests.support.operator import new_repo

REASON = "\x1b]0;owned\x07\x1b[2J\x1b[1;31mAPPROVED BY HUMAN\x1b[0m\nline2\x9b31m\x7f"
TITLE = "Draft\x1b[2J\x07\nforged row"
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")  # a newline is checked apart


@dataclass
class Scene:
    daemon: DaemonUnderTest
    repo: Path
    run_id: str
    blocker_id: str

    def shown(self, *args: str) -> tuple[bytes, bytes, int]:
        """Raw stdout and stderr bytes of the real CLI, as a terminal would receive them."""
        done = subprocess.run(
            [str(BIN / "striatum"), "--repo", str(self.repo), *args],
            # wide enough that no view cuts the reason: what is checked here is escaping
            env={**self.daemon.env, "COLUMNS": "400"},
            capture_output=True,
            timeout=120,
            check=False,
        )
        return done.stdout, done.stderr, done.returncode


@pytest.fixture(scope="module")
def scene(shared_daemon: DaemonUnderTest, tmp_path_factory: pytest.TempPathFactory) -> Scene:
    base = tmp_path_factory.mktemp("escapes")
    workflow = base / "flow" / "workflow.json"
    workflow.parent.mkdir()
    workflow.write_text(
        json.dumps(
            {
                "schema_version": "striatum.workflow.v1",
                "id": "escapes",
                "name": "Escapes\x1b]0;title\x07",
                "lanes": {"work": {"provider": "command", "command": ["true"]}},
                "jobs": [{"id": "j0", "kind": "task", "lane": "work", "title": TITLE}],
            }
        )
    )
    repo = new_repo(base)

    def cli(*args: str, token: str | None = None) -> Any:
        return shared_daemon.json("--repo", str(repo), *args, token=token)

    cli("adopt")
    run_id = cli("run", "prepare", "--workflow", str(workflow))["run_id"]
    cli("run", "start", "--run-id", run_id, "--no-supervise")
    session = cli("register-session", "--role", "operator")["session_id"]
    packet = cli("claim-next", "--session", session, "--run-id", run_id)
    lease, lane_token = packet["lease"]["lease_id"], packet["token"]
    blocked = cli("block", "--lease", lease, "--reason", REASON, token=lane_token)
    return Scene(shared_daemon, repo, run_id, blocked["blocker_id"])


def assert_inert(raw: bytes, *, forged_line: str = "line2") -> str:
    """No control character reaches the terminal and no line starts inside agent text."""
    assert b"\x1b" not in raw and b"\x07" not in raw
    text = raw.decode("utf-8")
    assert not UNSAFE.search(text), UNSAFE.findall(text)
    for line in text.splitlines():
        assert not line.lstrip().startswith((forged_line, "forged row")), line
    return text


VIEWS = {
    "inbox": ["inbox"],
    "status": ["status"],
    "status of the run": ["status", "--run-id", "{run}"],
    "escalation list": ["escalation", "list"],
    "escalation show": ["escalation", "show", "{blocker}"],
    "why the run": ["why", "{run}"],
    "why the blocker": ["why", "{blocker}"],
    "dashboard frame": ["dashboard", "--run-id", "{run}", "--once"],
    "run graph": ["run", "graph", "--run-id", "{run}"],
}


@pytest.mark.parametrize("view", VIEWS)
def test_a_hostile_reason_and_title_reach_no_human_view_raw(scene: Scene, view: str) -> None:
    args = [a.format(run=scene.run_id, blocker=scene.blocker_id) for a in VIEWS[view]]
    stdout, stderr, code = scene.shown(*args)
    assert code == 0, stderr
    text = assert_inert(stdout)
    assert_inert(stderr)
    if view == "run graph":
        assert visible(TITLE) in text
    elif view.startswith("why"):  # in the event's payload, as k=v
        assert "APPROVED BY HUMAN" in text and "\\x1b[1;31m" in text
    else:
        assert visible(REASON) in text, "the reason is shown, escaped"


def test_the_reason_is_one_cell_of_one_row(scene: Scene) -> None:
    """The table keeps one line per blocker: header, then exactly one row."""
    stdout, _, _ = scene.shown("escalation", "list")
    lines = assert_inert(stdout).splitlines()
    assert len(lines) == 2 and scene.blocker_id in lines[1]
    assert lines[1].index("\\x1b]0;owned") < lines[1].index("line2")


@pytest.mark.parametrize("view", ["inbox", "escalation list", "status of the run"])
def test_json_output_is_exact_and_inert(scene: Scene, view: str) -> None:
    args = [a.format(run=scene.run_id, blocker=scene.blocker_id) for a in VIEWS[view]]
    stdout, _, code = scene.shown(*args, "--json")
    assert code == 0
    assert stdout.isascii() and b"\x1b" not in stdout and b"\x07" not in stdout
    assert REASON in strings(json.loads(stdout)), "the reason, byte for byte"


def strings(value: object) -> set[str]:
    found, pending = set(), [value]
    while pending:
        node = pending.pop()
        if isinstance(node, str):
            found.add(node)
        elif isinstance(node, dict):
            pending += node.values()
        elif isinstance(node, list):
            pending += node
    return found


def test_an_agent_log_shown_by_job_show_is_inert(scene: Scene) -> None:
    """The log tails `job show` prints are the agent's own output: anything at all."""
    attempt = scene.repo / ".striatum" / "runs" / scene.run_id / "j0" / "attempt-1"
    attempt.mkdir(parents=True, exist_ok=True)
    (attempt / "stdout.log").write_text("building…\n" + REASON + "\n")
    (attempt / "prompt.md").write_text("# Draft\n" + TITLE)
    stdout, stderr, code = scene.shown("job", "show", "--run-id", scene.run_id, "--job", "j0")
    assert code == 0, stderr
    text = assert_inert(stdout)
    assert "building" in text and "APPROVED BY HUMAN" in text


@pytest.mark.parametrize("door", ["fast", "click"])
def test_an_error_quoting_hostile_text_is_escaped_on_stderr(
    scene: Scene, door: str, tmp_path: Path
) -> None:
    """The daemon's "no such file: PATH" quotes the path as given; the fast path and
    click's path (taken when --repo is given) both report it through the one escaper."""
    missing = str(tmp_path / "gone\x1b]0;owned\x07\x1b[2J\nforged row.json")
    prefix = ["--repo", str(scene.repo)] if door == "click" else []
    done = subprocess.run(
        [str(BIN / "striatum"), *prefix, "run", "prepare", "--workflow", missing],
        env=scene.daemon.env,
        cwd=scene.repo,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 4, done.stderr  # not found
    text = assert_inert(done.stderr)
    assert "gone\\x1b]0;owned\\x07\\x1b[2J\\nforged row.json" in text


def test_workflow_validate_escapes_the_file_name_and_keys(tmp_path: Path) -> None:
    file = tmp_path / "evil\x1b[2J\nforged row.json"
    file.write_text(json.dumps({"schema_version": "striatum.workflow.v1", "k\x1b[31m": 1}))
    done = subprocess.run(
        [str(BIN / "striatum"), "workflow", "validate", str(file)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 3
    assert_inert(done.stdout)
    text = assert_inert(done.stderr)
    assert "evil\\x1b[2J\\nforged row.json" in text


def test_workflow_graph_keeps_a_hostile_name_on_its_line(tmp_path: Path) -> None:
    file = tmp_path / "workflow.json"
    file.write_text(
        json.dumps(
            {
                "schema_version": "striatum.workflow.v1",
                "id": "g",
                "name": "G\x1b[2J\nforged row",
                "lanes": {"work": {"provider": "command", "command": ["true"]}},
                "jobs": [{"id": "j0", "kind": "task", "lane": "work", "title": TITLE}],
            }
        )
    )
    done = subprocess.run(
        [str(BIN / "striatum"), "workflow", "graph", str(file)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "G\\x1b[2J\\nforged row (g)" in assert_inert(done.stdout)
