"""Provenance commit trailers checked against the repository's event chain.

The supervisor commits a job's changes on the run's branch `striatum/<run_id>` with a
`Striatum-Event: <row_hash>` trailer (the chain head when the commit was made, or `none` for
an empty chain) and, since the trailer gained a seq, `Striatum-Event-Seq: <seq>`. Those
commits live in git, outside the database: a chain whose tail was rewritten no longer holds
the hashes they name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from striatum.integrity import git

EVENT = "Striatum-Event"
EVENT_SEQ = "Striatum-Event-Seq"
BRANCHES = "refs/heads/striatum/"
BATCH = 1000  # hashes per lookup
_HASH = re.compile(r"[0-9a-f]{64}")
_FIELDS = "%n".join(  # one line each: refnames and unfolded trailer values hold no newline
    [
        "%H",
        "%S",
        *(f"%(trailers:key={k},valueonly,unfold,separator=%x2C)" for k in (EVENT, EVENT_SEQ)),
    ]
)

# Given a batch of row_hash values, those the chain holds: a set, or a mapping to each one's
# seq (then a commit's Striatum-Event-Seq is checked too).
EventLookup = Callable[[Sequence[str]], Collection[str]]


@dataclass(frozen=True, kw_only=True)
class TrailerBreak:
    """A provenance commit whose Striatum-Event the chain does not bear out."""

    commit: str
    branch: str  # the run branch it was reached from, e.g. striatum/run_…
    event: str  # the trailer's value, as written
    reason: str


@dataclass(frozen=True, kw_only=True)
class Stamped:
    """One commit's event trailers, as git parses its trailer block."""

    commit: str
    branch: str
    events: list[str]
    seqs: list[str]


def check(
    repo: Path, event_exists: EventLookup, *, whole_history: bool = False
) -> list[TrailerBreak]:
    """Every commit on a run branch whose Striatum-Event names a hash the chain lacks (or holds
    at another seq than its Striatum-Event-Seq, when `event_exists` returns a mapping to seqs),
    or that is malformed; empty for a repository with no run branches (or no repository).

    Bounded: one `git log` over the run branches' commits that no other local branch holds
    (those made since they left the main line, unlanded); `whole_history` reads every commit
    the run branches reach instead, landed ones included (one walk of that history).
    """
    stamped = stamped_commits(repo, whole_history=whole_history)
    named = sorted(
        {s.events[0] for s in stamped if len(s.events) == 1 and _HASH.fullmatch(s.events[0])}
    )
    found = _look_up(event_exists, named)
    return [problem for s in stamped if (problem := judge(s, found)) is not None]


def stamped_commits(repo: Path, *, whole_history: bool = False) -> list[Stamped]:
    """The commits on run branches that carry a Striatum-Event trailer, newest first."""
    if not git.is_repository(repo):
        return []
    if not git.output(repo, "for-each-ref", "--count=1", "--format=%(refname)", BRANCHES).strip():
        return []
    since = [] if whole_history else ["--not", "--exclude=striatum/*", "--branches"]
    log = git.output(
        repo,
        "log",
        "-z",
        "--source",
        f"--format={_FIELDS}",
        f"--grep=^{EVENT}:",
        f"--glob={BRANCHES}",
        *since,
    )
    found = []
    for entry in filter(None, log.split("\0")):
        sha, source, events, seqs = entry.split("\n", 3)
        if events:  # a line in the body that is not a trailer is no stamp
            found.append(
                Stamped(
                    commit=sha,
                    branch=source.removeprefix("refs/heads/"),
                    events=events.split(","),
                    seqs=seqs.split(",") if seqs else [],
                )
            )
    return found


def judge(stamped: Stamped, found: Collection[str]) -> TrailerBreak | None:
    """What is wrong with one commit's trailers, given the hashes the chain holds."""
    event = ",".join(stamped.events)
    reason = _reason(stamped, found)
    if reason is None:
        return None
    return TrailerBreak(commit=stamped.commit, branch=stamped.branch, event=event, reason=reason)


def _reason(stamped: Stamped, found: Collection[str]) -> str | None:
    if len(stamped.events) != 1:
        return f"{len(stamped.events)} {EVENT} trailers; a provenance commit carries one"
    event = stamped.events[0]
    if event == "none":  # made while the chain was empty
        return None
    if not _HASH.fullmatch(event):
        return f"{EVENT} is neither a row_hash nor none"
    if event not in found:
        return "the repository's event chain holds no event with this hash"
    if not stamped.seqs:
        return None
    if len(stamped.seqs) != 1 or not stamped.seqs[0].isdigit():
        return f"{EVENT_SEQ} is not one number"
    seq = int(stamped.seqs[0])
    if isinstance(found, Mapping) and found[event] != seq:
        return f"the event chain holds this hash at seq {found[event]}, not at seq {seq}"
    return None


def _look_up(event_exists: EventLookup, hashes: Sequence[str]) -> Collection[str]:
    """All of `hashes` the chain holds, asked in batches; a mapping when the lookup gives one."""
    seqs: dict[str, int] = {}
    present: set[str] = set()
    for start in range(0, len(hashes), BATCH):
        answer = event_exists(hashes[start : start + BATCH])
        if isinstance(answer, Mapping):
            seqs.update(answer)
        present.update(answer)
    return seqs if seqs and len(seqs) == len(present) else present
