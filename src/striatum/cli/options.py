"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def database_url_option(function: F) -> F:
    return click.option(
        "--database-url",
        envvar="STRIATUM_DATABASE_URL",
        default=None,
        metavar="URL",
        help="Use this PostgreSQL 14+ server instead of the embedded one "
        "(env STRIATUM_DATABASE_URL).",
    )(function)
