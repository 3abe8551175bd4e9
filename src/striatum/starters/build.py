"""Turning a shape into files: workflow.json, roles/, prompts/, and for scripted lanes a plan.

Pure: returns {relative path: text}. `write` puts them on disk without overwriting anything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from striatum import errors
from striatum.model.workflow import graph
from striatum.model.workflow.schema import SCHEMA_VERSION, Workflow
from striatum.starters.shapes import SHAPES, Shape

VENDORS = ("claude_code", "codex", "gemini")
PLAN_FILE = "scripted-plan.json"


def build(
    style: str,
    *,
    providers: list[str],
    scripted: bool,
    schema_ref: str,
    agent_script: str = "{workflow_dir}/agents/scripted_agent.py",
) -> dict[str, str]:
    shape = _shape(style)
    slots = sorted({job["lane"] for job in shape.jobs if "lane" in job})
    lanes = {slot: _lane(slot, providers, scripted, agent_script) for slot in slots}
    document: dict[str, Any] = {
        "$schema": schema_ref,
        "schema_version": SCHEMA_VERSION,
        "id": shape.example,
        "name": shape.name,
        "description": shape.purpose,
        "artifact_root": "docs/striatum",
        "lanes": lanes,
        "roles": {role: f"roles/{role}.md" for role in shape.roles},
        "jobs": shape.jobs,
    }
    files = {"workflow.json": json.dumps(document, indent=2) + "\n"}
    for role, text in shape.roles.items():
        files[f"roles/{role}.md"] = f"# Role: {role}\n\n{text}\n"
    for job_id, text in shape.prompts.items():
        files[f"prompts/{job_id}.md"] = f"# {job_id}\n\n{text}\n"
    if scripted:
        files[PLAN_FILE] = json.dumps({"verdicts": shape.verdicts}, indent=2) + "\n"
    return files


def readme(style: str, files: dict[str, str], *, folder: str | None = None) -> str:
    """An example's README: what the shape is for, its graph, how to run it. `folder`: where
    the example lives, as its reader will type it (default `examples/<name>`)."""
    shape = _shape(style)
    folder = folder or f"examples/{shape.example}"
    agent = "examples/agents" if folder.startswith("examples/") else f"{folder}/agents"
    workflow = Workflow.model_validate(json.loads(files["workflow.json"]))
    return (
        f"# {shape.name} (`{shape.example}`)\n\n{shape.purpose}\n\n## The graph\n\n"
        f"```\n{graph.text(workflow)}```\n\n```mermaid\n{graph.mermaid(workflow)}```\n\n"
        f"## Running it\n\nIts lanes are `command` lanes running `{agent}/"
        "scripted_agent.py`, so it runs with no AI CLI installed:\n\n```sh\n"
        f"striatum workflow validate {folder}/workflow.json\n"
        f"striatum workflow graph {folder}/workflow.json\n```\n\n"
        "Swap a lane's `provider` to `claude_code`, `codex` or `gemini` (and drop its "
        "`command`) to run real agents; keep reviewers on a provider other than the job "
        "they judge.\n"
    )


def write(directory: Path, files: dict[str, str]) -> list[Path]:
    """Create the files; refuse (before writing anything) if any of them exists."""
    targets = [directory / name for name in files]
    existing = [str(t) for t in targets if t.exists()]
    if existing:
        raise errors.Conflict(
            f"refusing to overwrite {', '.join(existing)}", hint="choose an empty directory"
        )
    for target, text in zip(targets, files.values(), strict=True):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return targets


def _shape(style: str) -> Shape:
    if style not in SHAPES:
        raise errors.UsageError(f"unknown style {style!r}; styles: {', '.join(SHAPES)}")
    return SHAPES[style]


def _lane(slot: str, providers: list[str], scripted: bool, agent_script: str) -> dict[str, Any]:
    if scripted:
        return {
            "provider": "command",
            "model": f"scripted-{slot}",
            "command": [
                "python3",
                agent_script,
                "--job",
                "{job_id}",
                "--attempt",
                "{attempt}",
                "--prompt",
                "{prompt_file}",
                "--out",
                "{output}",
                "--plan",
                "{workflow_dir}/" + PLAN_FILE,
            ],
            "timeout_s": 120,
        }
    return {"provider": provider_for(slot, providers)}


def provider_for(slot: str, providers: list[str]) -> str:
    """The author takes the first provider; reviewers take the others, round-robin."""
    unknown = [p for p in providers if p not in VENDORS]
    if unknown or not providers:
        raise errors.UsageError(f"--lanes takes providers from {', '.join(VENDORS)}")
    if slot == "author":
        return providers[0]
    others = [p for p in providers if p != providers[0]]
    if not others:
        raise errors.UsageError(
            "this style has reviews, which need a second provider: "
            "give --lanes at least two (e.g. claude_code,codex)"
        )
    return others[(int(slot.removeprefix("reviewer")) - 1) % len(others)]
