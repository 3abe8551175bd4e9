"""Read-only MCP resources, each one a read verb: runs, the inbox, a run's status, an
artifact (its record, text and provenance)."""

from __future__ import annotations

import json
import re
from typing import Any

import mcp_types as types

from striatum import errors
from striatum.cli import client
from striatum.mcp.calls import failure

_FIXED = {
    "striatum://runs": ("list.runs", "Runs, newest first."),
    "striatum://inbox": ("inbox", "What waits for the human: checkpoints and escalations."),
}
_RUN_STATUS = re.compile(r"^striatum://runs/(run_[A-Za-z0-9_-]{1,60})/status$")
_ARTIFACT = re.compile(r"^striatum://artifacts/(art_[A-Za-z0-9_-]{1,60})$")


def fixed() -> list[types.Resource]:
    return [types.Resource(uri=uri, name=verb, description=text, mime_type="application/json")
            for uri, (verb, text) in _FIXED.items()]


def templates() -> list[types.ResourceTemplate]:
    return [
        types.ResourceTemplate(
            uri_template="striatum://runs/{run_id}/status", name="status",
            description="A run's jobs, leases, blockers and next actions.",
            mime_type="application/json"),
        types.ResourceTemplate(
            uri_template="striatum://artifacts/{artifact_id}", name="artifact",
            description="An artifact: its record, SHA-256, provenance and text.",
            mime_type="application/json")]


def read(uri: str, *, token: str | None) -> str:
    """The verb's JSON result; a Striatum failure becomes an {"error": ...} document."""
    try:
        method, params = _route(uri)
        result: Any = client.call(method, params, token=token)
    except errors.StriatumError as error:
        return error_document(error)
    return json.dumps(result, sort_keys=True, indent=2, default=str)


def error_document(error: errors.StriatumError) -> str:
    return json.dumps(failure(error).payload, sort_keys=True, indent=2)


def _route(uri: str) -> tuple[str, dict[str, Any]]:
    if uri in _FIXED:
        return _FIXED[uri][0], {}
    match = _RUN_STATUS.match(uri)
    if match:
        return "status", {"run_id": match.group(1)}
    match = _ARTIFACT.match(uri)
    if match:
        return "artifact.show", {"artifact": match.group(1)}
    raise errors.NotFound(f"no resource {uri}", hint="resources/list and "
                          "resources/templates/list name what exists")
