"""Templates: Jinja2 with autoescaping everywhere, and the few filters pages share.

A page asked for with `?fragment=1` renders only its `content` block: the live script swaps
it in when an event arrives, so a page and its live update can never differ.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from striatum.model import usage_text
from striatum.web import confirm, markdown


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("striatum.web", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(markdown=markdown.render, when=when, duration=duration, age=age, short=short)
    env.filters.update(
        used=usage_text.total_text, used_cell=usage_text.cell, budget=usage_text.budget_text
    )
    return env


def page(request: Request, name: str, http_status: int = 200, **context: Any) -> HTMLResponse:
    template = environment().get_template(name)
    policy = request.app.state.policy
    values = {
        "request": request,
        "mutations": policy.allowed,
        "secret": policy.secret,
        "here": request.url.path,
        **context,
    }
    if request.query_params.get("fragment") == "1" and "content" in template.blocks:
        body = "".join(template.blocks["content"](template.new_context(values)))
        return HTMLResponse(body, status_code=http_status)
    flash = confirm.take_flash(request, policy.secret)
    response = HTMLResponse(template.render({**values, "flash": flash}), status_code=http_status)
    if flash is not None:
        confirm.clear_flash(response)  # shown once
    return response


def error_page(
    request: Request,
    status: int,
    message: str,
    hint: str | None = None,
) -> HTMLResponse:
    return page(
        request, "error.html", http_status=status, status_code=status, message=message, hint=hint
    )


def parse_time(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def when(value: Any) -> str:
    """A timestamp as `YYYY-MM-DD HH:MM:SS` UTC ('' when absent)."""
    parsed = parse_time(value)
    return parsed.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S") if parsed else ""


def duration(start: Any, end: Any = None) -> str:
    """Time from start to end (or to now while running), as `1h 02m`, `3m 05s` or `4.2s`."""
    began = parse_time(start)
    if began is None:
        return ""
    finished = parse_time(end) or dt.datetime.now(dt.UTC)
    return age(max((finished - began).total_seconds(), 0.0))


def age(seconds: Any) -> str:
    try:
        total = float(seconds)
    except (TypeError, ValueError):
        return ""
    if total < 60:
        return f"{total:.1f}s"
    minutes, secs = divmod(int(total), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    return f"{minutes // 60}h {minutes % 60:02d}m"


def short(value: Any, length: int = 12) -> str:
    return str(value or "")[:length]
