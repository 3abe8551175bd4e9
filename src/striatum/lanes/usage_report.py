"""What an attempt used, as the supervisor records it: the CLI's own report, or for a
`command` lane the JSON file the agent wrote at `$STRIATUM_USAGE`, with a cost estimated from
the price table when none was reported."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from striatum.model.prices import PriceTable
from striatum.model.usage import Usage, UsageError, from_payload

FILE_LIMIT = 64 * 1024  # a usage document is a few hundred bytes


def combine(
    reported: Usage | None,
    usage_file: Path | None,
    prices: PriceTable,
    *,
    model: str | None = None,
) -> tuple[Usage | None, str | None]:
    """(the attempt's usage or None when nothing was reported, a problem worth logging or
    None). `reported` is what the CLI said (`attempt_end.judge` reads it once); the agent's
    file is read only when the CLI said nothing (a `command` lane has no CLI to say it).
    `model` names the model when the report does not (Codex's, found in its session file) so
    that a cost can be estimated."""
    usage, problem = reported, None
    if usage is None and usage_file is not None:
        usage, problem = read_usage_file(usage_file)
    if usage is None:
        return None, problem
    if usage.model is None and model is not None:
        usage = replace(usage, model=model)
    return prices.estimate(usage), problem


def read_usage_file(path: Path) -> tuple[Usage | None, str | None]:
    """The usage an agent wrote at `path`: (None, None) when it wrote none, (None, why) when
    what it wrote is not a usage document."""
    try:
        with path.open("rb") as file:
            raw = file.read(FILE_LIMIT + 1)
    except FileNotFoundError:
        return None, None
    except OSError as error:
        return None, f"cannot read the usage file {path}: {error.strerror or error}"
    if len(raw) > FILE_LIMIT:
        return None, f"the usage file {path} is over {FILE_LIMIT} bytes; ignored"
    try:
        return from_payload(json.loads(raw), where=str(path)), None
    except UsageError as error:
        return None, f"the usage file is ignored: {error}"
    except (ValueError, RecursionError) as error:  # not JSON, or not UTF-8
        return None, f"the usage file {path} is not JSON ({error}); ignored"
