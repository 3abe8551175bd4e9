"""Which AI CLIs this machine has: the providers whose executable is on PATH.

`striatum task` picks its author and reviewers from them (VENDORS order: Claude Code, Codex,
Gemini CLI). Only a PATH look-up: the preflight asks each chosen CLI `--version` afterwards.
"""

from __future__ import annotations

import os
import shutil

from striatum.lanes.profiles import PROFILES
from striatum.starters.build import VENDORS


def ai_clis(search_path: str | None = None) -> tuple[str, ...]:
    """The providers found on `search_path` (default: this process's PATH), in VENDORS order."""
    path = os.environ.get("PATH", os.defpath) if search_path is None else search_path
    return tuple(p for p in VENDORS if shutil.which(PROFILES[p].executable, path=path))
