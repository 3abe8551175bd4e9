"""The web UI's application: routes by page family, static files, security, error pages."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from importlib import resources

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from striatum import errors
from striatum.web import actions, live, pages_code, pages_human, pages_jobs, pages_runs, render
from striatum.web.security import Guard, MutationPolicy, allowed_hosts, require_loopback

log = logging.getLogger("striatum.web")


@dataclass(frozen=True, kw_only=True)
class WebConfig:
    host: str = "127.0.0.1"
    port: int = 8765
    allow_mutations: bool = False
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))


def create_app(config: WebConfig) -> Starlette:
    """The app for one server; refuses a non-loopback host (usage error)."""
    require_loopback(config.host)
    static = resources.files("striatum.web") / "static"
    routes = [
        *pages_runs.routes(),
        *pages_jobs.routes(),
        *pages_code.routes(),
        *pages_human.routes(),
        *actions.routes(),
        *live.routes(),
        Mount("/static", app=StaticFiles(directory=str(static)), name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=_lifespan,
        middleware=[Middleware(Guard, hosts=allowed_hosts(config.host, config.port))],
        exception_handlers={
            errors.StriatumError: _striatum_error,
            HTTPException: _http_error,
            Exception: _bug,
        },
    )
    app.state.policy = MutationPolicy(allowed=config.allow_mutations, secret=config.secret)
    return app


@contextlib.asynccontextmanager
async def _lifespan(app: Starlette) -> AsyncIterator[None]:
    """Remember the loop, so a signal handler can close live streams through it."""
    app.state.loop = asyncio.get_running_loop()
    app.state.closing = asyncio.Event()
    yield
    app.state.closing.set()


async def _striatum_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, errors.StriatumError)
    return render.error_page(request, error.http_status, error.message, error.hint)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    message = "no such page" if error.status_code == 404 else str(error.detail)
    return render.error_page(request, error.status_code, message)


async def _bug(request: Request, error: Exception) -> Response:
    log.exception("web request %s failed", request.url.path, exc_info=error)
    return render.error_page(request, 500, "internal error; see the server's log")
