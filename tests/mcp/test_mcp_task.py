"""The `run_task` MCP tool starts a task the way `striatum task --detach` does, and cannot
land one."""

from __future__ import annotations

import json
from pathlib import Path

import anyio

from tests.mcp.test_mcp_server import call, mcp_client, refused
from tests.support.agent_stubs import SYSTEM_PATH
from tests.support.daemons import BIN, DaemonUnderTest
from tests.support.operator import new_repo
from tests.support.waiting import wait_until


def test_an_agent_starts_a_task_that_runs_to_success_and_is_not_landed(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    repo = new_repo(tmp_path)
    daemon.env["PATH"] = f"{BIN}:{SYSTEM_PATH}"  # no AI CLI: the scripted agents

    async def scenario() -> str:
        async with mcp_client(daemon, repo, daemon.token("operator")) as agent:
            tools = {tool.name: tool for tool in (await agent.list_tools()).tools}
            assert "land" not in tools["run_task"].input_schema["properties"]
            await call(agent, "adopt")
            empty = await refused(agent, "run_task", sentence=" ")
            assert (empty["code"], empty["exit_code"]) == ("usage", 2)
            started = await call(agent, "run_task", sentence="Add a hello module")
            assert started["scripted"] is True and started["state"] == "running"
            return str(started["run_id"])

    run_id = anyio.run(scenario)

    def state() -> str:
        shown = daemon.cli("--repo", str(repo), "status", run_id, "--json")
        return str(json.loads(shown.stdout)["run"]["state"])

    wait_until(lambda: state() == "succeeded", "the task's run never succeeded", timeout=90)
    events = json.loads(daemon.cli("--repo", str(repo), "why", run_id, "--json").stdout)
    assert "run.landed" not in {e["type"] for e in events["events"]}
    assert len(list((repo / ".striatum" / "tasks").iterdir())) == 1  # the refused one wrote none
