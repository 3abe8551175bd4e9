"""What a person sees: the human views of the real CLI against a real daemon.

A 30-job run with a claimed job, an escalation with a long reason and a second run: every
view fits 80 and 200 columns, holds no JSON in a cell, speaks relative times, and carries
escape codes only on a terminal (or when forced) and never with NO_COLOR or TERM=dumb.
`--json` stays the exact JSON dump. The dashboard fits 80x40, summarizes what does not fit,
lists the repository's runs without a run, and never suggests `claim-next` for a supervised
run.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bench.scratch import tree_dag, wide_dag
from striatum.cli.layout import width_of
from tests.support.daemons import BIN, DaemonUnderTest, discard, new_daemon
from tests.support.operator import new_repo
from tests.support.pseudo_terminal import Terminal as PseudoTerminal
from tests.support.servers import PgServer
from tests.support.waiting import wait_until

LONG_REASON = "the design needs a human decision about " + "the storage layer and " * 8 + "its cost"
MICROSECONDS = re.compile(r"\d{2}:\d{2}:\d{2}\.\d{6}")
ESCAPE = "\x1b"


@dataclass
class Scene:
    daemon: DaemonUnderTest
    repo: Path
    run_id: str
    older_run_id: str
    blocker_id: str

    def human(self, *args: str, **env: str) -> str:
        done = _run(self, args, env)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        return done.stdout


def _run(
    scene: Scene, args: tuple[str, ...], env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "striatum"), *args],
        env={**scene.daemon.env, **env},
        cwd=scene.repo,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def scene(embedded_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    cloned = embedded_server.clone()
    daemon = new_daemon(cloned)
    try:
        daemon.start()
        yield _build(daemon, tmp_path_factory.mktemp("views"))
    finally:
        discard(daemon)
        embedded_server.drop(cloned)


def _build(daemon: DaemonUnderTest, base: Path) -> Scene:
    repo = new_repo(base)
    lane = {"provider": "command", "command": ["true"]}
    workflow = base / "workflow.json"
    workflow.write_text(json.dumps(tree_dag(30, 3, lane)))

    def cli(*args: str, token: str | None = None) -> dict[str, Any]:
        found: dict[str, Any] = daemon.json("--repo", str(repo), *args, token=token)
        return found

    cli("adopt")
    older = cli("run", "prepare", "--workflow", str(workflow))["run_id"]
    run_id = cli("run", "prepare", "--workflow", str(workflow))["run_id"]
    cli("run", "start", "--run-id", run_id, "--no-supervise")
    session = cli("register-session", "--role", "operator")["session_id"]
    packet = cli("claim-next", "--session", session, "--run-id", run_id)
    blocked = cli(
        "block",
        "--lease",
        packet["lease"]["lease_id"],
        "--reason",
        LONG_REASON,
        token=packet["token"],
    )
    return Scene(daemon, repo, run_id, older, blocked["blocker_id"])


VIEWS = {
    "status of the run": ["status", "--run-id", "{run}"],
    "status": ["status"],
    "why the run": ["why", "{run}"],
    "list runs": ["list", "runs"],
    "list jobs": ["list", "jobs", "--run-id", "{run}"],
    "daemon status": ["daemon", "status"],
    "whoami": ["whoami"],
    "adopt": ["adopt"],
    "inbox": ["inbox"],
    "escalation list": ["escalation", "list"],
    "escalation show": ["escalation", "show", "{blocker}"],
    "job show": ["job", "show", "--run-id", "{run}", "--job", "j0000"],
    "run graph": ["run", "graph", "--run-id", "{run}"],
    "dashboard": ["dashboard", "--run-id", "{run}", "--once"],
    "dashboard of the runs": ["dashboard", "--once"],
    "daemon doctor": ["daemon", "doctor", "--fast"],
}


def argv(scene: Scene, view: str) -> list[str]:
    return [a.format(run=scene.run_id, blocker=scene.blocker_id) for a in VIEWS[view]]


@pytest.mark.parametrize("columns", [80, 200])
@pytest.mark.parametrize("view", VIEWS)
def test_every_line_of_a_view_fits_the_terminal(scene: Scene, view: str, columns: int) -> None:
    shown = scene.human(*argv(scene, view), COLUMNS=str(columns))
    lines = shown.splitlines()
    assert lines, "the view shows something"
    # Only a line holding one unbreakable word (a path, a command to paste) may pass it.
    too_wide = [line for line in lines if width_of(line) > columns and " " in line.strip()]
    assert too_wide == [], too_wide


@pytest.mark.parametrize("view", VIEWS)
def test_no_view_holds_json_or_a_microsecond_timestamp(scene: Scene, view: str) -> None:
    shown = scene.human(*argv(scene, view), COLUMNS="200")
    assert not re.search(r"[{}\[\]]", shown), "JSON braces or brackets in a view"
    assert not MICROSECONDS.search(shown), MICROSECONDS.findall(shown)


def test_the_run_status_speaks_relative_times_and_counts(scene: Scene) -> None:
    shown = scene.human("status", "--run-id", scene.run_id, COLUMNS="80")
    assert re.search(r"created (\d+s|\d+ min|just now)", shown)
    assert "jobs (30: 1 waiting, 29 pending)" in shown
    assert f"escalation {scene.blocker_id} on j0000" in shown
    assert "the design needs a human decision" in shown


def test_daemon_status_sums_up_its_nested_state_on_one_line_each(scene: Scene) -> None:
    lines = scene.human("daemon", "status", COLUMNS="80").splitlines()
    by_key = {line.split("  ")[0]: line for line in lines}
    assert re.search(r"^anchoring\s+every \S+ or \d+ events; last ", by_key["anchoring"])
    assert re.search(
        r"^database state\s+up \((embedded|external)\), 0 restarts$", by_key["database state"]
    )
    assert re.search(r"^uptime\s+\d", by_key["uptime"])


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"NO_COLOR": "1", "STRIATUM_COLOR": "always"},
        {"TERM": "dumb", "STRIATUM_COLOR": "always"},
    ],
    ids=["piped", "NO_COLOR", "TERM=dumb"],
)
def test_no_escape_codes_without_a_terminal_or_when_colour_is_refused(
    scene: Scene, env: dict[str, str]
) -> None:
    for view in ("status of the run", "list runs", "why the run", "dashboard", "daemon doctor"):
        assert ESCAPE not in scene.human(*argv(scene, view), **env), view


def test_forced_colour_paints_states_and_verdicts(scene: Scene) -> None:
    shown = scene.human("list", "runs", STRIATUM_COLOR="always")
    assert "\x1b[36mrunning\x1b[0m" in shown and "\x1b[33mprepared\x1b[0m" in shown
    doctor = scene.human("daemon", "doctor", "--fast", STRIATUM_COLOR="always")
    assert doctor.startswith("\x1b[32;1mdoctor: OK\x1b[0m")


def test_a_real_terminal_gets_colour_and_no_color_still_wins(scene: Scene) -> None:
    assert "\x1b[" in on_a_pty(scene, ["list", "runs"], {})
    assert ESCAPE not in on_a_pty(scene, ["list", "runs"], {"NO_COLOR": "1"})


def test_json_output_is_the_exact_sorted_dump(scene: Scene) -> None:
    for view in ("status of the run", "daemon status", "why the run", "list runs", "inbox"):
        raw = scene.human(*argv(scene, view), "--json")
        assert raw == json.dumps(json.loads(raw), indent=2, sort_keys=True) + "\n", view


def test_a_30_job_dashboard_frame_fits_80_by_40(scene: Scene) -> None:
    lines = scene.human("dashboard", "--run-id", scene.run_id, "--once", COLUMNS="80", LINES="40")
    frame = lines.splitlines()
    assert len(frame) <= 40 and all(width_of(line) <= 80 for line in frame)
    assert all(f"j{n:04d}" in lines for n in range(30)), "every job on its line"


def test_a_short_terminal_gets_the_jobs_that_need_attention_and_a_count(scene: Scene) -> None:
    frame = scene.human(
        "dashboard", "--run-id", scene.run_id, "--once", COLUMNS="80", LINES="20"
    ).splitlines()
    assert len(frame) <= 20
    assert any(line.lstrip().startswith("? j0000") for line in frame), "the waiting job"
    assert any(re.match(r"^  … \d+ more: \d+ pending$", line) for line in frame), frame


def test_the_dashboard_without_a_run_lists_the_repositorys_runs_newest_first(scene: Scene) -> None:
    shown = scene.human("dashboard", "--once", COLUMNS="80")
    assert f"runs of {scene.repo} (2)" in shown
    assert shown.index(scene.run_id) < shown.index(scene.older_run_id)


def fresh_run(scene: Scene, base: Path, lane: dict[str, Any], jobs: int = 3) -> tuple[Path, str]:
    """A run of its own repository (so the scene's runs stay as they are), prepared."""
    repo = new_repo(base)
    workflow = base / "workflow.json"
    workflow.write_text(json.dumps(wide_dag(jobs, lane)))
    scene.daemon.json("--repo", str(repo), "adopt")
    prepared = scene.daemon.json("--repo", str(repo), "run", "prepare", "--workflow", str(workflow))
    return repo, str(prepared["run_id"])


def on_terminal(scene: Scene, args: list[str], env: dict[str, str], cwd: Path) -> PseudoTerminal:
    """`striatum ARGS` against the scene's daemon on an 80x40 pseudo-terminal."""
    return PseudoTerminal([str(BIN / "striatum"), *args], scene.daemon.env, cwd, overrides=env)


def on_a_pty(scene: Scene, args: list[str], env: dict[str, str]) -> str:
    code, text = on_terminal(scene, args, env, scene.repo).finish()
    assert code == 0, text
    return text


def test_the_live_dashboard_redraws_in_place_and_ends_with_the_run(
    scene: Scene, tmp_path: Path
) -> None:
    repo, run_id = fresh_run(scene, tmp_path, {"provider": "command", "command": ["true"]})
    scene.daemon.json("--repo", str(repo), "run", "start", "--run-id", run_id, "--no-supervise")
    watching = on_terminal(scene, ["dashboard", "--run-id", run_id], {}, repo)
    first = watching.read_until(lambda text: "next:" in text)
    assert f"run {run_id}" in first and "RUNNING" in first
    scene.daemon.json("--repo", str(repo), "run", "cancel", "--run-id", run_id)
    code, text = watching.finish()
    assert code == 0, text
    assert "CANCELLED" in text, "the last frame shows the run's end"
    assert "\x1b[2J" not in text, "no full clear (no flicker)"
    assert text.count(f"run {run_id}") >= 2, "redrawn in place, not printed once"
    assert not MICROSECONDS.search(text)


def test_the_dashboard_without_a_terminal_prints_one_plain_line_per_change(
    scene: Scene, tmp_path: Path
) -> None:
    repo, run_id = fresh_run(scene, tmp_path, {"provider": "command", "command": ["true"]})
    scene.daemon.json("--repo", str(repo), "run", "start", "--run-id", run_id, "--no-supervise")
    process = subprocess.Popen(
        [str(BIN / "striatum"), "dashboard", "--run-id", run_id],
        env={**scene.daemon.env, "STRIATUM_COLOR": "always", "NO_COLOR": "1"},
        cwd=repo,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        seen = [process.stdout.readline()]  # the frame is out: the watch is under way
        assert seen[0].startswith(f"run {run_id}"), seen
        scene.daemon.json("--repo", str(repo), "run", "cancel", "--run-id", run_id)
        rest, errors = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, errors
    assert ESCAPE not in "".join(seen) + rest
    assert any(re.match(r"^\d\d:\d\d:\d\d run\.cancelled", line) for line in rest.splitlines())


def test_a_supervised_run_never_suggests_claim_next(scene: Scene, tmp_path: Path) -> None:
    sleeper = {"provider": "command", "command": ["sleep", "30"], "max_concurrency": 1}
    repo, run_id = fresh_run(scene, tmp_path, sleeper)
    started = scene.daemon.cli("--repo", str(repo), "run", "start", "--run-id", run_id)
    assert started.returncode == 0, started.stderr
    try:
        frame = scene.human("dashboard", "--run-id", run_id, "--once", COLUMNS="80")
        status = scene.human("status", "--run-id", run_id, COLUMNS="80")
        for shown in (frame, status):
            assert "claim-next" not in shown and "wait: its supervisor" in shown, shown
    finally:
        scene.daemon.json("--repo", str(repo), "run", "cancel", "--run-id", run_id)
        wait_until(
            lambda: (
                subprocess.run(
                    ["pgrep", "-f", f"supervise --run-id {run_id}"],
                    capture_output=True,
                    check=False,
                ).returncode
                != 0
            ),
            "the supervisor left once the run was cancelled",
            timeout=60,
        )


def test_the_live_runs_view_draws_on_a_terminal_and_ctrl_c_ends_it(scene: Scene) -> None:
    from striatum import errors

    watching = on_terminal(scene, ["dashboard"], {}, scene.repo)
    first = watching.read_until(lambda text: scene.older_run_id in text)
    assert f"runs of {scene.repo} (2)" in first and scene.run_id in first
    watching.process.send_signal(signal.SIGINT)
    code, text = watching.finish()
    assert code == errors.EXIT_INTERRUPTED
    assert "Traceback" not in text and "\x1b[2J" not in text
