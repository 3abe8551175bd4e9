"""`striatum mcp serve`: the verb catalog over MCP, on stdio or streamable HTTP on loopback.

Over stdio the caller's token is the one the CLI would use (STRIATUM_TOKEN, e.g. an agent's
lane token, else this host's operator token file). Over HTTP every request must bring its own
`Authorization: Bearer <token>`: a loopback port is reachable by every local user, so the
server lends no authority of its own; `bearer.BearerGate` answers 401 before the MCP layer
when the token is missing or not live.

We list everything on one page, so any pagination cursor is invalid params (-32602).
"""

from __future__ import annotations

import json
from typing import Any

import anyio
import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from striatum import __version__, errors
from striatum.loopback import bracketed
from striatum.mcp import resources
from striatum.mcp.bearer import BearerGate, bearer_token
from striatum.mcp.calls import Outcome, call_tool, failure, unknown_tool
from striatum.mcp.tools import TOOLS, ToolSpec

INSTRUCTIONS = (
    "Striatum coordinates AI coding agents through explicit workflows. Every tool is a Striatum "
    "verb (same name with `_` for `.`/`-`) and returns its JSON result; failures are tool "
    "errors carrying Striatum's error code (an unknown tool is a protocol error). Start "
    "with `status` or `inbox`; work a run with `register_session`, `claim_next`, "
    "`publish_artifact`, `verdict`, `complete`."
)


def build(*, http: bool) -> Server[Any]:
    async def list_tools(
        ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        _one_page(params)
        return types.ListToolsResult(tools=[_tool(spec) for spec in TOOLS.values()])

    async def call(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        if params.name not in TOOLS:
            raise unknown_tool(params.name)
        try:
            token = _bearer(ctx) if http else None
        except errors.StriatumError as error:
            return _result(failure(error))
        outcome = await anyio.to_thread.run_sync(
            lambda: call_tool(params.name, params.arguments, token=token)
        )
        return _result(outcome)

    async def read(ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        version = str(getattr(ctx, "protocol_version", ""))
        try:
            token = _bearer(ctx) if http else None
        except errors.StriatumError as error:
            raise resources.read_error(error, params.uri, version) from None
        text = await anyio.to_thread.run_sync(
            lambda: resources.read(params.uri, token=token, protocol_version=version)
        )
        return types.ReadResourceResult(
            contents=[
                types.TextResourceContents(uri=params.uri, mime_type="application/json", text=text)
            ]
        )

    async def list_resources(
        ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        _one_page(params)
        return types.ListResourcesResult(resources=resources.fixed())

    async def list_templates(
        ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        _one_page(params)
        return types.ListResourceTemplatesResult(resource_templates=resources.templates())

    return Server(
        "striatum",
        version=__version__,
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call,
        on_read_resource=read,
        on_list_resources=list_resources,
        on_list_resource_templates=list_templates,
    )


def serve_stdio() -> None:
    server = build(http=False)

    async def main() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    anyio.run(main)


def serve_http(host: str, port: int) -> None:
    import uvicorn
    from mcp.server.transport_security import TransportSecuritySettings

    # DNS-rebinding protection for whichever loopback spelling was asked for, not only the
    # three the SDK knows: a page elsewhere must not reach this port through a rebound name.
    netloc = bracketed(host)
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[f"{netloc}:*"],
        allowed_origins=[f"http://{netloc}:*"],
    )
    app = build(http=True).streamable_http_app(host=host, transport_security=security)
    uvicorn.run(BearerGate(app, security), host=host, port=port, log_level="warning")


def _tool(spec: ToolSpec) -> types.Tool:
    hints = types.ToolAnnotations(
        title=spec.title, read_only_hint=spec.read_only, open_world_hint=False
    )
    if not spec.read_only:  # the protocol ignores these on a read-only tool
        hints.destructive_hint = spec.destructive
        hints.idempotent_hint = spec.idempotent
    return types.Tool(
        name=spec.name,
        title=spec.title,
        description=spec.description,
        input_schema=spec.input_schema,
        annotations=hints,
    )


def _one_page(params: types.PaginatedRequestParams | None) -> None:
    if params is not None and params.cursor is not None:
        raise MCPError(
            code=INVALID_PARAMS,
            message="Invalid cursor: every list fits on one "
            "page, so there is no cursor to continue from",
            data={"cursor": params.cursor},
        )


def _result(outcome: Outcome) -> types.CallToolResult:
    text = json.dumps(outcome.payload, sort_keys=True, default=str)
    return types.CallToolResult(
        content=[types.TextContent(text=text)],
        structured_content=json.loads(text),
        is_error=outcome.is_error,
    )


def _bearer(ctx: Any) -> str:
    request = getattr(ctx, "request", None)
    return bearer_token(request.headers.get("authorization", "") if request is not None else "")
