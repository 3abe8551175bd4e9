"""Read-only MCP resources, each one a read verb: runs, the inbox, a run's status, an
artifact (its record, text and provenance).

A read that fails is a JSON-RPC error, as the MCP specification's resources section ("Error
Handling", 2025-06-18 and 2025-11-25) asks, its code from the error table (`errors.CODES`):
-32002 when the resource does not exist (an unknown URI, a missing run or artifact), -32602 for
invalid parameters, -32603 for anything else (a refused or missing token, an unreachable
daemon). Its `data` is Striatum's error
payload (code, message, hint, details, exit_code) plus the `uri`. Protocol 2026-07-28
retires -32002 (SEP-2164): a client speaking it gets -32602 for a missing resource.
"""

from __future__ import annotations

import json
import re
from typing import Any

import mcp_types as types
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from striatum import errors
from striatum.client import rpc
from striatum.mcp.calls import protocol_error

_FIXED = {
    "striatum://runs": ("list.runs", "Runs, newest first."),
    "striatum://inbox": ("inbox", "What waits for the human: checkpoints and escalations."),
}
_RUN_STATUS = re.compile(r"^striatum://runs/(run_[A-Za-z0-9_-]{1,60})/status$")
_ARTIFACT = re.compile(r"^striatum://artifacts/(art_[A-Za-z0-9_-]{1,60})$")


def fixed() -> list[types.Resource]:
    return [
        types.Resource(uri=uri, name=verb, description=text, mime_type="application/json")
        for uri, (verb, text) in _FIXED.items()
    ]


def templates() -> list[types.ResourceTemplate]:
    return [
        types.ResourceTemplate(
            uri_template="striatum://runs/{run_id}/status",
            name="status",
            description="A run's jobs, leases, blockers and next actions.",
            mime_type="application/json",
        ),
        types.ResourceTemplate(
            uri_template="striatum://artifacts/{artifact_id}",
            name="artifact",
            description="An artifact: its record, SHA-256, provenance and text.",
            mime_type="application/json",
        ),
    ]


def read(uri: str, *, token: str | None, protocol_version: str) -> str:
    """The verb's JSON result; a Striatum failure raises the JSON-RPC error for it."""
    try:
        method, params = _route(uri)
        result: Any = rpc.call(method, params, token=token)
    except errors.StriatumError as error:
        raise read_error(error, uri, protocol_version) from None
    return json.dumps(result, sort_keys=True, indent=2, default=str)


def read_error(error: errors.StriatumError, uri: str, protocol_version: str) -> MCPError:
    """The JSON-RPC error the error table gives the code; a protocol that retired -32002
    gets -32602 (invalid params) for a missing resource instead."""
    code = error.jsonrpc_code
    if code == errors.MCP_RESOURCE_NOT_FOUND and protocol_version in MODERN_PROTOCOL_VERSIONS:
        code = INVALID_PARAMS
    return protocol_error(code, error, uri=uri)


def _route(uri: str) -> tuple[str, dict[str, Any]]:
    if uri in _FIXED:
        return _FIXED[uri][0], {}
    match = _RUN_STATUS.match(uri)
    if match:
        return "status", {"run_id": match.group(1)}
    match = _ARTIFACT.match(uri)
    if match:
        return "artifact.show", {"artifact": match.group(1)}
    raise errors.NotFound(
        f"no resource {uri}", hint="resources/list and resources/templates/list name what exists"
    )
