"""JSON paths as people read them: `$.jobs[2].depends_on[0]`. Standard library only."""

from __future__ import annotations


def json_path(*parts: str | int) -> str:
    """`$` followed by `.name` for keys and `[i]` for list indexes."""
    text = "$"
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.replace("_", "").replace("-", "").isalnum() and not part[:1].isdigit():
            text += f".{part}"
        else:
            text += f"[{part!r}]"
    return text
