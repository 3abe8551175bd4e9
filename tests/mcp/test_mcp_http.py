"""`striatum mcp serve --http`: loopback only, and every request brings its own live token.

Without one (initialize, ping and the listings included) the answer is HTTP 401 with
`WWW-Authenticate: Bearer` and our JSON error, before any MCP session exists.
"""

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
from mcp.shared.exceptions import MCPError

from striatum.mcp.bearer import TRUST_S
from tests.support.daemons import DaemonUnderTest
from tests.support.waiting import free_port

BIN = Path(sys.executable).parent


@pytest.fixture
def http_server(daemon: DaemonUnderTest, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = tmp_path / "mcp-http.log"
    env = {**daemon.env, "STRIATUM_TOKEN": daemon.token("principal")}  # must NOT be lent out
    with open(log, "wb") as handle:
        process = subprocess.Popen(
            [str(BIN / "striatum"), "mcp", "serve", "--http", "--port", str(port)],
            env=env,
            stdout=handle,
            stderr=handle,
        )
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


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "0"},
    },
}
ACCEPT = {"Accept": "application/json, text/event-stream"}


def post(url: str, message: dict[str, object], **headers: str) -> httpx2.Response:
    return httpx2.post(url, json=message, headers={**ACCEPT, **headers}, timeout=30)


def test_http_calls_act_with_the_bearer_token_only(
    daemon: DaemonUnderTest, http_server: str
) -> None:
    operator = {"Authorization": f"Bearer {daemon.token('operator')}"}
    failed, payload = anyio.run(whoami, http_server, operator)
    assert not failed and payload["role"] == "operator"


REFUSALS = [
    (None, "token_missing"),
    ("Bearer", "token_missing"),
    ("Basic dXNlcjpwdw==", "token_missing"),
    ("Bearer stk_bogus", "token_invalid"),
]
METHODS = ["initialize", "ping", "tools/list", "resources/list", "resources/templates/list"]


def test_every_request_without_a_live_token_is_http_401(http_server: str) -> None:
    for method in METHODS:
        message = (
            {**INITIALIZE, "method": method}
            if method == "initialize"
            else {"jsonrpc": "2.0", "id": 2, "method": method}
        )
        for authorization, code in REFUSALS:
            answer = post(
                http_server, message, **({"Authorization": authorization} if authorization else {})
            )
            assert answer.status_code == 401, (method, authorization)
            challenge = answer.headers["www-authenticate"]
            assert challenge.startswith("Bearer ")
            assert ('error="invalid_token"' in challenge) is (code != "token_missing")
            error = answer.json()["error"]
            assert set(error) == {"code", "message", "hint", "details", "exit_code"}
            assert (error["code"], error["exit_code"]) == (
                code,
                12 if code == "token_missing" else 13,
            ), (method, authorization)


def test_a_revoked_token_is_refused_within_seconds(
    daemon: DaemonUnderTest, http_server: str
) -> None:
    created = daemon.json("--as", "principal", "token", "create", "--role", "operator", "--json")
    headers = {"Authorization": f"Bearer {created['secret']}"}
    assert post(http_server, INITIALIZE, **headers).status_code == 200
    daemon.json("--as", "principal", "token", "revoke", created["token_id"], "--json")
    # Trusted a moment so listings stay fast; refused once that moment is over.
    time.sleep(TRUST_S + 0.5)
    answer = post(http_server, INITIALIZE, **headers)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "token_revoked"


def test_a_daemon_that_cannot_answer_is_503_not_401(
    daemon: DaemonUnderTest, http_server: str
) -> None:
    """The caller's token may be fine: an absent daemon is not a reason to drop it."""
    daemon.stop()
    try:
        answer = post(http_server, INITIALIZE, Authorization="Bearer stk_unchecked")
        assert answer.status_code == 503 and "www-authenticate" not in answer.headers
        assert answer.json()["error"]["code"] == "daemon_unreachable"
    finally:
        daemon.start()


def test_the_sdk_client_learns_its_token_is_wrong_at_connect(http_server: str) -> None:
    """The SDK turns our 401 into an MCPError during its handshake: no tool call needed."""
    listed = False

    async def connect() -> None:
        nonlocal listed
        http = httpx2.AsyncClient(headers={"Authorization": "Bearer stk_bogus"}, timeout=30)
        async with http, Client(streamable_http_client(http_server, http_client=http)) as c:
            await c.list_tools()
            listed = True

    with pytest.raises(BaseException) as raised:
        anyio.run(connect)
    assert not listed
    assert any(isinstance(leaf, MCPError) for leaf in leaves(raised.value))


def leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaves(inner)]
    return [error]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.7", "example.com"])
def test_a_non_loopback_host_is_refused(host: str) -> None:
    result = subprocess.run(
        [str(BIN / "striatum"), "mcp", "serve", "--http", "--host", host],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert f"--host {host}: the MCP server binds loopback only" in result.stderr
    assert "Traceback" not in result.stderr


async def read_error(url: str, token: str, uri: str, mode: str) -> tuple[str, MCPError]:
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30)
    async with http, Client(streamable_http_client(url, http_client=http), mode=mode) as client:
        with pytest.raises(MCPError) as raised:
            await client.read_resource(uri)
        return client.protocol_version, raised.value


@pytest.mark.parametrize(("mode", "code"), [("legacy", -32002), ("auto", -32602)])
def test_a_resource_that_does_not_exist_is_a_json_rpc_error(
    daemon: DaemonUnderTest, http_server: str, mode: str, code: int
) -> None:
    """-32002 in the 2025-06-18/2025-11-25 handshake era; 2026-07-28 retired it for -32602."""
    uri = "striatum://runs/run_nope/status"
    version, error = anyio.run(read_error, http_server, daemon.token("operator"), uri, mode)
    assert (version == "2026-07-28") is (mode == "auto")
    assert error.code == code
    assert error.data["code"] == "not_found" and error.data["exit_code"] == 4
    assert error.data["uri"] == uri and error.message == error.data["message"]


def test_a_foreign_host_header_is_refused_before_the_token(http_server: str) -> None:
    answer = httpx2.post(http_server, headers={"Host": "evil.example"}, json={}, timeout=30)
    assert answer.status_code == 421


def test_a_supervisor_started_over_http_acts_as_the_caller(
    daemon: DaemonUnderTest, http_server: str, tmp_path: Path
) -> None:
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
