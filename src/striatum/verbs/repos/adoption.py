"""adopt, repo.list (and resolving an adopted repository for other verbs)."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Any

from striatum import errors, paths
from striatum.engine.context import Context
from striatum.integrity import git
from striatum.model import roles
from striatum.store import chains, repositories

IGNORE_LINE = ".striatum/"


def adopt(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    path = _existing_repo(params.get("repo"))
    root_commit = first_commit(path)
    join = params.get("join")
    existing = _checkout_here(ctx, path, join)
    if existing is not None:
        repo_id = existing.repo_id
    elif join:
        repo_id = _joined(ctx, path, join, root_commit).repo_id
    else:
        # Hashed with the host: the same path on two hosts is two repositories until joined.
        key = f"{paths.host_name()}\0{path}"
        repo_id = "repo_" + hashlib.sha256(key.encode()).hexdigest()[:12]
    repo = repositories.insert(
        ctx.conn, repo_id=repo_id, path=str(path), name=path.name, root_commit=root_commit
    )
    if params.get("notify") is not None:
        # The hook runs commands as the daemon's user: only the principal may set it.
        if not roles.allows(ctx.caller.role, roles.Capability.ADMINISTER):
            raise errors.PermissionDenied(
                "setting a notification command needs capability 'administer' (principal)",
                capability="administer",
            )
        repositories.set_notify(ctx.conn, repo.repo_id, params["notify"] or None)
    ignored = _ignore_scratch(ctx, path)
    if existing is None or existing.removed_at is not None:  # new, or back after `repo remove`
        chains.append_event(
            ctx.conn,
            repo_id=repo.repo_id,
            type="repo.adopted",
            actor=ctx.actor,
            payload={
                "path": str(path),
                **({"again": True} if existing else {}),
                **({"joined": True} if join and existing is None else {}),
            },
        )
    return {
        "repo_id": repo.repo_id,
        "path": str(path),
        "name": repo.name,
        "host": paths.host_name(),
        "already_adopted": existing is not None and existing.removed_at is None,
        "joined": bool(join) and existing is None,
        "gitignore_updated": ignored,
        **_elsewhere(ctx, repo.repo_id, root_commit, new=existing is None and not join),
    }


def _elsewhere(ctx: Context, repo_id: str, root_commit: str | None, *, new: bool) -> dict[str, Any]:
    """For a new repository: the others (not checked out here) that start with the same
    commit, which it might have meant to join (a fork is a repository of its own)."""
    if not new or root_commit is None:
        return {}
    others = [
        found.repo_id
        for found in repositories.by_root_commit(ctx.conn, root_commit)
        if not found.here and found.repo_id != repo_id
    ]
    if not others:
        return {}
    return {
        "same_first_commit": others,
        "hint": "a new repository was made; to make this a checkout of one of these instead: "
        "striatum repo remove, then striatum adopt --join REPO_ID",
    }


def _checkout_here(ctx: Context, path: Path, join: str | None) -> repositories.Repository | None:
    """The repository this host has checked out at `path`, if any. With `--join` naming
    another one: refused, unless that repository was removed (then the path stops being
    its checkout, and None says to join)."""
    existing = repositories.find_by_path(ctx.conn, str(path))
    if existing is None or not join or join == existing.repo_id:
        return existing
    if join == "auto" and existing.removed_at is None:
        return existing  # already this host's checkout: nothing else to join
    if existing.removed_at is None:
        raise errors.Conflict(
            f"{path} is already a checkout of {existing.repo_id} on this host, not of {join}",
            hint=f"striatum --repo {path} repo remove, then adopt --join again",
            path=str(path),
        )
    # A removed repository's path joins another one: it stops being the removed one's (in
    # this transaction: if the join is then refused, the drop is rolled back with it).
    repositories.drop_checkout(ctx.conn, str(path))
    return None


def first_commit(path: Path) -> str | None:
    """The clone's first commit (the least of HEAD's root commits): the same in every clone
    of a repository, so `adopt --join auto` can find it. None without a commit (or git),
    and for a shallow clone (join it by id)."""
    try:
        shallow = git.run(path, "rev-parse", "--is-shallow-repository").stdout.strip()
        if shallow == "true":  # its first commit here is only where its history was cut
            return None
        done = git.run(path, "rev-list", "--max-parents=0", "HEAD")
    except errors.StriatumError:
        return None
    roots = sorted(done.stdout.split()) if done.returncode == 0 else []
    return roots[0] if roots else None


def _joined(
    ctx: Context, path: Path, join: str, root_commit: str | None
) -> repositories.Repository:
    """The repository adopted on another host that this checkout joins: the one named, or
    (`auto`) the only one whose first commit is this clone's."""
    if join != "auto":
        found = repositories.find_by_id(ctx.conn, join)
        if found is None:
            raise errors.NotFound(
                f"no repository {join} is adopted", hint="striatum repo list", parameter="join"
            )
        if found.here:
            raise errors.Conflict(
                f"{join} is already checked out on this host at {found.path}",
                hint="one checkout of a repository per host",
                parameter="join",
            )
        if found.root_commit and root_commit and found.root_commit != root_commit:
            raise errors.ValidationError(
                f"{path} is not a clone of {join}: its first commit is {root_commit[:12]}, "
                f"{join}'s is {found.root_commit[:12]}",
                parameter="join",
            )
        return found
    if root_commit is None:
        raise errors.ValidationError(
            f"{path} has no commit to match: pass the repository's id (--join REPO_ID)",
            hint="striatum repo list (on the host that adopted it)",
            parameter="join",
        )
    same_start = repositories.by_root_commit(ctx.conn, root_commit)
    candidates = [found for found in same_start if not found.here]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        mine = ", ".join(f"{found.repo_id} at {found.path}" for found in same_start)
        raise errors.NotFound(
            f"no repository adopted on another host starts with commit {root_commit[:12]}"
            + (f" (this host has its checkout: {mine})" if mine else ""),
            hint="adopt it on its first host, or pass its id (--join REPO_ID)",
            parameter="join",
        )
    ids = ", ".join(found.repo_id for found in candidates)
    raise errors.Conflict(
        f"{len(candidates)} repositories start with commit {root_commit[:12]} ({ids}): "
        "name one (--join REPO_ID)",
        parameter="join",
    )


def list_(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    found = repositories.list_all(ctx.conn, include_removed=bool(params.get("all")))
    return {"repositories": [repo.to_dict() for repo in found]}


def resolve(ctx: Context, repo: str | None, *, new_run: bool = False) -> repositories.Repository:
    """The adopted repository at a path (the CLI sends --repo or the cwd's git root). A
    removed one is found too (its history is still read, exported, cleaned), except for a
    `new_run`: then it is refused, and locked against `repo remove` until the run exists."""
    if not repo:
        raise errors.ValidationError(
            "no repository: run inside a git repository or pass --repo DIR", parameter="repo"
        )
    found = repositories.find_by_path(ctx.conn, str(Path(repo).resolve()), share=new_run)
    if found is None or (new_run and found.removed_at is not None):
        gone = "was removed" if found is not None else "is not adopted"
        raise errors.NotFound(
            f"repository {repo} {gone}", hint=f"striatum --repo {repo} adopt", path=repo
        )
    return found


def _existing_repo(repo: str | None) -> Path:
    if not repo:
        raise errors.ValidationError(
            "no repository: run inside a git repository or pass --repo DIR", parameter="repo"
        )
    try:
        path = Path(repo).resolve()
        if not path.is_dir():
            raise errors.NotFound(f"no directory {repo}", path=repo)
    except OSError as error:  # e.g. a name too long for the file system
        raise errors.ValidationError(
            f"repository {repo}: {error.strerror}", parameter="repo"
        ) from None
    return path


def _ignore_scratch(ctx: Context, path: Path) -> bool:
    """Add `.striatum/` to the repository's .gitignore (after commit) unless it is there."""
    gitignore = path / ".gitignore"
    if gitignore.is_symlink() or (gitignore.exists() and not gitignore.is_file()):
        raise errors.ValidationError(
            f"{gitignore} is not a regular file; add .striatum/ to it yourself", path=str(gitignore)
        )
    text = _read_gitignore(gitignore)
    if _ignores_scratch(text):
        return False
    ctx.after_commit(functools.partial(_add_ignore_line, gitignore))
    return True


def _add_ignore_line(gitignore: Path) -> None:
    text = _read_gitignore(gitignore)
    if _ignores_scratch(text):  # added meanwhile: adding it again would be a duplicate
        return
    try:
        gitignore.write_text(
            text + ("" if not text or text.endswith("\n") else "\n") + IGNORE_LINE + "\n",
            encoding="utf-8",
        )
    except OSError as error:
        raise errors.StorageError(
            f"the repository is adopted, but {gitignore} could not be updated: {error.strerror}",
            hint="add the line .striatum/ to it yourself",
        ) from None


def _read_gitignore(gitignore: Path) -> str:
    try:
        return gitignore.read_text(encoding="utf-8") if gitignore.exists() else ""
    except (OSError, UnicodeDecodeError) as error:
        raise errors.ValidationError(f"cannot read {gitignore}: {error}") from None


def _ignores_scratch(text: str) -> bool:
    return any(line.strip() in (IGNORE_LINE, ".striatum") for line in text.splitlines())
