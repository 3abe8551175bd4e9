"""Artifact files in the target repository: where they may be, and what they hold."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from striatum import errors
from striatum.model.workflow.paths import path_problem, within

MAX_ARTIFACT_BYTES = 64 << 20


def check_path(repo: Path, relative: str, scopes: list[str]) -> Path:
    """The file for `relative`, refused unless it is a regular file inside the repository,
    inside one of `scopes`, and reached without a symlink leading elsewhere."""
    problem = path_problem(relative)
    if problem:
        raise errors.ValidationError(f"artifact path {relative!r} {problem}", path=relative)
    if not any(within(relative, scope) for scope in scopes):
        raise errors.ValidationError(
            f"artifact path {relative!r} is outside the job's write scope ({', '.join(scopes)})",
            path=relative)
    candidate = repo / relative
    real_repo, real = os.path.realpath(repo), os.path.realpath(candidate)
    if os.path.commonpath([real_repo, real]) != real_repo:
        raise errors.ValidationError(
            f"artifact path {relative!r} leads outside the repository (through a symlink)",
            path=relative)
    inside = Path(real).relative_to(real_repo).parts
    if inside and inside[0] in (".git", ".striatum"):
        raise errors.ValidationError(f"artifact path {relative!r} leads into {inside[0]}/",
                                     path=relative)
    if not candidate.is_file():
        raise errors.NotFound(f"artifact file {relative!r} does not exist in {repo}",
                              path=relative)
    return candidate


def digest(path: Path) -> tuple[str, int]:
    """SHA-256 and size of a file, refusing very large ones."""
    size = path.stat().st_size
    if size > MAX_ARTIFACT_BYTES:
        raise errors.ValidationError(f"artifact {path.name} is {size} bytes; the limit is "
                                     f"{MAX_ARTIFACT_BYTES}")
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest(), size


def front_matter(path: Path) -> dict[str, str]:
    """The `key: value` lines of a Markdown file's leading --- block (no YAML library)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return {}
    if not lines or lines[0].strip() != "---":
        return {}
    found: dict[str, str] = {}
    for line in lines[1:50]:
        if line.strip() == "---":
            return found
        key, sep, value = line.partition(":")
        if sep:
            found[key.strip()] = value.strip().strip("'\"")
    return {}
