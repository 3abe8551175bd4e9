"""A scripted operator: drives a run through the real CLI, writing artifacts with the
examples' scripted agent, the way an AI operator would follow the work packets."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.daemons import DaemonUnderTest

ROOT = Path(__file__).parents[2]
AGENT = ROOT / "src" / "striatum" / "starters" / "scripted_agent.py"
EXAMPLES = ROOT / "examples"


@dataclass
class Operator:
    daemon: DaemonUnderTest
    repo: Path
    plan: dict[str, str] = field(default_factory=dict)  # review job -> "v1,v2,..."
    choices: dict[str, str] = field(default_factory=dict)  # checkpoint job -> choice
    session: str = ""
    claims: list[dict[str, Any]] = field(default_factory=list)

    def cli(self, *args: str, principal: bool = False) -> Any:
        prefix = ("--repo", str(self.repo)) + (("--as", "principal") if principal else ())
        result = self.daemon.cli(*prefix, *args, "--json")
        assert result.returncode == 0, (args, result.stderr)
        return json.loads(result.stdout)

    def prepare(self, workflow: Path) -> str:
        self.cli("adopt")
        run_id: str = self.cli("run", "prepare", "--workflow", str(workflow))["run_id"]
        self.cli("run", "start", "--run-id", run_id, "--no-supervise")
        self.session = self.cli("register-session", "--role", "operator")["session_id"]
        return run_id

    def claim(self, run_id: str, *extra: str) -> dict[str, Any] | None:
        packet: dict[str, Any] = self.cli(
            "claim-next", "--session", self.session, "--run-id", run_id, *extra
        )
        if not packet["claimed"]:
            return None
        self.claims.append(packet)
        return packet

    def claim_job(self, run_id: str, job: str) -> dict[str, Any]:
        """The packet of `job`, which must be claimable now."""
        packet = self.claim(run_id, "--job", job)
        assert packet is not None, f"{job} could not be claimed"
        return packet

    def do_work(self, packet: dict[str, Any]) -> None:
        """What the scripted agent would write, at the packet's expected paths."""
        plan_file = self.repo / ".striatum" / "test-plan.json"
        plan_file.parent.mkdir(exist_ok=True)
        plan_file.write_text(json.dumps({"verdicts": self.plan}))
        prompt = self.repo / ".striatum" / "prompt.md"
        prompt.write_text(packet["prompt"])
        for expected in packet["expected_artifacts"]:
            subprocess.run(
                [
                    sys.executable,
                    str(AGENT),
                    "--job",
                    packet["job"]["job_id"],
                    "--attempt",
                    str(packet["job"]["attempt"]),
                    "--prompt",
                    str(prompt),
                    "--out",
                    str(self.repo / expected["path"]),
                    "--plan",
                    str(plan_file),
                ],
                check=True,
            )

    def step(self, run_id: str) -> bool:
        """One move: decide a checkpoint, or claim, work and complete a job. False: stuck."""
        status = self.cli("status", "--run-id", run_id)
        for blocker in status["open_blockers"]:
            if blocker["kind"] == "checkpoint" and blocker["job_id"] in self.choices:
                self.cli(
                    "checkpoint",
                    "decide",
                    "--blocker",
                    blocker["blocker_id"],
                    "--choice",
                    self.choices[blocker["job_id"]],
                    principal=True,
                )
                return True
        packet = self.claim(run_id)
        if packet is None:
            return False
        self.do_work(packet)
        self.cli("complete", "--lease", packet["lease"]["lease_id"])
        return True

    def drive(self, run_id: str, max_steps: int = 100) -> dict[str, Any]:
        """Step until the run ends or nothing can move; return its status."""
        for _ in range(max_steps):
            status: dict[str, Any] = self.cli("status", "--run-id", run_id)
            if status["run"]["state"] in ("succeeded", "failed", "cancelled"):
                return status
            if not self.step(run_id):
                final: dict[str, Any] = self.cli("status", "--run-id", run_id)
                return final
        raise AssertionError(f"run {run_id} did not settle in {max_steps} steps")


def example(name: str) -> Path:
    return EXAMPLES / name / "workflow.json"


def task_workflow(
    folder: Path, name: str, lanes: dict[str, Any], jobs: list[tuple[str, str, list[str]]]
) -> Path:
    """A workflow of task jobs `(id, lane, depends_on)`, written to `folder/name.json`."""
    document = {
        "schema_version": "striatum.workflow.v1",
        "id": name,
        "name": name,
        "lanes": lanes,
        "jobs": [
            {"id": job, "kind": "task", "lane": lane, **({"depends_on": deps} if deps else {})}
            for job, lane, deps in jobs
        ],
    }
    path = folder / f"{name}.json"
    path.write_text(json.dumps(document))
    return path


def new_repo(base: Path) -> Path:
    repo = base / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    return repo


def commit_file(repo: Path, name: str, text: str) -> None:
    """Give the repository history: one committed file."""
    (repo / name).write_text(text)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "add", name], check=True)
    subprocess.run([*git, "commit", "-qm", "init"], check=True)
