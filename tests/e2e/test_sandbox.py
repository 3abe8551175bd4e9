"""Lane sandboxes (SPEC §10, sandboxes), tried as a hostile agent would: an agent in a
`standard` lane cannot read Striatum's tokens, reach the database's socket, act on the daemon
without its lane token, write outside its worktree, its scratch and its CLI's config, or see
or signal processes outside; it can work in its worktree, run git there, and call verbs with
its lane token. Real processes: a real bubblewrap, supervisor, daemon and git."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from striatum.lanes import sandbox
from tests.e2e.test_supervisor import status, supervise
from tests.support.agent_stubs import broken_bwrap
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import Operator, new_repo
from tests.support.waiting import wait_until

pytestmark = pytest.mark.skipif(
    sandbox.mechanism() is None, reason="no working bubblewrap here (user namespaces refused?)"
)

# Each probe: a name and a shell command; the agent records which succeeded. What it writes
# outside is also looked for on the host afterwards (a write into the sandbox's own empty
# folders succeeds there and reaches nothing).
FORBIDDEN = {
    "read the principal token": 'cat "$STRIATUM_RUNTIME_DIR/principal.token"',
    "read the operator token": 'cat "$STRIATUM_RUNTIME_DIR/operator.token"',
    "list the runtime tokens": 'ls "$STRIATUM_RUNTIME_DIR" | grep -q token',
    "see the database socket": 'ls -a "$PG_SOCKET_DIR" | grep -q PGSQL',
    "read the Striatum home": 'ls "$HOME_OF_STRIATUM" | grep -qv worktrees',
    "use the daemon without a token": "env -u STRIATUM_TOKEN striatum inbox",
    "act as the principal": "striatum --as principal inbox",
    "write the main checkout": 'touch "$MAIN_CHECKOUT/evil"',
    "write the main git hooks": 'touch "$MAIN_CHECKOUT/.git/hooks/evil-hook"',
    "write another repository": 'touch "$OTHER_REPO/evil"',
    "write HOME": 'touch "$HOME/evil"',
    "write through a symlink": (
        'ln -s "$OTHER_REPO" docs/striatum/link && touch docs/striatum/link/evil-link'
    ),
    "signal the daemon": 'kill -0 "$DAEMON_PID"',
    "read the daemon environment": 'cat "/proc/$DAEMON_PID/environ"',
    "reach the host through proc": 'touch "/proc/1/root$OTHER_REPO/evil-proc"',
    # Its command names a file in Striatum's home ($1): naming it brings nothing back.
    "read a home file its command names": 'cat "$1"',
}
ALLOWED = {
    "write its worktree": "echo work > docs/striatum/work.txt",
    "run git in its worktree": "git status --short >/dev/null && git diff >/dev/null",
    "call a verb with its lane token": 'striatum heartbeat --lease "$STRIATUM_LEASE"',
    "write its scratch": 'echo "{}" > "$STRIATUM_USAGE"',
    "write a temp file": "echo x > /tmp/mine && cat /tmp/mine",
}
# Written where the sandbox may give it an empty folder of its own: judged on the host only.
ESCAPES = {"write through dot-dot": 'touch "$PWD/../evil-beside"'}


def _script(probes: dict[str, str]) -> str:
    lines = ['out="$STRIATUM_OUTPUT"; : > "$out"']
    for name, command in probes.items():
        lines.append(
            f'if ( {command} ) >/dev/null 2>&1; then echo "ALLOWED {name}" >> "$out"; '
            f'else echo "DENIED {name}" >> "$out"; fi'
        )
    return "\n".join(lines)


@pytest.fixture
def operator(daemon: DaemonUnderTest, tmp_path: Path) -> Operator:
    return Operator(daemon=daemon, repo=new_repo(tmp_path))


def _workflow(tmp_path: Path, lane: dict[str, Any]) -> Path:
    folder = tmp_path / "wf"
    folder.mkdir(exist_ok=True)
    document = {
        "schema_version": "striatum.workflow.v1",
        "id": "sandboxed",
        "name": "Sandboxed",
        "lanes": {"agent": {"timeout_s": 60, "max_attempts": 1, **lane}},
        "jobs": [
            {
                "id": "probe",
                "kind": "task",
                "lane": "agent",
                "artifacts": [{"path": "docs/striatum/probe.md"}],
            }
        ],
    }
    (folder / "workflow.json").write_text(json.dumps(document))
    return folder / "workflow.json"


def _commit(repo: Path) -> None:
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "init"], check=True)


@pytest.mark.parametrize(
    ("mode", "asked"),
    [
        ("worktree", "standard"),
        ("in place", "standard"),
        ("worktree", None),
        ("worktree", "strict"),
    ],
    ids=["worktree", "in place", "by default", "strict"],
)
def test_a_hostile_agent_in_a_standard_sandbox_is_held_to_its_work(
    operator: Operator, daemon: DaemonUnderTest, tmp_path: Path, mode: str, asked: str | None
) -> None:
    """Named or by default (a lane that names no sandbox), the same sandbox."""
    if mode == "worktree":
        _commit(operator.repo)
    (tmp_path / "other").mkdir()
    other = new_repo(tmp_path / "other")
    home = tmp_path / "home"
    home.mkdir()
    assert daemon.database is not None
    socket_dir = next(
        part.removeprefix("host=")
        for part in daemon.database.admin_conninfo.split()
        if part.startswith("host=")
    )
    daemon_pid = int((daemon.runtime_dir / "striatumd.pid").read_text().split()[0])
    secret = Path(daemon.env["STRIATUM_HOME"]) / "supervisors" / "kept.env.json"
    secret.parent.mkdir(exist_ok=True)
    secret.write_text('{"ANTHROPIC_API_KEY": "sk-kept"}')
    forbidden = dict(FORBIDDEN)
    if mode == "in place":  # the repository is its work: all but its .git and .striatum
        del forbidden["write the main checkout"]
        forbidden["write the scratch of others"] = 'touch "$MAIN_CHECKOUT/.striatum/evil"'
    lane = {
        "provider": "command",
        "command": ["sh", "-c", _script({**forbidden, **ALLOWED, **ESCAPES}), "sh", str(secret)],
        **({"sandbox": asked} if asked else {}),
        "env": {
            "PG_SOCKET_DIR": socket_dir,
            "HOME_OF_STRIATUM": daemon.env["STRIATUM_HOME"],
            "MAIN_CHECKOUT": str(operator.repo),
            "OTHER_REPO": str(other),
            "DAEMON_PID": str(daemon_pid),
        },
    }
    run_id = operator.prepare(_workflow(tmp_path, lane))
    result = supervise(operator, run_id, env={"HOME": str(home)})
    assert result.returncode == 0, result.stderr
    assert status(operator, run_id)["run"]["state"] == "succeeded", result.stderr
    (artifact,) = operator.repo.glob("docs/striatum/**/probe.md")
    said: dict[str, set[str]] = {"ALLOWED": set(), "DENIED": set()}
    for line in artifact.read_text().splitlines():
        verdict, _, name = line.partition(" ")
        said[verdict].add(name)
    assert said["ALLOWED"] - set(ESCAPES) == set(ALLOWED), said
    assert said["DENIED"] - set(ESCAPES) == set(forbidden), said
    # Nothing of it reached the host, whatever the sandbox let it believe.
    assert not list(tmp_path.rglob("evil*")), list(tmp_path.rglob("evil*"))
    assert not list(Path(daemon.env["STRIATUM_HOME"]).rglob("evil*"))


def test_a_lane_that_asks_for_a_sandbox_where_none_can_be_made_does_not_start(
    operator: Operator, tmp_path: Path
) -> None:
    lane = {"provider": "command", "command": ["true"], "sandbox": "standard"}
    run_id = operator.prepare(_workflow(tmp_path, lane))
    env = broken_bwrap(tmp_path / "broken-bwrap")
    result = supervise(operator, run_id, env=env)
    assert result.returncode != 0
    said = " ".join(result.stderr.split())
    assert "asks for sandbox standard" in said and "STRIATUM_BWRAP" in said
    (job,) = status(operator, run_id)["jobs"]
    assert job["state"] == "failed"


def test_where_no_sandbox_can_be_made_a_lane_that_names_none_runs_unsandboxed_with_warnings(
    operator: Operator, daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    """The default falls back to none, said at prepare, at start and in the supervisor's log;
    the agent then has the user's rights (it writes outside its worktree)."""
    env = broken_bwrap(tmp_path / "broken-bwrap")
    outside = tmp_path / "outside.txt"
    script = f'echo reached > {outside}; echo ok > "$STRIATUM_OUTPUT"'
    workflow = _workflow(tmp_path, {"provider": "command", "command": ["sh", "-c", script]})
    operator.cli("adopt")
    prepared = daemon.cli(
        "--repo",
        str(operator.repo),
        "run",
        "prepare",
        "--workflow",
        str(workflow),
        "--json",
        env=env,
    )
    assert prepared.returncode == 0, prepared.stderr
    answer = json.loads(prepared.stdout)
    [warning] = [w["message"] for w in answer["warnings"] if "sandbox" in w["message"]]
    assert "lane agent will run without a sandbox" in warning and "STRIATUM_BWRAP" in warning
    run_id = answer["run_id"]
    started = daemon.cli("--repo", str(operator.repo), "run", "start", "--run-id", run_id, env=env)
    assert started.returncode == 0, started.stderr
    said = started.stderr[: started.stderr.index("kept the supervisor")]
    assert "warning: lane agent will run without a sandbox" in " ".join(said.split())
    assert max(len(line) for line in said.splitlines()) <= 80  # wrapped for a terminal
    wait_until(lambda: status(operator, run_id)["run"]["state"] == "succeeded", "run never ended")
    log = (operator.repo / ".striatum" / f"supervisor-{run_id}.log").read_text()
    assert "warning: lane agent will run without a sandbox" in log and "unsandboxed)" in log
    assert outside.read_text() == "reached\n"


def test_where_no_sandbox_can_be_made_run_start_refuses_a_lane_that_names_one(
    operator: Operator, daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    env = broken_bwrap(tmp_path / "broken-bwrap")
    lane = {"provider": "command", "command": ["true"], "sandbox": "standard"}
    operator.cli("adopt")
    run_id = operator.cli("run", "prepare", "--workflow", str(_workflow(tmp_path, lane)))["run_id"]
    refused = daemon.cli("--repo", str(operator.repo), "run", "start", "--run-id", run_id, env=env)
    assert refused.returncode == 18, refused.stderr  # agent_unavailable
    said = " ".join(refused.stderr.split())
    assert "lane agent: it asks for sandbox standard" in said and "STRIATUM_BWRAP" in said
    assert status(operator, run_id)["run"]["state"] == "prepared"  # nothing started


# The agent of the network tests: it asks a model endpoint on the host's loopback for its
# name, through its proxy variables when it has them (urllib honours them), then tries the
# endpoint directly, around any proxy; it writes what happened.
NETWORK_AGENT = """import os, socket, sys, urllib.error, urllib.request
port = int(sys.argv[1])
lines = []
try:
    answer = urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=10)
    lines.append("REACHED " + answer.read().decode())
except urllib.error.HTTPError as error:
    lines.append(f"REFUSED {error.code} " + error.read().decode().strip())
except OSError as error:
    lines.append(f"FAILED {error}")
try:
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
    lines.append("DIRECT reached")
except OSError:
    lines.append("DIRECT refused")
open(os.environ["STRIATUM_OUTPUT"], "w").write("\\n".join(lines) + "\\n")
"""


@pytest.fixture
def model_endpoint() -> Iterator[int]:
    """A stand-in model API on the host's loopback: it answers every GET with its name."""

    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"scripted-model"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("kind", "named", "reached", "direct"),
    [
        ("standard", False, "REACHED scripted-model", "DIRECT reached"),
        (
            "strict",
            False,
            "REFUSED 403 striatum egress proxy: 127.0.0.1:{port} is not among",
            "DIRECT refused",
        ),
        ("strict", True, "REACHED scripted-model", "DIRECT refused"),
    ],
    ids=["standard", "strict, not named", "strict, named"],
)
def test_a_strict_sandbox_reaches_only_the_hosts_its_lane_names(
    operator: Operator,
    tmp_path: Path,
    model_endpoint: int,
    kind: str,
    named: bool,
    reached: str,
    direct: str,
) -> None:
    """The model endpoint on the host's loopback: reached from a standard sandbox (the network
    is shared); from a strict one only through the egress proxy, and only once the lane names
    it; never directly (its loopback is its own)."""
    workflow = _workflow(tmp_path, {})
    (workflow.parent / "agent.py").write_text(NETWORK_AGENT)
    port = str(model_endpoint)
    lane: dict[str, Any] = {
        "provider": "command",
        "command": [sys.executable, "{workflow_dir}/agent.py", port],
        "sandbox": kind,
    }
    if named:
        lane["allow_hosts"] = [f"127.0.0.1:{port}"]
    document = json.loads(workflow.read_text())
    document["lanes"]["agent"].update(lane)
    workflow.write_text(json.dumps(document))
    run_id = operator.prepare(workflow)
    result = supervise(operator, run_id, env={"NO_PROXY": "127.0.0.1,localhost"})
    assert result.returncode == 0, result.stderr
    (artifact,) = operator.repo.glob("docs/striatum/**/probe.md")
    said = artifact.read_text().splitlines()
    assert said[0].startswith(reached.format(port=port)), said
    assert said[1] == direct, said
    refused_logged = f"lane agent: refused a connection to 127.0.0.1:{port}" in result.stderr
    assert refused_logged == (kind == "strict" and not named), result.stderr


# A stand-in `claude`: it writes its session into its config folder, then tries $HOME beside
# it, and does the job.
CONFIG_WRITER = """#!/bin/sh
cat > /dev/null
echo session > "$HOME/.claude/session.json" && echo "config written" >> "$STRIATUM_OUTPUT"
mkdir -p "$HOME/.ssh" 2>/dev/null; echo key >> "$HOME/.ssh/authorized_keys" 2>/dev/null \\
  && echo "ssh written" >> "$STRIATUM_OUTPUT"
echo done >> "$STRIATUM_OUTPUT"
"""


def test_an_agent_writes_its_clis_config_folder_and_nothing_else_of_home(
    operator: Operator, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    stubs = tmp_path / "bin"
    stubs.mkdir()
    (stubs / "claude").write_text(CONFIG_WRITER)
    (stubs / "claude").chmod(0o755)
    run_id = operator.prepare(_workflow(tmp_path, {"provider": "claude_code"}))
    env = {"HOME": str(home), "PATH": f"{stubs}:/usr/bin:/bin", "ANTHROPIC_API_KEY": "k"}
    result = supervise(operator, run_id, env=env)
    assert result.returncode == 0, result.stderr
    assert "in a sandbox)" in result.stderr
    (artifact,) = operator.repo.glob("docs/striatum/**/probe.md")
    assert artifact.read_text().splitlines() == ["config written", "done"]
    assert (home / ".claude" / "session.json").read_text() == "session\n"  # kept on the host
    assert not (home / ".ssh").exists()
