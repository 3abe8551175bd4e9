"""The daemon's own anchoring: every chain's head goes outside the database as it grows.

A head is anchored only once the rows added since the last anchor are verified to extend it
(so a rewrite is never anchored), and only while the database's identity is the anchored
one. The daemon ticks often; a tick anchors when the chains grew by `every_events` rows in all,
or when `every_s` seconds passed with any growth, and once more at shutdown.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from striatum import errors, paths
from striatum.integrity import anchor_file, anchors, chain_check
from striatum.model.chain import Head
from striatum.store import chains
from striatum.store import connection as db

DEFAULT_EVERY_EVENTS = 1000
DEFAULT_EVERY_S = 10.0
log = logging.getLogger("striatumd")


class Copies(Protocol):
    """Anchors kept beside the file (each repository's anchor ref): a head there is one more
    position the chain must still hold before anything past it is anchored."""

    problems: dict[str, str]  # chain -> why its copy was not written

    def heads(self, conn: db.Conn) -> Mapping[str, Head]: ...

    def write(
        self, conn: db.Conn, heads: Mapping[str, Head], recorded: Mapping[str, str]
    ) -> Mapping[str, str]: ...


@dataclass(frozen=True, kw_only=True)
class Cadence:
    every_events: int = DEFAULT_EVERY_EVENTS
    every_s: float = DEFAULT_EVERY_S

    @classmethod
    def from_settings(cls) -> Cadence:
        """STRIATUM_ANCHOR_EVERY_EVENTS and STRIATUM_ANCHOR_EVERY_S (bad values: defaults)."""
        return cls(
            every_events=max(
                1, int(paths.number_setting("STRIATUM_ANCHOR_EVERY_EVENTS", DEFAULT_EVERY_EVENTS))
            ),
            every_s=max(0.05, paths.number_setting("STRIATUM_ANCHOR_EVERY_S", DEFAULT_EVERY_S)),
        )

    @property
    def tick_s(self) -> float:
        return min(1.0, self.every_s)


class Anchorer:
    def __init__(self, database: str, cadence: Cadence, *, copies: Copies | None = None) -> None:
        self.database = database
        self.cadence = cadence
        self.copies = copies
        self.by = f"daemon pid {os.getpid()}"
        self.ledger: anchor_file.Ledger | None = None
        self.last = time.monotonic()
        self.problems: dict[str, str] = {}  # chain (or file/database) -> what stopped it
        self.anchored_at: str | None = None  # when this daemon last wrote an anchor line

    def state(self) -> dict[str, Any]:
        """What `daemon status` shows: the cadence, the last anchor, what stops anchoring."""
        return {
            "every_events": self.cadence.every_events,
            "every_s": self.cadence.every_s,
            "last_line": self.ledger.count if self.ledger else None,
            "anchored_at": self.anchored_at,
            "problems": {
                **({} if self.copies is None else self.copies.problems),
                **self.problems,
            },
        }

    def tick(self, conn: db.Conn, *, force: bool = False) -> list[str]:
        """Anchor what is due; the chains anchored (none when not due or nothing grew)."""
        heads = chains.all_heads(conn)
        ident = anchors.identity(conn, self.database)
        try:
            if self.ledger is None or self._written_by_others():
                self.ledger = anchor_file.read(paths.anchors_file())
            anchored = anchors.anchored_in(self.ledger, ident)
        except errors.IntegrityFailure as error:
            self.ledger = None  # read it again next time: a principal may have accepted
            self._report(anchors.FILE_CHAIN, error.message)
            return []
        fresh = anchors.advanced(anchored, heads)
        if not (force or self._due(anchored, fresh)):
            return []
        if anchored is not None and (changed := anchors.identity_breaks(ident, anchored)):
            self._report(anchors.DATABASE_CHAIN, changed[0].reason)
            return []
        elsewhere = self.copies.heads(conn) if self.copies is not None else {}
        verified = {
            name: head
            for name, head in fresh.items()
            if self._extends(conn, name, anchored, elsewhere.get(name), head)
        }
        self.last = time.monotonic()
        if not verified:
            return []
        recorded = {} if anchored is None else anchored.refs
        refs = {} if self.copies is None else dict(self.copies.write(conn, verified, recorded))
        try:
            after = anchors.record(ident, verified, by=self.by, refs=refs, expect=self.ledger)
            self.ledger = after or self.ledger  # None: nothing was left to write
        except errors.StriatumError as error:
            self.ledger = None
            self._report(anchors.FILE_CHAIN, error.message)
            return []
        for what in (anchors.FILE_CHAIN, anchors.DATABASE_CHAIN):
            self.problems.pop(what, None)
        self.anchored_at = anchors.now()
        return sorted(verified)

    def _written_by_others(self) -> bool:
        """Whether the file is not as this daemon left it (a doctor's line, a principal's
        accept, a file replaced): then it is read again, whole."""
        assert self.ledger is not None
        try:
            stat = os.stat(paths.anchors_file())
        except FileNotFoundError:
            return self.ledger.count > 0
        return (stat.st_ino, stat.st_size) != (self.ledger.inode, self.ledger.size)

    def _due(self, anchored: anchor_file.Anchored | None, fresh: Mapping[str, Head]) -> bool:
        if not fresh:
            return False
        known = {} if anchored is None else anchored.heads
        grown = sum(h.seq - (known[n].seq if n in known else 0) for n, h in fresh.items())
        waited = time.monotonic() - self.last
        return grown >= self.cadence.every_events or waited >= self.cadence.every_s

    def _extends(
        self,
        conn: db.Conn,
        name: str,
        anchored: anchor_file.Anchored | None,
        copied: Head | None,
        head: Head,
    ) -> bool:
        anchor = None if anchored is None else anchored.heads.get(name)
        # The file is the authority; a repository's ref (which anything able to write the
        # repository can move) stands in only for a chain the file has never anchored.
        position = anchor if anchor is not None else copied
        problem = None if position is None else anchors.position_break(conn, name, position)
        if problem is None:
            problem = chain_check.verify_extension(conn, name, anchor, head)
        if problem is not None:
            self._report(name, f"seq {problem.seq}: {problem.reason}")
            return False
        self.problems.pop(name, None)
        return True

    def _report(self, what: str, message: str) -> None:
        """Log a problem once (until it changes); `doctor` reports it with an exit code."""
        if self.problems.get(what) != message:
            log.warning("not anchoring %s: %s", what, message)
        self.problems[what] = message
