"""`striatum skills install` and the bundle check behind `striatum doctor`.

Claude Code reads `.claude/skills/`, Codex and Gemini CLI read `.agents/skills/`: in the
project with --project, else in the user's home. Each directory gets an install manifest
(`.striatum-skills.json`: version, profiles, and the SHA-256 of every file we wrote), which is
how a reinstall tells our outdated files from the user's edits.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from striatum import __version__, atomic, errors
from striatum.skills import bundle
from striatum.skills.plan import Plan, decide

PROFILES = ("claude_code", "codex", "gemini")
SKILL_DIRS = {
    "claude_code": ".claude/skills",
    "codex": ".agents/skills",
    "gemini": ".agents/skills",
}
MANIFEST = ".striatum-skills.json"
OUR_PATH = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*/SKILL\.md$")


def profiles_of(profile: str) -> tuple[str, ...]:
    """`all` or one profile, as the profiles it names."""
    chosen = PROFILES if profile == "all" else (profile,)
    if any(p not in PROFILES for p in chosen):
        raise errors.UsageError(
            f"--profile {profile}: choose one of {', '.join(PROFILES)}, all", parameter="profile"
        )
    return chosen


def targets(profile: str, base: Path) -> dict[Path, list[str]]:
    """Skills directory -> the profiles it serves."""
    found: dict[Path, list[str]] = {}
    for name in profiles_of(profile):
        found.setdefault(base / SKILL_DIRS[name], []).append(name)
    return found


def install(profile: str, base: Path, *, force: bool = False) -> dict[str, Any]:
    """Plan every directory first; write nothing when any plan has a conflict."""
    desired_text = bundle.files(__version__)
    desired = {path: sha256(text.encode()) for path, text in desired_text.items()}
    plans = []
    for directory, profiles in targets(profile, base).items():
        manifest = read_manifest(directory)
        plan = decide(
            desired,
            on_disk(directory, set(desired) | set(manifest["files"])),
            manifest["files"],
            force=force,
        )
        plans.append((directory, sorted(set(profiles) | set(manifest["profiles"])), plan))
    _refuse_conflicts(plans, profile, base)
    return {
        "profile": profile,
        "version": __version__,
        "directories": [_apply(d, p, plan, desired_text, desired) for d, p, plan in plans],
    }


def _refuse_conflicts(plans: list[tuple[Path, list[str], Plan]], profile: str, base: Path) -> None:
    clashes = [str(d / path) for d, _, plan in plans for path in plan.conflicts]
    if clashes:
        raise errors.Conflict(
            "refusing to overwrite skill files that were edited or are not Striatum's: "
            + ", ".join(clashes),
            files=clashes,
            hint=f"keep your edits elsewhere, or replace them: {fix_command(profile, base)} "
            "--force",
        )


def _apply(
    directory: Path, profiles: list[str], plan: Plan, texts: dict[str, str], hashes: dict[str, str]
) -> dict[str, Any]:
    for path in plan.write:
        atomic.write_text(directory / path, texts[path])
    for path in plan.remove:
        (directory / path).unlink()
        _remove_empty(directory / path)
    manifest = {
        "generator": bundle.GENERATOR,
        "version": __version__,
        "profiles": profiles,
        "files": hashes,
    }
    rendered = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file() or manifest_path.read_text("utf-8") != rendered:
        atomic.write_text(manifest_path, rendered)
    return {
        "directory": str(directory),
        "profiles": profiles,
        "written": list(plan.write),
        "unchanged": list(plan.unchanged),
        "removed": list(plan.remove),
        "kept_edited": list(plan.kept),
        "changed": plan.changes,
    }


def read_manifest(directory: Path) -> dict[str, Any]:
    """What we installed here before; empty when nothing (or nothing readable) is recorded."""
    empty: dict[str, Any] = {"version": None, "profiles": [], "files": {}}
    try:
        data = json.loads((directory / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return empty
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        return empty
    # The manifest lives in the repository, so a clone controls it: only paths of the shape
    # we write (`<skill>/SKILL.md`) count; a `../` or absolute path must never be removed.
    files = {str(k): str(v) for k, v in data["files"].items() if OUR_PATH.match(str(k))}
    profiles = [p for p in data.get("profiles") or [] if p in PROFILES]
    return {"version": data.get("version"), "profiles": profiles, "files": files}


def on_disk(directory: Path, paths: set[str]) -> dict[str, str | None]:
    """SHA-256 of each file as it is now; a symlink counts as foreign (never followed)."""
    found: dict[str, str | None] = {}
    for path in paths:
        target = directory / path
        if target.is_symlink() or target.parent.is_symlink():
            found[path] = "symlink"
        elif target.is_file():
            found[path] = sha256(target.read_bytes())
        else:
            found[path] = "not-a-file" if target.exists() else None
    return found


def fix_command(profile: str, base: Path) -> str:
    project = "" if base == Path.home() else f"--repo {base} "
    flag = "" if base == Path.home() else " --project"
    return f"striatum {project}skills install --profile {profile}{flag}"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _remove_empty(path: Path) -> None:
    with contextlib.suppress(OSError):  # not empty: the user keeps something there
        path.parent.rmdir()


def check(base: Path) -> list[dict[str, Any]]:
    """The state of every bundle installed under `base` (directories with a manifest)."""
    desired = {path: sha256(text.encode()) for path, text in bundle.files(__version__).items()}
    reports = []
    for directory in sorted({base / d for d in SKILL_DIRS.values()}):
        manifest = read_manifest(directory)
        if not manifest["files"]:
            continue
        recorded = manifest["files"]
        current = on_disk(directory, set(recorded) | set(desired))
        edited = sorted(p for p, sha in recorded.items() if current[p] not in (None, sha))
        missing = sorted(p for p in recorded if current[p] is None)
        outdated = manifest["version"] != __version__ or recorded != desired
        state = (
            "edited"
            if edited
            else "missing_files"
            if missing
            else "outdated"
            if outdated
            else "current"
        )
        profile = (manifest["profiles"] or [_profile_of(directory, base)])[0]
        fix = (
            None
            if state == "current"
            else fix_command(profile, base) + (" --force" if edited else "")
        )
        reports.append(
            {
                "directory": str(directory),
                "state": state,
                "version": manifest["version"],
                "edited": edited,
                "missing": missing,
                "fix": fix,
            }
        )
    return reports


def _profile_of(directory: Path, base: Path) -> str:
    relative = str(directory.relative_to(base))
    return next(p for p, d in SKILL_DIRS.items() if d == relative)
