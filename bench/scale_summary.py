"""What bench.scale's cases add up to: growth with size, and the goals of issue 18 with `met`.

Pure: takes the measured cases (dicts with `mode`, `shape`, `jobs`, `overhead_per_job_ms`),
returns plain JSON-able dicts. The goals are stated beside the figures so a report can be read
without the issue at hand.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

# Issue 18: per-job cost near the physical floor, flat from 200 to 5,000 jobs.
SUPERVISED_MS = 10.0  # supervised overhead per job (instant agents, default lane settings)
OPERATOR_MS = 5.0  # operator-driven over RPC, per job
FLAT_RATIO = 1.2  # per-job overhead at the largest size / at the smallest (200 -> 5,000)
FLAT_EXPONENT = 0.05  # log(ratio) / log(size ratio)


def growth(cases: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per mode and shape, how per-job overhead grows from the smallest size to the largest:
    their ratio and the exponent k of overhead ~ jobs^k (0 is flat). Needs two sizes."""
    found = []
    for mode, shape in dict.fromkeys((c["mode"], c["shape"]) for c in cases):
        sized = sorted(
            (c for c in cases if (c["mode"], c["shape"]) == (mode, shape)), key=lambda c: c["jobs"]
        )
        small, large = sized[0], sized[-1]
        if large["jobs"] == small["jobs"]:
            continue
        ratio = large["overhead_per_job_ms"] / small["overhead_per_job_ms"]
        found.append(
            {
                "mode": mode,
                "shape": shape,
                "from_jobs": small["jobs"],
                "to_jobs": large["jobs"],
                "ratio": round(ratio, 3),
                "exponent": round(math.log(ratio) / math.log(large["jobs"] / small["jobs"]), 3),
            }
        )
    return found


def goals(cases: Sequence[dict[str, Any]], grown: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Each goal with its bound, the worst measured figure (None when nothing measured it)
    and whether it was met."""
    return {
        "supervised_overhead_per_job_ms": _at_most(
            SUPERVISED_MS,
            [c["overhead_per_job_ms"] for c in cases if c["mode"] == "supervised"],
        ),
        "operator_overhead_per_job_ms": _at_most(
            OPERATOR_MS, [c["overhead_per_job_ms"] for c in cases if c["mode"] == "operator"]
        ),
        "flat_ratio": _at_most(FLAT_RATIO, [g["ratio"] for g in grown]),
        "flat_exponent": _at_most(FLAT_EXPONENT, [g["exponent"] for g in grown]),
    }


def _at_most(bound: float, measured: Sequence[float]) -> dict[str, Any]:
    worst = max(measured, default=None)
    return {"goal": bound, "worst": worst, "met": None if worst is None else worst <= bound}
