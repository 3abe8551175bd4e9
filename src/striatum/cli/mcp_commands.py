"""`striatum mcp serve`: the MCP door (the SDK is imported only when serving)."""

from __future__ import annotations

import click

from striatum import errors
from striatum.loopback import bracketed, is_loopback


@click.group()
def mcp() -> None:
    """The MCP server: every verb as an MCP tool, for agents."""


@mcp.command()
@click.option(
    "--http",
    "http",
    is_flag=True,
    help="Serve streamable HTTP on loopback instead of stdio; every request must "
    "carry `Authorization: Bearer <token>`.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Loopback address for --http (anything else is refused, exit 2).",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8766,
    show_default=True,
    help="Port for --http.",
)
def serve(http: bool, host: str, port: int) -> None:
    """Serve the verb catalog over MCP (stdio by default).

    Tools are the verbs (`run.start` is `run_start`, `claim-next` is `claim_next`), each with
    the verb's description and input schema; calls go through the daemon with the caller's
    token (STRIATUM_TOKEN — an agent's lane token — else this host's operator token), so roles
    and the audit log apply as for the CLI. Results are the verb's --json result; failures are
    tool errors carrying Striatum's error code and exit code.
    """
    if http and not is_loopback(host):  # refused before the SDK loads
        raise errors.UsageError(
            f"--host {host}: the MCP server binds loopback only (127.0.0.1, ::1 or localhost)",
            parameter="host",
        )
    from striatum.mcp import server

    if not http:
        server.serve_stdio()
        return
    click.echo(
        f"striatum: MCP over streamable HTTP at http://{bracketed(host)}:{port}/mcp", err=True
    )
    server.serve_http(host, port)
