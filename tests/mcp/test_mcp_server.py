"""An MCP client from the official SDK drives `striatum mcp serve` over stdio, for real.

The server is a subprocess; every call goes to a real striatumd on a real PostgreSQL.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.shared.exceptions import MCPError

from striatum.mcp.tools import tool_name
from striatum.verbs.catalog import VERBS
from tests.support.daemons import DaemonUnderTest
from tests.support.operator import example, new_repo

BIN = Path(sys.executable).parent


@asynccontextmanager
async def mcp_client(
    daemon: DaemonUnderTest, cwd: Path, token: str, mode: str = "auto"
) -> AsyncIterator[Client]:
    params = StdioServerParameters(
        command=str(BIN / "striatum"),
        args=["mcp", "serve"],
        env={**daemon.env, "STRIATUM_TOKEN": token},
        cwd=str(cwd),
    )
    async with Client(params, read_timeout_seconds=60, mode=mode) as client:
        yield client


async def call(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    payload: dict[str, Any] = json.loads(result.content[0].text)  # type: ignore[union-attr]
    assert result.structured_content == payload
    assert result.is_error is False, payload
    return payload


async def refused(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert result.is_error is True
    error: dict[str, Any] = json.loads(result.content[0].text)["error"]  # type: ignore[union-attr]
    return error


def test_the_tool_list_is_the_verb_registry(daemon: DaemonUnderTest, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with mcp_client(daemon, tmp_path, daemon.token("operator")) as client:
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            assert set(tools) == {tool_name(verb) for verb in VERBS}
            for verb in VERBS:
                tool = tools[tool_name(verb)]
                assert tool.input_schema == verb.json_schema(include_local=True)
                assert tool.description and tool.description.startswith(verb.summary)
                assert tool.annotations and tool.annotations.read_only_hint is (not verb.writes)
                if verb.writes:  # the protocol's defaults are destructive, not idempotent
                    assert tool.annotations.destructive_hint is not None
                    assert tool.annotations.idempotent_hint is not None

    anyio.run(scenario)


def test_an_operator_and_lane_tokens_drive_a_review_run(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    repo = new_repo(tmp_path)
    anyio.run(_drive_review_run, daemon, repo)
    rows = daemon.json("--as", "principal", "audit", "list", "--limit", "500")["rows"]
    denied = [r for r in rows if r["method"] == "token.create"]
    assert [(r["role"], r["ok"], r["error_code"]) for r in denied] == [
        ("operator", False, "permission_denied")
    ]  # the refused call is on the record
    by_lane = {r["method"] for r in rows if r["role"] == "lane" and r["ok"]}
    assert {"publish-artifact", "verdict", "complete"} <= by_lane


async def _drive_review_run(daemon: DaemonUnderTest, repo: Path) -> None:
    async with mcp_client(daemon, repo, daemon.token("operator")) as operator:
        assert (await call(operator, "whoami"))["role"] == "operator"
        await call(operator, "adopt")
        workflow = os.path.relpath(example("review-flow"), repo)  # as the guide shows it
        run_id = (await call(operator, "run_prepare", workflow=workflow))["run_id"]
        await call(operator, "run_start", run_id=run_id, no_supervise=True)
        session = (await call(operator, "register_session", role="operator"))["session_id"]
        denied = await refused(operator, "token_create", role="reader")
        assert (denied["code"], denied["exit_code"]) == ("permission_denied", 6)
        while True:
            packet = await call(operator, "claim_next", session=session, run_id=run_id)
            if not packet["claimed"]:
                break
            await _work_as_lane(daemon, repo, packet)
        status = await call(operator, "status", run_id=run_id)
        assert status["run"]["state"] == "succeeded", status
        verdicts = (await call(operator, "list_verdicts", run_id=run_id))["verdicts"]
        assert [v["value"] for v in verdicts] == ["accept"]
        artifact = (await call(operator, "list_artifacts", run_id=run_id))["artifacts"][0]
        read = await operator.read_resource(f"striatum://artifacts/{artifact['artifact_id']}")
        shown = json.loads(read.contents[0].text)  # type: ignore[union-attr]
        assert "Written through MCP." in json.dumps(shown)
        assert artifact["sha256"] in json.dumps(shown)
        status_uri = f"striatum://runs/{run_id}/status"
        state = json.loads((await operator.read_resource(status_uri)).contents[0].text)  # type: ignore[union-attr]
        assert state["run"]["state"] == "succeeded"


async def _work_as_lane(daemon: DaemonUnderTest, repo: Path, packet: dict[str, Any]) -> None:
    """The agent's side: its own MCP server with the lane token from the work packet."""
    lease = packet["lease"]["lease_id"]
    async with mcp_client(daemon, repo, packet["token"]) as lane:
        assert (await call(lane, "whoami"))["role"] == "lane"
        for expected in packet["expected_artifacts"]:
            target = repo / expected["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(f"# {packet['job']['job_id']}\n\nWritten through MCP.\n")
            await call(lane, "publish_artifact", lease=lease, path=expected["path"])
        if packet["job"]["kind"] == "review":
            await call(lane, "verdict", lease=lease, value="accept")
        else:  # a lane token is bound to its own lease: another job's verb is refused
            other = await refused(lane, "run_cancel", run_id=packet["job"]["run_id"])
            assert other["code"] == "permission_denied"
        await call(lane, "complete", lease=lease)


async def protocol_error(client: Client, method: str, *arguments: Any) -> MCPError:
    with pytest.raises(MCPError) as raised:
        await getattr(client, method)(*arguments)
    return raised.value


def test_bad_calls_are_tool_errors_with_our_codes(daemon: DaemonUnderTest, tmp_path: Path) -> None:
    """MCP 2025-11-25 (server/tools, Error Handling): an unknown tool is a protocol error
    (-32602); arguments the verb refuses are a tool execution error the model can correct."""

    async def scenario() -> None:
        async with mcp_client(daemon, tmp_path, daemon.token("operator")) as client:
            unknown = await protocol_error(client, "call_tool", "no_such_verb", {})
            assert unknown.code == -32602 and "no_such_verb" in unknown.message
            assert unknown.data["code"] == "not_found" and unknown.data["exit_code"] == 4
            wrong = await refused(client, "list_runs", limit="many")
            assert wrong["code"] == "validation" and wrong["exit_code"] == 3
            assert "'limit'" in wrong["message"]
            missing = await refused(client, "status", run_id="run_missing")
            assert missing["code"] == "not_found" and missing["exit_code"] == 4
        async with mcp_client(daemon, tmp_path, "stk_garbage") as client:
            assert (await refused(client, "whoami"))["exit_code"] == 13

    anyio.run(scenario)


@pytest.mark.parametrize("uri", ["striatum://runs", "striatum://inbox"])
def test_resources_read_through_the_daemon(
    daemon: DaemonUnderTest, tmp_path: Path, uri: str
) -> None:
    async def scenario() -> None:
        async with mcp_client(daemon, tmp_path, daemon.token("operator")) as client:
            listed = {r.uri for r in (await client.list_resources()).resources}
            assert uri in listed
            contents = (await client.read_resource(uri)).contents
            document = json.loads(contents[0].text)  # type: ignore[union-attr]
            assert "error" not in document and document

    anyio.run(scenario)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_failed_reads_are_json_rpc_errors_carrying_our_payload(
    daemon: DaemonUnderTest, tmp_path: Path, mode: str
) -> None:
    """MCP 2025-06-18/2025-11-25 server/resources: not found -32002 (the 2026-07-28 era the
    SDK client reaches in `auto` mode retired it for -32602), else -32603; data is ours."""
    not_found = -32002 if mode == "legacy" else -32602

    async def scenario() -> None:
        async with mcp_client(daemon, tmp_path, daemon.token("operator"), mode) as client:
            for uri in (
                "striatum://runs/run_nope/status",
                "striatum://nothing",
                "striatum://artifacts/art_missing",
            ):
                error = await protocol_error(client, "read_resource", uri)
                assert error.code == not_found, (uri, error)
                assert error.data["code"] == "not_found" and error.data["exit_code"] == 4
                assert error.data["uri"] == uri and error.data["message"] == error.message
        async with mcp_client(daemon, tmp_path, "stk_garbage", mode) as client:
            error = await protocol_error(client, "read_resource", "striatum://runs")
            assert error.code == -32603
            assert (error.data["code"], error.data["exit_code"]) == ("token_invalid", 13)

    anyio.run(scenario)


def test_a_pagination_cursor_is_invalid_params(daemon: DaemonUnderTest, tmp_path: Path) -> None:
    """Every list is one page (no nextCursor), so any cursor a client sends is invalid."""

    async def scenario() -> None:
        async with mcp_client(daemon, tmp_path, daemon.token("operator")) as client:
            for method in ("list_tools", "list_resources", "list_resource_templates"):
                assert (await getattr(client, method)()).next_cursor is None
                with pytest.raises(MCPError) as raised:
                    await getattr(client, method)(cursor="c1")
                error = raised.value
                assert error.code == -32602 and error.data == {"cursor": "c1"}, method

    anyio.run(scenario)


def test_a_local_failure_in_a_tool_is_a_tool_error(daemon: DaemonUnderTest, tmp_path: Path) -> None:
    repo = new_repo(tmp_path)
    (repo / ".claude").write_text("a file where the skills directory would go")

    async def scenario() -> None:
        async with mcp_client(daemon, repo, daemon.token("operator")) as client:
            error = await refused(client, "adopt", profile="claude_code")
            assert (error["code"], error["exit_code"]) == ("storage", 17)
            assert ".claude" in error["message"]
            assert (await call(client, "whoami"))["role"] == "operator"  # still serving

    anyio.run(scenario)


def test_prepare_warns_and_start_refuses_a_missing_cli_over_mcp(
    daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    """The server runs the same local preflight as the CLI, with its own PATH."""
    repo = new_repo(tmp_path)
    (tmp_path / "workflow.json").write_text(
        json.dumps(
            {
                "schema_version": "striatum.workflow.v1",
                "id": "w",
                "name": "W",
                "lanes": {"author": {"provider": "gemini"}},
                "jobs": [
                    {
                        "id": "draft",
                        "kind": "task",
                        "lane": "author",
                        "artifacts": [{"path": "docs/striatum/out.md"}],
                    }
                ],
            }
        )
    )

    async def scenario() -> None:
        params = StdioServerParameters(
            command=str(BIN / "striatum"),
            args=["mcp", "serve"],
            cwd=str(repo),
            env={**daemon.env, "STRIATUM_TOKEN": daemon.token("operator"), "PATH": "/usr/bin:/bin"},
        )
        async with Client(params, read_timeout_seconds=60) as client:
            await call(client, "adopt")
            prepared = await call(client, "run_prepare", workflow=str(tmp_path / "workflow.json"))
            assert [w["message"] for w in prepared["warnings"]] == [
                "`gemini` is not on PATH (fix: npm install -g @google/gemini-cli)"
            ]
            error = await refused(client, "run_start", run_id=prepared["run_id"])
            assert (error["code"], error["exit_code"]) == ("agent_unavailable", 18)
            assert error["hint"].startswith("npm install -g @google/gemini-cli")
            status = await call(client, "status", run_id=prepared["run_id"])
            assert status["run"]["state"] == "prepared"

    anyio.run(scenario)
