"""Provenance kept in each adopted repository, written by the daemon and checked by doctor.

Two copies of a repository's chain live in its own git data, outside the database and the
home: the anchor ref (`refs/striatum/anchors`, one commit per anchoring) and the provenance
commits' `Striatum-Event` trailers. A repository this host cannot reach (another machine's
path, a removed checkout) is passed over; one it can reach must agree with the chain.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from striatum import errors
from striatum.integrity import anchors, git, ref_anchors, trailers
from striatum.integrity.anchor_file import Identity
from striatum.model.chain import ChainBreak, Head
from striatum.store import chains, repositories
from striatum.store import connection as db

log = logging.getLogger("striatumd")


def reachable(conn: db.Conn) -> dict[str, tuple[str, Path]]:
    """chain name -> (repo id, checkout) for the adopted repositories this host can reach:
    its own checkouts (another host's path may name nothing here, or another repository);
    one removed from disk, or unreadable to us, is passed over."""
    found = {}
    for repo in repositories.list_all(conn, include_removed=True):  # provenance outlives it
        if not repo.here:
            continue
        path = Path(repo.path)
        try:
            if git.is_repository(path):
                found[chains.event_chain(repo.repo_id)] = (repo.repo_id, path)
        except (OSError, errors.StriatumError) as error:
            log.info("not reaching %s: %s", path, getattr(error, "message", error))
    return found


def restart(where: dict[str, tuple[str, Path]], heads: Mapping[str, Head]) -> dict[str, str]:
    """A principal's accept: each repository's ref starts again from the accepted head (a new
    root commit; git's reflog keeps the old tip). chain -> the new commit."""
    started = {}
    for name, (_, path) in where.items():
        if name not in heads:
            continue
        try:
            made = ref_anchors.commit(path, {name: heads[name]}, parent=None)
            ref_anchors.swap(path, made, _tip(path))
        except errors.StriatumError as error:
            log.warning("accept: %s in %s not restarted: %s", ref_anchors.REF, path, error.message)
            continue
        started[name] = made
    return started


class RepoCopies:
    """The daemon's side: the anchor refs as a second anchor to extend, and where to copy the
    heads it anchors (see `anchoring.Copies`)."""

    def __init__(self) -> None:
        self.problems: dict[str, str] = {}

    def heads(self, conn: db.Conn) -> dict[str, Head]:
        """What each reachable repository's anchor ref holds for its chain (its tip)."""
        found = {}
        for name, (_, path) in reachable(conn).items():
            try:
                head = ref_anchors.tip_heads(path).get(name)
            except errors.StriatumError as error:  # a ref that names no commit
                log.warning("cannot read %s in %s: %s", ref_anchors.REF, path, error.message)
                continue
            if head is not None:
                found[name] = head
        return found

    def write(
        self, conn: db.Conn, heads: Mapping[str, Head], recorded: Mapping[str, str]
    ) -> dict[str, str]:
        """Record verified repository heads in each repository's anchor ref: chain -> commit.

        A ref that lost the commit the anchors file recorded (removed, rewritten) is left as
        it is, for doctor to report, until a principal accepts the anchors again."""
        written = {}
        for name, (_, path) in reachable(conn).items():
            if name not in heads:
                continue
            try:
                if name in recorded and not ref_anchors.contains(path, recorded[name]):
                    raise errors.IntegrityFailure(
                        f"{ref_anchors.REF} in {path} no longer holds commit {recorded[name]}"
                    )
                sha = ref_anchors.record(path, {name: heads[name]})
            except errors.StriatumError as error:  # the file anchor still goes ahead
                self._report(name, f"not copied to {path}: {error.message}")
                continue
            self.problems.pop(f"{name} ref", None)
            if sha is not None:
                written[name] = sha
        return written

    def _report(self, name: str, message: str) -> None:
        if self.problems.get(f"{name} ref") != message:
            log.warning("anchoring %s: %s", name, message)
        self.problems[f"{name} ref"] = message


def check(conn: db.Conn, ident: Identity) -> list[ChainBreak]:
    """Each reachable repository's anchor ref and run-branch trailers against its chain."""
    try:
        _, anchored = anchors.load(ident)
        recorded = {} if anchored is None else anchored.refs
    except errors.IntegrityFailure:  # anchors.check reports the file itself
        recorded = {}
    found: list[ChainBreak] = []
    for name, (repo_id, path) in sorted(reachable(conn).items()):
        try:
            found += _ref_breaks(conn, name, path, recorded.get(name))
            found += _trailer_breaks(conn, name, repo_id, path)
        except (OSError, errors.StriatumError) as error:  # git gone, a timeout, a bad ref
            reason = f"{path} could not be checked: {getattr(error, 'message', error)}"
            found.append(ChainBreak(chain=name, seq=0, reason=reason))
    return found


def _ref_breaks(conn: db.Conn, name: str, path: Path, recorded: str | None) -> list[ChainBreak]:
    where = f"{ref_anchors.REF} in {path}"
    found = []
    if recorded is not None and not ref_anchors.contains(path, recorded):
        found.append(
            ChainBreak(
                chain=name,
                seq=0,
                reason=f"{where} was removed or rewritten: it no longer holds the commit the "
                "anchors file recorded",
                expected=recorded,
                stored=_tip(path) or "missing",
            )
        )
    held = ref_anchors.read(path)
    found += [ChainBreak(chain=name, seq=0, reason=f"{where}: {p}") for p in held.problems]
    head = held.heads.get(name)
    problem = None if head is None else anchors.position_break(conn, name, head)
    if problem is not None:
        found.append(
            ChainBreak(
                chain=name,
                seq=problem.seq,
                reason=f"{problem.reason}, per {where}",
                expected=problem.expected,
                stored=problem.stored,
            )
        )
    return found


def _tip(path: Path) -> str | None:
    try:
        return ref_anchors.tip_of(path)
    except errors.StriatumError:  # not a commit: read() names it as a problem
        return None


def _trailer_breaks(conn: db.Conn, name: str, repo_id: str, path: Path) -> list[ChainBreak]:
    # Unlanded run commits only: landed history may hold other databases' runs (a teammate's,
    # a reinstall's) whose events this chain never had.
    found = trailers.check(path, lambda hashes: chains.event_seqs(conn, repo_id, hashes))
    return [
        ChainBreak(
            chain=name,
            seq=0,
            reason=f"commit {b.commit[:12]} on {b.branch} in {path}: {b.reason}",
            expected=b.event,
        )
        for b in found
    ]
