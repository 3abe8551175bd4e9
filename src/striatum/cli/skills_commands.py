"""`striatum skills install`: local, no daemon needed."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

PROFILE_CHOICES = ("claude_code", "codex", "gemini", "all")


@click.group()
def skills() -> None:
    """Skill bundles that teach Claude Code, Codex and Gemini CLI to drive Striatum."""


@skills.command()
@click.option(
    "--profile",
    type=click.Choice(PROFILE_CHOICES),
    required=True,
    help="Which agent's skills directory: .claude/skills (claude_code), "
    ".agents/skills (codex, gemini), or all.",
)
@click.option(
    "--project",
    is_flag=True,
    help="Install into the repository (--repo, else the git root of the cwd) "
    "instead of your home directory.",
)
@click.option(
    "--force", is_flag=True, help="Overwrite skill files you edited (or that are not Striatum's)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def install(ctx: click.Context, profile: str, project: bool, force: bool, as_json: bool) -> None:
    """Write the skills (claim loop, review, recover, write a workflow, escalate).

    Each SKILL.md carries the Striatum version that wrote it; an install manifest
    (.striatum-skills.json) records every file's SHA-256, so reinstalling replaces only
    Striatum's own unedited files and refuses (exit 5) to overwrite an edited one unless
    --force. Running it twice changes nothing.
    """
    from striatum.skills import install as installer

    base = project_root(ctx) if project else Path.home()
    result = installer.install(profile, base, force=force)
    if as_json:
        click.echo(json.dumps(result, indent=2, sort_keys=True))
        return
    for entry in result["directories"]:
        click.echo(describe(entry))


def describe(entry: dict[str, Any]) -> str:
    counts = ", ".join(
        f"{len(entry[k])} {k}" for k in ("written", "unchanged", "removed") if entry[k]
    )
    verb = "updated" if entry["changed"] else "already current"
    return f"skills {verb}: {entry['directory']} ({counts or 'nothing to do'})"


def project_root(ctx: click.Context) -> Path:
    from striatum.client.local_params import git_root

    repo = (ctx.find_root().obj or {}).get("repo")
    if repo is not None:
        return Path(repo).resolve()
    return Path(git_root(os.getcwd()) or os.getcwd())
