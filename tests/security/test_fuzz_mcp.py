"""Hypothesis-made tool names and arguments through one `striatum mcp serve` (stdio, SDK client).

Every call to a known tool is answered with a tool result, or a tool error carrying one of our
codes and its exit code (never `internal`); an unknown tool is the protocol error -32602 (MCP
2025-11-25, server/tools); the one server process lives through every example, and the daemon
behind it stays up with no traceback in its log (`shared_daemon`).
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.shared.exceptions import MCPError

from striatum.errors import EXIT_CODES
from striatum.mcp.tools import TOOLS
from striatum.model.verb_spec import Param
from tests.support.daemons import DaemonUnderTest, alive

BIN = Path(sys.executable).parent
FUZZ = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# The arguments' side effects stay inside the scratch directory and the daemon: no local
# follow-up (adopt --profile would register the server with agent CLIs on this machine).
LOCAL_EFFECTS = {"profile"}


@dataclass(repr=False)
class Session:
    portal: BlockingPortal
    client: Client
    pid: int
    scratch: Path

    def __repr__(self) -> str:
        return f"Session(pid={self.pid})"

    def call(self, name: str, arguments: dict[str, Any] | None) -> tuple[bool, dict[str, Any]]:
        """(is_error, the JSON payload) of one tool call, checked for shape."""
        result = self.portal.call(self.client.call_tool, name, arguments)
        assert len(result.content) == 1
        payload: dict[str, Any] = json.loads(result.content[0].text)
        assert result.structured_content == payload
        if result.is_error:
            error = payload["error"]
            assert set(error) == {"code", "message", "hint", "details", "exit_code"}, payload
            assert error["code"] in EXIT_CODES and error["code"] != "internal", (name, error)
            assert error["exit_code"] == EXIT_CODES[error["code"]]
        return bool(result.is_error), payload


def _server_pid() -> int:
    """The `striatum mcp serve` child of this process."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(stat.rsplit(") ", 1)[1].split()[1]) == os.getpid() and b"serve" in argv:
            found.append(int(entry.name))
    (pid,) = found
    return pid


@pytest.fixture(scope="module")
def session(
    shared_daemon: DaemonUnderTest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Session]:
    scratch = tmp_path_factory.mktemp("mcp-fuzz")
    params = StdioServerParameters(
        command=str(BIN / "striatum"),
        args=["mcp", "serve"],
        cwd=str(scratch),
        env={**shared_daemon.env, "STRIATUM_TOKEN": shared_daemon.token("operator")},
    )
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(Client(params, read_timeout_seconds=60)) as client,
    ):
        opened = Session(portal=portal, client=client, pid=_server_pid(), scratch=scratch)
        yield opened
        assert alive(opened.pid), "the MCP server died under the fuzz"
        assert opened.call("whoami", {})[1]["role"] == "operator"  # still serving


def utf8(max_size: int) -> st.SearchStrategy[str]:
    """Text the SDK client can send: it refuses to encode lone surrogates (a raw JSON client
    can send them; test_raw_stdio_text_that_is_not_unicode covers that)."""
    return st.text(st.characters(codec="utf-8"), max_size=max_size)


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | utf8(max_size=30)
)
any_json = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(utf8(max_size=10), inner, max_size=3)
    ),
    max_leaves=8,
)
HOSTILE = [
    "",
    "\x00",
    "a\x00b",
    "..",
    "/etc/passwd",
    "x" * 300,
    "x" * 5000,
    "run_" + "0" * 12,
    "lease_" + "0" * 12,
    "blk_" + "0" * 12,
    "\u202e",
    "$(id)",
]


def value_for(param: Param, scratch: Path) -> st.SearchStrategy[Any]:
    if param.path:  # relative ones resolve against the server's directory: the scratch
        typed: st.SearchStrategy[Any] = st.sampled_from(
            ["", "rel", "..", "a\x00b", "x" * 300]
        ) | utf8(max_size=30).map(lambda t: str(scratch / "made" / t))
    elif param.type == "string":
        typed = st.sampled_from(HOSTILE + list(param.choices or ())) | utf8(max_size=40)
    elif param.type == "integer":
        typed = st.integers(-(2**70), 2**70) | st.sampled_from([0, -1, 2**53, 2**63])
    else:
        typed = st.booleans()
    return typed | any_json


def arguments_for(name: str, scratch: Path) -> st.SearchStrategy[dict[str, Any] | None]:
    spec = TOOLS.get(name)
    params = [p for p in spec.verb.params if p.name not in LOCAL_EFFECTS] if spec else []
    known = st.fixed_dictionaries({}, optional={p.name: value_for(p, scratch) for p in params})
    unknown = st.dictionaries(
        utf8(max_size=12).filter(lambda k: k not in LOCAL_EFFECTS), any_json, max_size=2
    )
    return known | unknown | st.none()


tool_names = (
    st.sampled_from(sorted(TOOLS))
    | st.sampled_from(
        ["", "run.start", "claim-next", "RUN_START", "whoami ", "status\x00", "__init__", "x" * 300]
    )
    | utf8(max_size=20)
)


@FUZZ
@given(data=st.data())
def test_any_tool_call_is_a_result_or_a_tool_error_with_our_code(
    session: Session, data: st.DataObject
) -> None:
    name = data.draw(tool_names, label="tool")
    arguments = data.draw(arguments_for(name, session.scratch), label="arguments")
    if name not in TOOLS:
        with pytest.raises(MCPError) as raised:
            session.portal.call(session.client.call_tool, name, arguments)
        assert raised.value.code == -32602 and raised.value.data["code"] == "not_found"
    else:
        session.call(name, arguments)
    assert alive(session.pid)


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_every_tool_refuses_a_wrongly_typed_argument_naming_it(session: Session, name: str) -> None:
    """The same check as RPC params (SPEC §12): `validation`, exit 3, naming the parameter."""
    params = TOOLS[name].verb.params
    if not params:
        is_error, payload = session.call(name, {"surplus": 1})
        assert is_error and payload["error"]["code"] == "validation"
        return
    first = params[0]
    wrong: Any = 1 if first.type != "integer" else "one"
    is_error, payload = session.call(name, {first.name: wrong})
    assert is_error and payload["error"]["exit_code"] == 3
    assert repr(first.name) in payload["error"]["message"]


@pytest.mark.parametrize(
    "uri",
    [
        "striatum://runs/run_x/status/../../inbox",
        "striatum://",
        "file:///etc/passwd",
        "striatum://runs/" + "r" * 5000,
        "striatum://runs/run_\u0000/status",
    ],
)
def test_hostile_resource_uris_read_as_errors(session: Session, uri: str) -> None:
    """Not found: -32602 in the 2026-07-28 era the SDK client negotiates (-32002 before)."""
    with pytest.raises(MCPError) as raised:
        session.portal.call(session.client.read_resource, uri)
    assert raised.value.code == (
        -32602 if session.client.protocol_version == "2026-07-28" else -32002
    )
    assert raised.value.data["code"] == "not_found" and raised.value.data["uri"] == uri


def test_raw_stdio_text_that_is_not_unicode_does_not_kill_the_server(
    shared_daemon: DaemonUnderTest, tmp_path: Path
) -> None:
    """A raw JSON-RPC client may send lone surrogates (as \\ud800 escapes), which the SDK
    client cannot. The SDK's stdio transport drops such a frame unanswered (its behaviour,
    not ours); the server must survive it and answer the next call."""
    server = subprocess.Popen(
        [str(BIN / "striatum"), "mcp", "serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env={**shared_daemon.env, "STRIATUM_TOKEN": shared_daemon.token("operator")},
    )
    assert server.stdin is not None and server.stdout is not None

    def send(message: dict[str, Any]) -> None:
        assert server.stdin is not None
        server.stdin.write(json.dumps({"jsonrpc": "2.0", **message}).encode() + b"\n")
        server.stdin.flush()

    def answer(timeout: float) -> dict[str, Any] | None:
        assert server.stdout is not None
        if not select.select([server.stdout], [], [], timeout)[0]:
            return None
        found: dict[str, Any] = json.loads(server.stdout.readline())
        return found

    try:
        send(
            {
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "raw", "version": "0"},
                },
            }
        )
        assert answer(30) is not None
        send({"method": "notifications/initialized"})
        for number, params in enumerate(
            [
                {"name": "status", "arguments": {"run_id": "\ud800"}},
                {"name": "\udfff", "arguments": {}},
                {"name": "whoami", "arguments": {"\ud800": 1}},
            ]
        ):
            send({"id": 10 + number, "method": "tools/call", "params": params})
        send({"id": 99, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}})
        while (reply := answer(30)) is not None and reply.get("id") != 99:
            assert "error" in reply or reply["result"]["isError"] is True, reply
        assert reply is not None, "the server stopped answering"
        assert json.loads(reply["result"]["content"][0]["text"])["role"] == "operator"
        assert server.poll() is None
    finally:
        server.kill()
        _, stderr = server.communicate(timeout=30)
    assert b"Traceback" not in stderr
