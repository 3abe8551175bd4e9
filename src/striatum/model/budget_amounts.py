"""A budget's amount in dollars as a caller gives it: pure, so that a door (the CLI's `task`)
checks it without importing the engine."""

from __future__ import annotations

import math

from striatum import errors


def dollars(text: str, parameter: str) -> float | None:
    """A budget in US dollars, as given ('none' lifts the limit)."""
    if text.strip().lower() == "none":
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not 0 < value <= 1_000_000:
        raise errors.ValidationError(
            f"--{parameter.replace('_', '-')} must be dollars above 0 and at most 1000000 "
            f"(or none), not {text!r}",
            parameter=parameter,
        )
    return value
