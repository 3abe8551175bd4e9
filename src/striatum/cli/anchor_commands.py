"""`striatum anchors show | push | fetch`: the chain heads anchored in the repository under
refs/striatum/anchors. Local git only, no daemon or database needed."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from striatum import errors
from striatum.model.terminal_text import visible

if TYPE_CHECKING:
    from striatum.integrity.ref_anchors import RefAnchors
    from striatum.integrity.ref_remote import Transfer


def repo_option(function: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--repo",
        "repo",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="The repository (default: the global --repo, else the git root of the cwd).",
    )(function)


def remote_option(function: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--remote", default="origin", show_default=True, help="A remote's name or URL."
    )(function)


@click.group()
def anchors() -> None:
    """Chain heads anchored in the repository itself (refs/striatum/anchors; no daemon needed)."""


@anchors.command()
@repo_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def show(ctx: click.Context, repo: Path | None, as_json: bool) -> None:
    """The heads the ref anchors (the highest seq of each chain over its history) and what in
    that history does not hold together. Exits 0 when it holds (or there is no ref yet), 8
    naming each problem's commit otherwise, 4 when the directory is not a git repository."""
    from striatum.integrity import git, ref_anchors

    where = _repository(ctx, repo)
    if not git.is_repository(where):
        raise errors.NotFound(f"{where} is not a git repository")
    found = ref_anchors.read(where)
    click.echo(json.dumps(_as_dict(where, found), indent=2) if as_json else _lines(where, found))
    if found.problems:
        sys.exit(errors.EXIT_CODES["integrity"])


@anchors.command()
@remote_option
@repo_option
@click.pass_context
def push(ctx: click.Context, remote: str, repo: Path | None) -> None:
    """Push refs/striatum/anchors to the remote, by fast-forward only (a plain `git push`
    does not carry it). Exits 5 when the remote's anchors do not extend these, 4 when there is
    nothing to push or the remote cannot be reached."""
    from striatum.integrity import ref_remote

    click.echo(_said("pushed to", ref_remote.push(_repository(ctx, repo), _remote(remote))))


@anchors.command()
@remote_option
@repo_option
@click.pass_context
def fetch(ctx: click.Context, remote: str, repo: Path | None) -> None:
    """Fetch the remote's refs/striatum/anchors when it extends this repository's (a
    fast-forward; never forced). Exits 5, changing nothing, when it does not; 4 when the
    remote has no anchors or cannot be reached; 8 when the fetched history has problems."""
    from striatum.integrity import ref_anchors, ref_remote

    where = _repository(ctx, repo)
    click.echo(_said("fetched from", ref_remote.fetch(where, _remote(remote))))
    problems = ref_anchors.read(where).problems
    for problem in problems:
        click.echo(f"PROBLEM: {visible(problem)}")
    if problems:
        sys.exit(errors.EXIT_CODES["integrity"])


def _repository(ctx: click.Context, repo: Path | None) -> Path:
    from striatum.cli.skills_commands import project_root

    return repo.resolve() if repo is not None else project_root(ctx)


def _remote(remote: str) -> str:
    """A remote given as a relative path means one relative to the cwd, not to --repo."""
    path = Path(remote)
    if ("/" in remote or remote.startswith(".")) and path.exists():
        return str(path.resolve())
    return remote


def _said(verb: str, transfer: Transfer) -> str:
    tip = (transfer.tip or "")[:12]
    if transfer.moved:
        return f"anchors {verb} {transfer.remote}: refs/striatum/anchors at {tip}"
    return f"anchors already up to date with {transfer.remote} (refs/striatum/anchors at {tip})"


def _as_dict(repo: Path, found: RefAnchors) -> dict[str, object]:
    return {
        "repo": str(repo),
        "ok": not found.problems,
        "tip": found.tip,
        "heads": {n: {"seq": h.seq, "row_hash": h.row_hash} for n, h in found.heads.items()},
        "problems": found.problems,
    }


def _lines(repo: Path, found: RefAnchors) -> str:
    if found.tip is None:
        return f"{repo}: no anchors (no refs/striatum/anchors yet)"
    lines = [f"{repo}: refs/striatum/anchors at {found.tip[:12]}"]
    # 16 hex digits are enough to compare by eye and fit 80 columns; --json has them whole
    lines += [f"  {name}  seq {h.seq}  {h.row_hash[:16]}" for name, h in found.heads.items()]
    lines += [f"PROBLEM: {problem}" for problem in found.problems]
    lines.append("ok" if not found.problems else f"BROKEN: {len(found.problems)} problem(s)")
    return "\n".join(visible(line) for line in lines)  # names and problems come from git
