"""The official MCP conformance suite (`@modelcontextprotocol/conformance` 0.1.16, Node 22)
against `striatum mcp serve --http`, a real daemon behind it.

The suite's server mode (`conformance server --url URL --scenario S -o DIR`) connects as an
MCP client and writes `checks.json` (each check SUCCESS, FAILURE, WARNING or INFO). It cannot
send an `Authorization` header, so it talks to a loopback proxy in this test that adds a valid
operator Bearer token to every request and forwards everything else (the Host header too,
which the rebinding scenario needs) unchanged. One scenario also runs straight at the server
with no header, where it must fail on our HTTP 401.

Run and expected to pass (`APPLICABLE`): server-initialize, ping, tools-list, resources-list,
server-sse-multiple-streams, dns-rebinding-protection. Not applicable, each with its reason
(`NOT_APPLICABLE`, kept in step with `conformance list --server` by a test):

| scenarios | why they do not apply |
| --- | --- |
| logging-set-level, tools-call-with-logging | no `logging` capability: no log notifications |
| completion-complete | no `completions` capability |
| tools-call-simple-text, -image, -audio, -embedded-resource, -mixed-content, -error, \
-with-progress, json-schema-2020-12, server-sse-polling | call the suite's fixture tools \
(`test_simple_text`, `test_reconnection`, …); our tools are the verb catalog |
| tools-call-sampling, tools-call-elicitation, elicitation-sep1034-defaults, \
elicitation-sep1330-enums | Striatum never asks the client for sampling or elicitation |
| resources-read-text, -read-binary, resources-templates-read | read the fixture resources \
`test://…`; ours are `striatum://…` (tests/mcp reads them) |
| resources-subscribe, resources-unsubscribe | no `subscribe` capability |
| prompts-list, prompts-get-* | no prompts |
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.agents.node import Suite, conformance_suite
from tests.support.daemons import DaemonUnderTest
from tests.support.waiting import free_port

pytestmark = [pytest.mark.agents, pytest.mark.timeout(600)]
BIN = Path(sys.executable).parent
APPLICABLE = [
    "server-initialize",
    "ping",
    "tools-list",
    "resources-list",
    "server-sse-multiple-streams",
    "dns-rebinding-protection",
]
_LOGGING = "no `logging` capability: Striatum sends no log notifications"
_FIXTURE_TOOL = "calls a fixture tool of the suite's test server; our tools are the verbs"
_FIXTURE_RESOURCE = "reads a fixture resource test://…; ours are striatum://… (see tests/mcp)"
_ASKS_CLIENT = "Striatum never asks the client for sampling or elicitation"
_PROMPTS = "no prompts"
NOT_APPLICABLE = {
    "logging-set-level": _LOGGING,
    "tools-call-with-logging": _LOGGING,
    "completion-complete": "no `completions` capability",
    "tools-call-simple-text": _FIXTURE_TOOL,
    "tools-call-image": _FIXTURE_TOOL,
    "tools-call-audio": _FIXTURE_TOOL,
    "tools-call-embedded-resource": _FIXTURE_TOOL,
    "tools-call-mixed-content": _FIXTURE_TOOL,
    "tools-call-error": _FIXTURE_TOOL,
    "tools-call-with-progress": _FIXTURE_TOOL,
    "json-schema-2020-12": _FIXTURE_TOOL,
    "server-sse-polling": _FIXTURE_TOOL + " (test_reconnection)",
    "tools-call-sampling": _ASKS_CLIENT,
    "tools-call-elicitation": _ASKS_CLIENT,
    "elicitation-sep1034-defaults": _ASKS_CLIENT,
    "elicitation-sep1330-enums": _ASKS_CLIENT,
    "resources-read-text": _FIXTURE_RESOURCE,
    "resources-read-binary": _FIXTURE_RESOURCE,
    "resources-templates-read": _FIXTURE_RESOURCE,
    "resources-subscribe": "no `subscribe` capability",
    "resources-unsubscribe": "no `subscribe` capability",
    "prompts-list": _PROMPTS,
    "prompts-get-simple": _PROMPTS,
    "prompts-get-with-args": _PROMPTS,
    "prompts-get-embedded-resource": _PROMPTS,
    "prompts-get-with-image": _PROMPTS,
}


@pytest.fixture(scope="module")
def suite() -> Suite:
    return conformance_suite()


@pytest.fixture
def server_port(daemon: DaemonUnderTest, tmp_path: Path) -> Iterator[int]:
    port = free_port()
    log = tmp_path / "mcp-http.log"
    with open(log, "wb") as handle:
        process = subprocess.Popen(
            [str(BIN / "striatum"), "mcp", "serve", "--http", "--port", str(port)],
            env=daemon.env,
            stdout=handle,
            stderr=handle,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def run_scenario(suite: Suite, url: str, scenario: str, out: Path) -> list[dict[str, Any]]:
    """The scenario's checks, as the suite wrote them."""
    result = subprocess.run(
        [
            str(suite.node),
            str(suite.cli),
            "server",
            "--url",
            url,
            "--scenario",
            scenario,
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    found = sorted(out.glob("**/checks.json"))
    assert found, f"{scenario}: no checks.json\n{result.stdout}\n{result.stderr}"
    checks: list[dict[str, Any]] = json.loads(found[-1].read_text())
    return checks


def test_the_suite_lists_no_scenario_this_table_does_not_place(suite: Suite) -> None:
    listed = subprocess.run(
        [str(suite.node), str(suite.cli), "list", "--server"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    names = {line.split()[1] for line in listed.splitlines() if line.strip().startswith("- ")}
    assert names == set(APPLICABLE) | set(NOT_APPLICABLE)


def test_the_applicable_server_scenarios_pass(
    suite: Suite, daemon: DaemonUnderTest, server_port: int, tmp_path: Path
) -> None:
    token = daemon.token("operator")
    with bearer_proxy(server_port, token) as proxy_port:
        url = f"http://127.0.0.1:{proxy_port}/mcp"
        failures = {}
        for scenario in APPLICABLE:
            checks = run_scenario(suite, url, scenario, tmp_path / scenario)
            failed = [c for c in checks if c["status"] == "FAILURE"]
            if failed or not any(c["status"] == "SUCCESS" for c in checks):
                failures[scenario] = failed or checks
        assert not failures, json.dumps(failures, indent=1)[:6000]


def test_without_the_bearer_header_initialize_fails_on_401(
    suite: Suite, server_port: int, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{server_port}/mcp"
    checks = run_scenario(suite, url, "server-initialize", tmp_path / "no-token")
    assert [c["status"] for c in checks] == ["FAILURE"]
    assert '"code": "token_missing"' in checks[0]["errorMessage"]  # our 401's JSON body


@contextmanager
def bearer_proxy(upstream: int, token: str) -> Iterator[int]:
    """A loopback HTTP proxy adding `Authorization: Bearer <token>` to every request.

    One request per connection (`Connection: close` both ways), so each request's head is
    rewritten; bodies and streamed (SSE) answers are piped through untouched."""
    loop = asyncio.new_event_loop()
    port = free_port()
    ready = threading.Event()

    async def serve() -> None:
        server = await asyncio.start_server(
            lambda r, w: _forward(r, w, upstream, token), "127.0.0.1", port
        )
        ready.set()
        async with server:
            await server.serve_forever()

    thread = threading.Thread(target=lambda: _run_until_stopped(loop, serve()), daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield port
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def _run_until_stopped(loop: asyncio.AbstractEventLoop, main: Any) -> None:
    asyncio.set_event_loop(loop)
    task = loop.create_task(main)
    loop.run_forever()
    task.cancel()
    loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
    loop.close()


async def _forward(
    client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter, upstream: int, token: str
) -> None:
    try:
        head = await client_r.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        client_w.close()
        return
    request_line, *headers = head.decode("latin-1").rstrip("\r\n").split("\r\n")
    kept = [
        h
        for h in headers
        if h.split(":", 1)[0].strip().lower() not in ("authorization", "connection")
    ]
    rewritten = "\r\n".join(
        [request_line, *kept, f"Authorization: Bearer {token}", "Connection: close", "", ""]
    ).encode("latin-1")
    server_r, server_w = await asyncio.open_connection("127.0.0.1", upstream)
    server_w.write(rewritten)
    await asyncio.gather(_pipe(client_r, server_w), _pipe(server_r, client_w))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()
