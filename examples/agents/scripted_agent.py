#!/usr/bin/env python3
"""A scripted stand-in for an AI agent, so the examples run with no AI CLI installed.

It reads its prompt, writes a Markdown artifact at --out with YAML front matter, and, for a
review job listed in the plan file, a verdict chosen by attempt number from the plan
(e.g. "needs_revision,accept": the first attempt asks for a revision, later ones accept).
Standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job", required=True)
    parser.add_argument("--attempt", type=int, default=1)
    parser.add_argument("--prompt", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--plan", type=Path)
    args = parser.parse_args()
    prompt = args.prompt.read_text(encoding="utf-8") if args.prompt.exists() else ""
    verdict = choose_verdict(args.plan, args.job, args.attempt)
    front = [f"job: {args.job}", f"attempt: {args.attempt}", "author: scripted-agent"]
    if verdict:
        front.append(f"verdict: {verdict}")
    body = [
        f"# {args.job} (attempt {args.attempt})",
        "",
        "Scripted output standing in for an agent's work.",
        "",
        f"The prompt had {len(prompt.splitlines())} lines.",
    ]
    if verdict == "needs_revision":
        body += ["", "## Findings", "", "- Scripted finding: tighten the summary."]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        "---\n" + "\n".join(front) + "\n---\n\n" + "\n".join(body) + "\n", encoding="utf-8"
    )
    return 0


def choose_verdict(plan_file: Path | None, job: str, attempt: int) -> str | None:
    """The planned verdict for a review job, or accept for reviews without a plan."""
    if plan_file is None or not plan_file.exists():
        return None
    plan: dict[str, object] = json.loads(plan_file.read_text(encoding="utf-8")).get("verdicts", {})
    if job not in plan:
        return "accept" if "review" in job else None
    sequence = [v.strip() for v in str(plan[job]).split(",") if v.strip()]
    return sequence[min(attempt, len(sequence)) - 1]


if __name__ == "__main__":
    sys.exit(main())
