"""`striatum serve --web`: the local web UI (Starlette and uvicorn load only here)."""

from __future__ import annotations

from types import FrameType

import click

from striatum import errors


@click.command()
@click.option(
    "--web", "web", is_flag=True, help="Serve the web UI (the one door `serve` offers so far)."
)
@click.option(
    "--allow-mutations",
    is_flag=True,
    help="Show and accept the principal's actions (decide, resolve, override, "
    "requeue, cancel). Without it every action answers 403.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="A loopback address; any other is refused with exit code 2.",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8765,
    show_default=True,
    help="TCP port to listen on.",
)
def serve(web: bool, allow_mutations: bool, host: str, port: int) -> None:
    """Serve the web UI on this machine's loopback interface until Ctrl-C.

    Read-only unless --allow-mutations; reads use your token (STRIATUM_TOKEN or this host's
    operator token), actions this host's principal token. Exit codes: 2 for a non-loopback
    --host, a port in use, or a missing --web.
    """
    if not web:
        raise errors.UsageError("say which door to serve: striatum serve --web")
    from striatum.web import security

    security.require_loopback(host)
    _check_port_free(host, port)
    import uvicorn

    from striatum.web.app import WebConfig, create_app

    app = create_app(WebConfig(host=host, port=port, allow_mutations=allow_mutations))
    from striatum.loopback import bracketed

    shown = bracketed(host)
    mode = "actions enabled" if allow_mutations else "read-only"
    click.echo(f"striatum: web UI on http://{shown}:{port}/ ({mode}); Ctrl-C stops it", err=True)
    from striatum.web import live

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            live.close_streams(app)  # live streams never end by themselves
            super().handle_exit(sig, frame)

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    Server(config).run()


def _check_port_free(host: str, port: int) -> None:
    import socket  # here, not at the top: `striatum --help` builds this command too

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    probe = socket.socket(family, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host.strip("[]") if host != "localhost" else "127.0.0.1", port))
    except OSError as error:
        raise errors.UsageError(
            f"cannot listen on {host}:{port}: {error.strerror}", hint="choose another --port"
        ) from None
    finally:
        probe.close()
