"""`report-usage`, and the usage a completion or a failure carries (docs/SPEC.md §9)."""

from __future__ import annotations

import json
from typing import Any

from striatum import errors
from striatum.engine import leases
from striatum.engine import usage as attempt_usage
from striatum.engine.context import Context
from striatum.engine.leases import Held
from striatum.model import usage as usage_model
from striatum.model.usage import Usage


def report_usage(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    report = {
        name: params[name]
        for name in ("input_tokens", "cached_tokens", "output_tokens", "model")
        if params.get(name) is not None
    }
    if params.get("cost_usd") is not None:
        report["cost_usd"] = _dollars(params["cost_usd"])
    usage = _checked(report, where="usage", parameter=None)
    if not usage.known:
        raise errors.ValidationError(
            "report-usage needs at least one of --input-tokens, --cached-tokens, "
            "--output-tokens, --cost-usd",
            parameter="output_tokens",
        )
    found = leases.held(ctx, params["lease"])
    attempt_usage.record(ctx, found.run, found.job.job_id, found.job.attempt, usage)
    return {
        "job_id": found.job.job_id,
        "attempt": found.job.attempt,
        "usage": usage.to_payload(),
    }


def record_carried(ctx: Context, found: Held, params: dict[str, Any]) -> bool:
    """Record the `usage` a `complete`, `fail` or `park` carries (a JSON object), if any;
    whether it reached a budget (the run paused): the caller's run row is then stale. A hard
    budget stops the run's other attempts, never this one: it is ending."""
    text = params.get("usage")
    if not text:
        return False
    try:
        document = json.loads(text)
    except ValueError as error:
        raise errors.ValidationError(
            f"--usage must be a JSON object: {error}", parameter="usage"
        ) from None
    usage = _checked(document, where="usage", parameter="usage")
    if not usage.known:
        return False
    spends = attempt_usage.record(
        ctx, found.run, found.job.job_id, found.job.attempt, usage, ending=found.lease.lease_id
    )
    return any(spend.reached for spend in spends)


def _checked(document: Any, *, where: str, parameter: str | None) -> Usage:
    try:
        return usage_model.from_payload(document, where=where)
    except usage_model.UsageError as error:
        name = parameter or error.field.removeprefix(f"{where}.")
        raise errors.ValidationError(str(error), parameter=name) from None


def _dollars(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise errors.ValidationError(
            f"--cost-usd must be a number of dollars such as 0.042, not {text!r}",
            parameter="cost_usd",
        ) from None
