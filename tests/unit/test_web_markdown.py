"""Artifact Markdown renders without raw HTML and with only http(s) or relative links."""

from __future__ import annotations

import pytest

from striatum.web import markdown


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:x",
        " javascript:x",
        "java\tscript:x",
        "data:text/html,x",
        "file:///etc/passwd",
        "vbscript:x",
        "mailto:a@b",
    ],
)
def test_other_schemes_are_refused(url: str) -> None:
    assert not markdown.allowed_link(url)


@pytest.mark.parametrize(
    "url", ["https://example.org/x", "http://x", "../notes.md", "/runs", "#top", "a/b:c"]
)
def test_http_and_relative_links_are_kept(url: str) -> None:
    assert markdown.allowed_link(url)


def test_raw_html_becomes_text() -> None:
    html = markdown.render("<script>alert(1)</script>\n\n<b onclick=x>bold</b> *em*")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b " not in html and "<em>em</em>" in html


def test_refused_links_stay_text_and_images_follow_the_same_rule() -> None:
    html = markdown.render(
        "[a](javascript:alert(1)) ![i](data:image/png;base64,AA) [b](https://ok.example)"
    )
    assert 'href="javascript' not in html and "<img" not in html
    assert '<a href="https://ok.example">b</a>' in html
