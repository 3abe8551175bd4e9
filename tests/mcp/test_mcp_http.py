"""`striatum mcp serve --http`: loopback only, and every request brings its own token."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.support.daemons import DaemonUnderTest
from tests.support.waiting import free_port

BIN = Path(sys.executable).parent


@pytest.fixture
def http_server(daemon: DaemonUnderTest, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = tmp_path / "mcp-http.log"
    env = {**daemon.env, "STRIATUM_TOKEN": daemon.token("principal")}  # must NOT be lent out
    with open(log, "wb") as handle:
        process = subprocess.Popen([str(BIN / "striatum"), "mcp", "serve", "--http", "--port",
                                    str(port)], env=env, stdout=handle, stderr=handle)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, log.read_text()
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=10)


async def whoami(url: str, headers: dict[str, str]) -> tuple[bool, dict[str, object]]:
    http = httpx2.AsyncClient(headers=headers, timeout=30)
    async with http, Client(streamable_http_client(url, http_client=http)) as client:
        result = await client.call_tool("whoami", {})
        return result.is_error, json.loads(result.content[0].text)  # type: ignore[union-attr]


def test_http_calls_act_with_the_bearer_token_only(daemon: DaemonUnderTest,
                                                   http_server: str) -> None:
    failed, payload = anyio.run(whoami, http_server, {})
    assert failed and payload["error"]["exit_code"] == 12  # type: ignore[index]
    operator = {"Authorization": f"Bearer {daemon.token('operator')}"}
    failed, payload = anyio.run(whoami, http_server, operator)
    assert not failed and payload["role"] == "operator"


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.7", "example.com"])
def test_a_non_loopback_host_is_refused(host: str) -> None:
    result = subprocess.run([str(BIN / "striatum"), "mcp", "serve", "--http", "--host", host],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert f"--host {host}: the MCP server binds loopback only" in result.stderr
    assert "Traceback" not in result.stderr


async def read_runs(url: str, headers: dict[str, str]) -> dict[str, object]:
    http = httpx2.AsyncClient(headers=headers, timeout=30)
    async with http, Client(streamable_http_client(url, http_client=http)) as client:
        contents = (await client.read_resource("striatum://runs")).contents
        document: dict[str, object] = json.loads(contents[0].text)  # type: ignore[union-attr]
        return document


def test_a_resource_read_without_a_token_is_an_error_document(http_server: str) -> None:
    document = anyio.run(read_runs, http_server, {})
    assert document["error"]["exit_code"] == 12  # type: ignore[index]


def test_a_foreign_host_header_is_refused(http_server: str) -> None:
    answer = httpx2.post(http_server, headers={"Host": "evil.example"}, json={}, timeout=30)
    assert answer.status_code == 421


def test_a_supervisor_started_over_http_acts_as_the_caller(daemon: DaemonUnderTest,
                                                           http_server: str,
                                                           tmp_path: Path) -> None:
    from tests.support.operator import Operator, example, new_repo

    operator = Operator(daemon=daemon, repo=new_repo(tmp_path))
    operator.cli("adopt")
    run_id = operator.cli("run", "prepare", "--workflow", str(example("minimal-flow")))["run_id"]

    async def start() -> None:
        headers = {"Authorization": f"Bearer {daemon.token('operator')}"}
        http = httpx2.AsyncClient(headers=headers, timeout=30)
        async with http, Client(streamable_http_client(http_server, http_client=http)) as c:
            result = await c.call_tool("run_start", {"run_id": run_id})
            assert not result.is_error, result.content

    anyio.run(start)
    deadline = time.monotonic() + 90
    while operator.cli("status", "--run-id", run_id)["run"]["state"] != "succeeded":
        assert time.monotonic() < deadline, "the supervisor did not finish the run"
        time.sleep(0.5)
    rows = daemon.json("--as", "principal", "audit", "list", "--limit", "200")["rows"]
    claims = {r["role"] for r in rows if r["method"] == "claim-next"}
    assert claims == {"operator"}  # not the principal token the server was started with
