"""Artifact Markdown to HTML that cannot carry a script.

Raw HTML in the source is disabled (it comes out as text), and links and images may only point
to http, https or relative URLs (no javascript:, data:, file: or other schemes). What an agent
writes is never trusted: this and the Content-Security-Policy are two separate walls.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markupsafe import Markup

_SCHEME_LIKE = re.compile(r"^[^/?#]*:")
ALLOWED_SCHEMES = frozenset({"http", "https"})


def allowed_link(url: str) -> bool:
    """http(s) or relative; anything that looks like another scheme is refused."""
    cleaned = "".join(ch for ch in url if ch.isprintable() and not ch.isspace())
    try:
        scheme = urlsplit(cleaned).scheme.lower()
    except ValueError:
        return False
    if scheme:
        return scheme in ALLOWED_SCHEMES
    return not _SCHEME_LIKE.match(cleaned)


@functools.cache
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.enable("table")
    parser.validateLink = allowed_link  # type: ignore[method-assign]
    return parser


def render(text: str) -> Markup:
    """Safe HTML for a Markdown text (markdown-it escapes everything it does not render)."""
    return Markup(_parser().render(text))  # html disabled, links filtered
