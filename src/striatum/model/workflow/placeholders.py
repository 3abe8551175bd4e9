"""Lane command templates: `{name}` for a known placeholder is filled, every other brace is
literal (so a JSON argument or a shell snippet needs no escaping)."""

from __future__ import annotations

import re

NAMES = frozenset(
    {
        "prompt_file",
        "workdir",
        "workflow_dir",
        "output",
        "job_id",
        "attempt",
        "run_id",
        "artifact_root",
        "lease_id",
    }
)
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def fill(template: str, values: dict[str, str]) -> str:
    """`template` with each known placeholder replaced by its value ('' when not given)."""
    return _FIELD.sub(lambda m: values.get(m[1], "") if m[1] in NAMES else m[0], template)


def unknown(template: str) -> list[str]:
    """Names in braces that look like placeholders but are not (they stay literal)."""
    return [name for name in _FIELD.findall(template) if name not in NAMES]


def used(template: str) -> set[str]:
    """The known placeholders `template` uses."""
    return {name for name in _FIELD.findall(template) if name in NAMES}
