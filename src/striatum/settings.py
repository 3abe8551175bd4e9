"""Numeric settings from the environment, read the same way everywhere: a bad value is
logged and the default used, so a typo never stops the daemon."""

from __future__ import annotations

import logging

from striatum import paths

log = logging.getLogger("striatumd")


def number(name: str, default: float) -> float:
    try:
        return float(paths.setting(name) or default)
    except ValueError:
        log.warning("%s is not a number; using %s", name, default)
        return default
