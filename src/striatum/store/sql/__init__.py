"""Named SQL queries, loaded from the `.sql` files beside this module.

Each query starts with a `-- name: <query_name>` line followed by one comment line saying what
it does. Code reads them as `queries("chains")["lock_head"]`.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import LiteralString, cast

_HEADER = re.compile(r"^-- name: (\w+)\s*$", re.MULTILINE)


@functools.cache
def queries(file_stem: str) -> dict[str, LiteralString]:
    """All queries of `<file_stem>.sql`, by name."""
    text = resources.files(__package__).joinpath(f"{file_stem}.sql").read_text("utf-8")
    return parse(text)


def parse(text: str) -> dict[str, LiteralString]:
    """Split a file of `-- name:` blocks into {name: sql}."""
    parts = _HEADER.split(text)
    found: dict[str, LiteralString] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in found:
            raise ValueError(f"query {name!r} is defined twice")
        # The files ship with the package, so their text is as trusted as a literal.
        found[name] = cast(LiteralString, body.strip())
    return found
