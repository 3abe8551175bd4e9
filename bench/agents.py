"""Real agent CLIs as lanes: seconds per job for Claude Code, Codex and Gemini CLI under the
supervisor, each answered by the scripted model on loopback (tests/agents), against a
`command` lane writing the same files in the same run (the baseline: Striatum's own cost).

A chain of `--jobs` tasks per CLI (one at a time, so the figure is one job's latency). What
remains above the baseline is the CLI's own start-up and tool loop (Node.js start, its
settings and tool set, two model round trips), not Striatum.

Usage: python -m bench.agents [--jobs 5] [--cli claude --cli codex --cli gemini]
Needs the CLIs (installed into ~/.cache/striatum/agents by `make test-agents`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.scratch import STRIATUM, cli, daemon_home, git_repo, started_run, tree_dag
from tests.agents import clis
from tests.agents.scripted_model import ScriptedModel, lane_script

PROVIDER = {"claude": "claude_code", "codex": "codex", "gemini": "gemini"}
MODEL = {"claude": "claude-sonnet-4-5", "gemini": "gemini-2.5-flash"}
BASELINE = (
    "import os; p = os.environ['STRIATUM_OUTPUT']; "
    "os.makedirs(os.path.dirname(p), exist_ok=True); open(p, 'w').write('done\\n')"
)


def seconds_per_job(base: Path, name: str, lane: dict[str, Any], jobs: int, home: Path) -> float:
    (base / name).mkdir()
    repo = git_repo(base / name)
    # A chain: a DAG with fan-out 1, so one job runs at a time.
    run_id = started_run(
        repo, base / name / "workflow.json", tree_dag(jobs, 1, lane, with_outputs=True)
    )
    env = {**os.environ, **clis.base_env(home)}
    started = time.perf_counter()
    subprocess.run(
        [STRIATUM, "supervise", "--run-id", run_id],
        check=True,
        cwd=repo,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - started
    state = cli(repo, "status", "--run-id", run_id)["run"]["state"]
    if state != "succeeded":
        raise SystemExit(f"bench.agents: the {name} run ended {state}")
    return wall / jobs


def measure(base: Path, jobs: int, names: list[clis.Cli]) -> dict[str, Any]:
    home = base / "home"
    home.mkdir(parents=True, exist_ok=True)
    baseline = seconds_per_job(
        base,
        "baseline",
        {"provider": "command", "command": [sys.executable, "-c", BASELINE]},
        jobs,
        home,
    )
    report: dict[str, Any] = {
        "benchmark": "agents",
        "jobs_per_cli": jobs,
        "baseline_command_lane_s_per_job": round(baseline, 3),
    }
    with ScriptedModel(lane_script()) as model:
        for name in names:
            lane: dict[str, Any] = {
                "provider": PROVIDER[name],
                "env": clis.lane_env(name, home / name, model.port),
            }
            if name in MODEL:
                lane["model"] = MODEL[name]
            per_job = seconds_per_job(base, name, lane, jobs, home)
            report[name] = {
                "s_per_job": round(per_job, 2),
                "ratio_to_baseline": round(per_job / baseline, 1),
            }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=5)
    parser.add_argument("--cli", action="append", choices=sorted(PROVIDER))
    args = parser.parse_args()
    reason = clis.skip_reason()
    if reason:
        raise SystemExit(f"bench.agents: {reason}")
    with daemon_home("agents") as base:
        print(
            json.dumps(
                measure(base, args.jobs, args.cli or ["claude", "codex", "gemini"]), indent=2
            )
        )


if __name__ == "__main__":
    main()
