"""The six workflow shapes as plain data: jobs, which lane slot runs each, and the text.

A lane slot is "author" or "reviewer1".."reviewer3"; `build.py` maps slots to providers so
that every reviewer sits on a provider other than the author's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, kw_only=True)
class Shape:
    style: str
    example: str  # folder name under examples/
    name: str
    purpose: str
    jobs: list[dict[str, Any]]
    roles: dict[str, str]  # role -> what the role file says
    prompts: dict[str, str] = field(default_factory=dict)  # job id -> prompt text
    verdicts: dict[str, str] = field(default_factory=dict)  # scripted reviewer plans


def _job(
    job_id: str,
    kind: str,
    slot: str | None,
    role: str | None,
    title: str,
    outputs: list[str],
    depends_on: list[str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    job: dict[str, Any] = {"id": job_id, "kind": kind, "title": title}
    if slot:
        job["lane"] = slot
    if role:
        job["role"] = role
        job["prompt"] = f"prompts/{job_id}.md"
    job["depends_on"] = depends_on or []
    job["artifacts"] = [
        {"path": f"docs/striatum/{name}", "kind": kind if kind != "task" else "output"}
        for name in outputs
    ]
    job.update(extra)
    return job


def _review(target: str, max_revisions: int = 1, on_exhausted: str = "fail") -> dict[str, Any]:
    return {"target": target, "max_revisions": max_revisions, "on_exhausted": on_exhausted}


AUTHOR = "Writes the work product: clear, complete, and honest about what is not done."
REVIEWER = (
    "Judges another agent's work without having written it. Ends the findings with "
    "front matter `verdict: accept|needs_revision|reject` and lists concrete findings."
)
SYNTHESIZER = (
    "Merges reviews and drafts into one coherent result, citing where each point came from."
)
LEDGER = "Keeps a ledger: one row per claim or finding, with its source and its status."
AUDITOR = "Checks every claim against the ledger's evidence and flags what is unsupported."

SHAPES: dict[str, Shape] = {
    "minimal": Shape(
        style="minimal",
        example="minimal-flow",
        name="Minimal flow",
        purpose="One bounded job on one lane: the smallest useful workflow.",
        jobs=[_job("draft", "task", "author", "author", "Write the draft", ["draft.md"])],
        roles={"author": AUTHOR},
        prompts={"draft": "Write a one-page note on the topic in the task description."},
    ),
    "review": Shape(
        style="review",
        example="review-flow",
        name="Review flow",
        purpose="A draft, an independent review on another provider, and a synthesis.",
        jobs=[
            _job("draft", "task", "author", "author", "Write the draft", ["draft.md"]),
            _job(
                "review",
                "review",
                "reviewer1",
                "reviewer",
                "Review the draft",
                ["review.md"],
                ["draft"],
                review=_review("draft"),
            ),
            _job(
                "synthesis",
                "synthesis",
                "author",
                "synthesizer",
                "Fold the review in",
                ["synthesis.md"],
                ["review"],
            ),
        ],
        roles={"author": AUTHOR, "reviewer": REVIEWER, "synthesizer": SYNTHESIZER},
        prompts={
            "draft": "Draft the document described in the task.",
            "review": "Review the draft. Be specific; cite sections.",
            "synthesis": "Produce the final document, addressing every finding.",
        },
    ),
    "code-change": Shape(
        style="code-change",
        example="code-change-flow",
        name="Code change flow",
        purpose="A code change, reviewed on another provider, redone at most twice on "
        "`needs_revision`, then a handoff note.",
        jobs=[
            _job(
                "change",
                "task",
                "author",
                "author",
                "Make the change",
                ["change-summary.md"],
                write_scope=["src/", "tests/", "docs/striatum/"],
            ),
            _job(
                "code-review",
                "review",
                "reviewer1",
                "reviewer",
                "Review the change",
                ["code-review.md"],
                ["change"],
                review=_review("change", 2, "escalate"),
            ),
            _job(
                "handoff",
                "synthesis",
                "author",
                "author",
                "Write the handoff",
                ["handoff.md"],
                ["code-review"],
            ),
        ],
        roles={"author": AUTHOR, "reviewer": REVIEWER},
        prompts={
            "change": "Make the code change in the task; summarize what changed and why.",
            "code-review": "Review the change for correctness, tests and clarity.",
            "handoff": "Write a handoff: what changed, how it was checked, what is left.",
        },
        verdicts={"code-review": "needs_revision,accept"},
    ),
    "human-checkpoint": Shape(
        style="human-checkpoint",
        example="human-checkpoint-flow",
        name="Human checkpoint flow",
        purpose="A reviewed draft, then a human decides: continue to publish, or cancel.",
        jobs=[
            _job("draft", "task", "author", "author", "Write the proposal", ["proposal.md"]),
            _job(
                "review",
                "review",
                "reviewer1",
                "reviewer",
                "Review the proposal",
                ["proposal-review.md"],
                ["draft"],
                review=_review("draft"),
            ),
            _job(
                "decide",
                "checkpoint",
                None,
                None,
                "Human decision",
                [],
                ["review"],
                checkpoint={
                    "question": "Publish the reviewed proposal?",
                    "choices": {"continue": ["publish"], "cancel": []},
                },
            ),
            _job(
                "publish",
                "task",
                "author",
                "author",
                "Prepare the published version",
                ["published.md"],
                ["decide"],
            ),
        ],
        roles={"author": AUTHOR, "reviewer": REVIEWER},
        prompts={
            "draft": "Write the proposal described in the task.",
            "review": "Review the proposal; say what must change before it ships.",
            "publish": "Produce the final, publishable proposal.",
        },
    ),
    "evidence": Shape(
        style="evidence",
        example="support-ledger-flow",
        name="Support ledger flow",
        purpose="An evidence-backed document: every claim lands in a support ledger, an "
        "audit checks the evidence, and a review on another provider judges the result.",
        jobs=[
            _job(
                "draft",
                "task",
                "author",
                "author",
                "Write the evidence-backed draft",
                ["claims.md"],
            ),
            _job(
                "support-ledger",
                "ledger",
                "author",
                "ledger",
                "List claims and evidence",
                ["support-ledger.md"],
                ["draft"],
            ),
            _job(
                "evidence-audit",
                "audit",
                "reviewer1",
                "auditor",
                "Audit the evidence",
                ["evidence-audit.md"],
                ["support-ledger"],
            ),
            _job(
                "review",
                "review",
                "reviewer2",
                "reviewer",
                "Review the draft",
                ["claims-review.md"],
                ["evidence-audit"],
                review=_review("draft"),
            ),
        ],
        roles={"author": AUTHOR, "ledger": LEDGER, "auditor": AUDITOR, "reviewer": REVIEWER},
        prompts={
            "draft": "Write the document; mark every factual claim with a source.",
            "support-ledger": "Build a ledger: claim, source, quote, status.",
            "evidence-audit": "Check each ledger row; flag unsupported claims.",
            "review": "Judge the draft in light of the audit.",
        },
    ),
    "multi-review": Shape(
        style="multi-review",
        example="rfc-ledger-cleanup",
        name="RFC ledger cleanup",
        purpose="An RFC reviewed by three parallel reviewers on other providers; their "
        "findings go into a ledger, a synthesis folds them in, and a final review judges it.",
        jobs=[
            _job("rfc", "task", "author", "author", "Write the RFC", ["rfc.md"]),
            *[
                _job(
                    f"review-{n}",
                    "review",
                    f"reviewer{n}",
                    "reviewer",
                    f"Review {n} of the RFC",
                    [f"rfc-review-{n}.md"],
                    ["rfc"],
                    review=_review("rfc"),
                )
                for n in (1, 2, 3)
            ],
            _job(
                "findings-ledger",
                "ledger",
                "author",
                "ledger",
                "Ledger of findings",
                ["findings-ledger.md"],
                ["review-1", "review-2", "review-3"],
            ),
            _job(
                "synthesis",
                "synthesis",
                "author",
                "synthesizer",
                "Revise the RFC",
                ["rfc-final.md"],
                ["findings-ledger"],
            ),
            _job(
                "final-review",
                "review",
                "reviewer1",
                "reviewer",
                "Final review",
                ["rfc-final-review.md"],
                ["synthesis"],
                review=_review("synthesis"),
            ),
        ],
        roles={
            "author": AUTHOR,
            "reviewer": REVIEWER,
            "ledger": LEDGER,
            "synthesizer": SYNTHESIZER,
        },
        prompts={
            "rfc": "Write the RFC described in the task.",
            "review-1": "Review the RFC for correctness.",
            "review-2": "Review the RFC for operability and failure modes.",
            "review-3": "Review the RFC for clarity and missing alternatives.",
            "findings-ledger": "One row per finding: reviewer, section, severity, status.",
            "synthesis": "Revise the RFC, resolving every ledger row.",
            "final-review": "Judge the revised RFC against the ledger.",
        },
    ),
}
