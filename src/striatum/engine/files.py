"""Artifact files in the target repository: where they may be, and what they hold."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
from pathlib import Path

from striatum import errors
from striatum.model.workflow.paths import normalized, path_problem, within

MAX_ARTIFACT_BYTES = 64 << 20


def check_path(repo: Path, relative: str, scopes: list[str]) -> Path:
    """The file for `relative`, refused unless it is a regular file inside the repository and
    inside one of `scopes` both as written and once symlinks are resolved, never under a
    `.git/` or `.striatum/` directory, and not a hard link (whose other names may lie
    anywhere, so its content is not the repository's to publish)."""
    check_relative(relative, scopes)
    candidate = repo / relative
    try:
        real_repo, real = os.path.realpath(repo), os.path.realpath(candidate)
        inside = os.path.relpath(real, real_repo)
        if os.path.commonpath([real_repo, real]) != real_repo:
            raise errors.ValidationError(
                f"artifact path {relative!r} leads outside the repository (through a symlink)",
                path=relative,
            )
        _refuse_private(relative, Path(inside).parts)
        if not any(within(inside, scope) for scope in scopes):
            raise errors.ValidationError(
                f"artifact path {relative!r} resolves to {inside}, outside the job's write scope",
                path=relative,
            )
        if not candidate.is_file():
            raise errors.NotFound(
                f"artifact file {relative!r} does not exist in {repo}", path=relative
            )
        _refuse_hard_link(relative, candidate.stat().st_nlink)
    except OSError as error:
        raise errors.ValidationError(
            f"artifact path {relative!r}: {error.strerror}", path=relative
        ) from None
    return Path(real)


def check_relative(relative: str, scopes: list[str]) -> None:
    """Refuse a path that is not safe as written or lies outside every scope, before any
    file is looked at."""
    problem = path_problem(relative)
    if problem:
        raise errors.ValidationError(f"artifact path {relative!r} {problem}", path=relative)
    if not any(within(relative, scope) for scope in scopes):
        raise errors.ValidationError(
            f"artifact path {relative!r} is outside the job's write scope ({', '.join(scopes)})",
            path=relative,
        )


def _refuse_private(relative: str, parts: tuple[str, ...]) -> None:
    if any(part in (".git", ".striatum") for part in parts):
        raise errors.ValidationError(
            f"artifact path {relative!r} leads into a .git/ or .striatum/ directory",
            path=relative,
        )


def _refuse_hard_link(relative: str, links: int) -> None:
    if links > 1:
        raise errors.ValidationError(
            f"artifact path {relative!r} is a hard link ({links} names for one file): its "
            "content may be a file outside the repository",
            path=relative,
            hint="write the artifact as a file of its own, not a link",
        )


def digest(path: Path) -> tuple[str, int]:
    """SHA-256 and size of a regular file, read through one descriptor (no symlink, no
    FIFO, no hard link, at most MAX_ARTIFACT_BYTES)."""
    data = _read_regular(path, MAX_ARTIFACT_BYTES, single_link=True)
    if data is None:
        raise errors.ValidationError(
            f"artifact {path.name} is not a regular file of at most {MAX_ARTIFACT_BYTES} bytes"
        )
    return hashlib.sha256(data).hexdigest(), len(data)


def read_recorded(repo: Path, relative: str, sha256: str, limit: int = 1 << 20) -> str | None:
    """A published file's text, only if it is still exactly what was recorded."""
    data = _read_regular(repo / relative, limit)
    if data is None or hashlib.sha256(data).hexdigest() != sha256:
        return None
    return data.decode("utf-8", errors="replace")


def read_head(path: Path, limit: int, *, single_link: bool = False) -> bytes | None:
    """Up to `limit` bytes of a regular file reached without a symlink (a log, say), read
    through one descriptor (no FIFO can block it); None for anything else, and for a hard
    link when `single_link`."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:  # fstat first: os.fdopen itself raises on a directory
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode) or (single_link and status.st_nlink > 1):
            return None
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            return handle.read(limit)
    finally:
        os.close(descriptor)


def _read_regular(path: Path, limit: int, *, single_link: bool = False) -> bytes | None:
    """The whole regular file, or None if it is not one or is larger than `limit`."""
    data = read_head(path, limit + 1, single_link=single_link)
    return data if data is not None and len(data) <= limit else None


# Copying declared outputs from a run's worktree into the repository (the supervisor does it
# after an agent exits; publishing does it, after commit, when an agent publishes from its
# worktree).
def copy_from_worktree(worktree: Path, repo: Path, relative: str, artifact_root: str) -> bool:
    """Copy one declared output under the artifact root from the worktree into the
    repository (as `take_from_worktree` checks it); False when it is not there."""
    data = take_from_worktree(worktree, repo, relative, artifact_root)
    if data is None:
        return False
    write_into(repo, relative, data)
    return True


def take_from_worktree(
    worktree: Path, repo: Path, relative: str, artifact_root: str
) -> bytes | None:
    """The bytes of one declared output under the artifact root in the worktree, to be
    written at the same path in the repository: regular files only, no symlink on the way,
    neither in the worktree nor in the repository, never into .git/ or .striatum/; None when
    it is not there. Reads only."""
    if not within(relative, artifact_root):
        return None
    try:
        data = _read_inside(worktree, relative)
    except OSError as error:  # e.g. a name too long for the file system
        raise errors.ValidationError(
            f"artifact path {relative!r}: {error.strerror}", path=relative
        ) from None
    if data is None:
        return None
    if not _reached_directly(repo, relative):
        raise errors.ValidationError(
            f"{relative} is reached through a symlink in the repository", path=relative
        )
    _refuse_private(relative, Path(normalized(relative)).parts)
    return data


def place(repo: Path, relative: str, data: bytes) -> None:
    """Write `data` at `relative` in the repository (as `write_into` does) unless the file
    there holds exactly these bytes already: placing the same bytes twice is placing them
    once."""
    if read_recorded(repo, relative, hashlib.sha256(data).hexdigest(), len(data)) is None:
        write_into(repo, relative, data)


def _reached_directly(root: Path, relative: str) -> bool:
    """Whether `root/relative` (existing or not) is reached without following a symlink."""
    return os.path.realpath(root / relative) == os.path.join(
        os.path.realpath(root), normalized(relative)
    )


def write_into(repo: Path, relative: str, data: bytes) -> None:
    """Write a file of the repository whole or not at all: a temporary file beside it, then a
    rename. A full disk or a read-only file system leaves the old file (or none) in place."""
    target = repo / relative
    _refuse_symlinked_parent(repo, target.parent, relative)
    temporary = target.with_name(f".{target.name}.striatum-{os.getpid()}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _refuse_symlinked_parent(repo, target.parent, relative)  # nothing raced us there
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileNotFoundError):  # keep the old file's mode (+x, say)
            os.chmod(temporary, stat.S_IMODE(os.stat(target, follow_symlinks=False).st_mode))
        os.replace(temporary, target)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink()
        if error.errno == errno.ENAMETOOLONG:
            raise errors.ValidationError(
                f"artifact path {relative!r}: {error.strerror}", path=relative
            ) from None
        raise errors.StorageError(
            f"cannot write {relative} into {repo}: {error.strerror or error}",
            path=relative,
            hint="free disk space or make the repository writable, then retry the job",
        ) from None


def _refuse_symlinked_parent(repo: Path, parent: Path, relative: str) -> None:
    """The nearest existing ancestor of `parent` must resolve inside the repository."""
    existing = parent
    while not existing.exists() and existing != repo:
        existing = existing.parent
    root = os.path.realpath(repo)
    real = os.path.realpath(existing)
    if real != root and not real.startswith(root + os.sep):
        raise errors.ValidationError(
            f"{relative} would be written outside {repo} (through a symlink)", path=relative
        )


def _read_inside(worktree: Path, relative: str) -> bytes | None:
    source = worktree / relative
    if not source.exists():
        return None
    if not _reached_directly(worktree, relative):
        raise errors.ValidationError(f"{relative} is reached through a symlink in the worktree")
    _refuse_hard_link(relative, source.stat().st_nlink)
    data = _read_regular(source, MAX_ARTIFACT_BYTES, single_link=True)
    if data is None:
        raise errors.ValidationError(
            f"{relative} is not a regular file of at most {MAX_ARTIFACT_BYTES} bytes"
        )
    return data
