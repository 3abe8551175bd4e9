"""The anchors file on its own: lines that verify, links, folding, whole-or-nothing appends."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import resource
import signal
from pathlib import Path

import pytest

from striatum import errors
from striatum.integrity import anchor_file
from striatum.integrity.anchor_file import Identity
from striatum.model.canonical import canonical_bytes
from striatum.model.chain import Head

DB = Identity(database="db one", instance_id="i-1", system_identifier="42")
OTHER = Identity(database="db two", instance_id="i-2", system_identifier="42")


def _head(seq: int, mark: str = "a") -> Head:
    return Head(seq=seq, row_hash=mark * 64)


def _append(path: Path, heads: dict[str, Head], *, ident: Identity = DB, **kw: object) -> None:
    anchor_file.append(
        path,
        kind=str(kw.get("kind", "anchor")),
        by="test",
        at="2026-12-05T00:00:00.000000Z",
        identity=ident,
        heads=heads,
        reason=kw.get("reason"),  # type: ignore[arg-type]
    )


def test_lines_round_trip_and_fold_to_the_highest_heads(tmp_path: Path) -> None:
    path = tmp_path / "anchors.jsonl"
    _append(path, {"audit": _head(3), "repo:r": _head(5, "b")})
    _append(path, {"audit": _head(7, "c")})
    _append(path, {"repo:x": _head(1)}, ident=OTHER)
    assert [line.number for line in anchor_file.read_lines(path)] == [1, 2, 3]
    ledger = anchor_file.read(path)
    assert ledger.count == 3
    anchored = ledger.anchored("db one")
    assert anchored is not None and anchored.identity == DB
    assert anchored.heads == {"audit": _head(7, "c"), "repo:r": _head(5, "b")}
    other = ledger.anchored("db two")
    assert other is not None and other.heads == {"repo:x": _head(1)}
    assert ledger.anchored("nowhere") is None


def test_an_accept_line_replaces_what_was_anchored(tmp_path: Path) -> None:
    path = tmp_path / "anchors.jsonl"
    _append(path, {"audit": _head(9)})
    moved = Identity(database="db one", instance_id="i-9", system_identifier="43")
    _append(path, {"audit": _head(2, "d")}, ident=moved, kind="accept", reason="restored")
    anchored = anchor_file.read(path).anchored("db one")
    assert anchored is not None
    assert anchored.identity == moved and anchored.heads == {"audit": _head(2, "d")}
    assert anchored.since_line == 2


def _forge(path: Path, heads: dict[str, Head], ident: Identity = DB) -> None:
    """Append a line as a writer never would (the writers refuse), linked and hashed."""
    lines = anchor_file.read_lines(path)
    document = {
        "v": 1,
        "line": len(lines) + 1,
        "previous": lines[-1].hash if lines else anchor_file.ZERO,
        "at": "t",
        "kind": "anchor",
        "by": "forger",
        "reason": None,
        "database": ident.database,
        "instance_id": ident.instance_id,
        "system_identifier": ident.system_identifier,
        "heads": {n: {"seq": h.seq, "row_hash": h.row_hash} for n, h in heads.items()},
        "refs": {},
    }
    document["hash"] = hashlib.sha256(canonical_bytes(document)).hexdigest()
    with path.open("ab") as file:
        file.write(canonical_bytes(document) + b"\n")


def test_a_line_with_another_identity_and_no_accept_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "anchors.jsonl"
    _append(path, {"audit": _head(1)})
    _forge(
        path,
        {"audit": _head(2)},
        ident=Identity(database="db one", instance_id="forged", system_identifier="42"),
    )
    with pytest.raises(errors.IntegrityFailure, match="line 2: names another identity"):
        anchor_file.read(path)


def test_two_hashes_for_one_position_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "anchors.jsonl"
    _append(path, {"audit": _head(4, "a")})
    _forge(path, {"audit": _head(4, "b")})
    with pytest.raises(errors.IntegrityFailure, match="line 2: anchors audit seq 4"):
        anchor_file.read(path)


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (lambda lines: [lines[1], lines[0]], "line 1: has a wrong format version, line number"),
        (lambda lines: lines[1:], "line 1: has a wrong format version, line number"),
        (
            lambda lines: [lines[0], lines[1].replace('"by":"test"', '"by":"evil"')],
            "line 2: its hash",
        ),
        (lambda lines: [lines[0], lines[1].replace(",", ", ", 1)], "line 2: is not in RFC 8785"),
        (lambda lines: [lines[0], "{}"], "line 2: is not an anchor line"),
    ],
)
def test_every_edit_is_named_by_its_line(tmp_path: Path, edit: object, reason: str) -> None:
    path = tmp_path / "anchors.jsonl"
    _append(path, {"audit": _head(1)})
    _append(path, {"audit": _head(2)})
    lines = path.read_text().splitlines()
    path.write_text("\n".join(edit(lines)) + "\n")  # type: ignore[operator]
    with pytest.raises(errors.IntegrityFailure, match=reason):
        anchor_file.read(path)


def test_a_relinked_forgery_still_breaks_the_link(tmp_path: Path) -> None:
    """A line recomputed with a valid hash but dropped from the middle: line 3 no longer links."""
    path = tmp_path / "anchors.jsonl"
    for seq in (1, 2, 3):
        _append(path, {"audit": _head(seq)})
    lines = path.read_text().splitlines()
    forged = json.loads(lines[2])
    forged["line"] = 2
    forged.pop("hash")
    import hashlib

    from striatum.model.canonical import canonical_bytes

    forged["hash"] = hashlib.sha256(canonical_bytes(forged)).hexdigest()
    path.write_bytes(lines[0].encode() + b"\n" + canonical_bytes(forged) + b"\n")
    with pytest.raises(errors.IntegrityFailure, match="line 2: does not link"):
        anchor_file.read(path)


def test_a_torn_last_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "anchors.jsonl"
    _append(path, {"audit": _head(1)})
    _append(path, {"audit": _head(2)})
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(errors.IntegrityFailure, match="line 2: the last line is incomplete"):
        anchor_file.read(path)
    with pytest.raises(errors.IntegrityFailure):  # and nothing appends after it
        _append(path, {"audit": _head(3)})


def test_an_append_after_a_known_ledger_reads_only_what_was_added(tmp_path: Path) -> None:
    path = tmp_path / "anchors.jsonl"
    ledger, _ = anchor_file.append(
        path, kind="anchor", by="a", at="t", identity=DB, heads={"audit": _head(1)}
    )
    _append(path, {"audit": _head(2)})  # another writer
    after, line = anchor_file.append(
        path, kind="anchor", by="a", at="t", identity=DB, heads={"audit": _head(3)}, expect=ledger
    )
    assert line.number == 3 and after.count == 3
    assert anchor_file.read(path) == after


def _append_many(path: str, who: str) -> None:
    for n in range(40):
        anchor_file.append(
            Path(path), kind="anchor", by=who, at="t", identity=DB, heads={who: _head(n + 1)}
        )


def test_concurrent_writers_interleave_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "anchors.jsonl"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_append_many, args=(str(path), w)) for w in ("p", "q")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    ledger = anchor_file.read(path)
    assert ledger.count == 80
    anchored = ledger.anchored("db one")
    assert anchored is not None and anchored.heads == {"p": _head(40), "q": _head(40)}


def _append_past_the_size_limit(path: str) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a failed write, not a killed process
    size = Path(path).stat().st_size
    resource.setrlimit(resource.RLIMIT_FSIZE, (size + 20, size + 20))
    try:
        _append(Path(path), {"audit": _head(99)})
    except errors.StorageError:
        raise SystemExit(3) from None


def test_a_failed_append_leaves_no_half_line(tmp_path: Path) -> None:
    path = tmp_path / "anchors.jsonl"
    _append(path, {"audit": _head(1)})
    before = path.read_bytes()
    worker = multiprocessing.get_context("spawn").Process(
        target=_append_past_the_size_limit, args=(str(path),)
    )
    worker.start()
    worker.join(60)
    assert worker.exitcode == 3
    assert path.read_bytes() == before


def test_a_writer_never_appends_to_a_file_replaced_under_it(tmp_path: Path) -> None:
    path = tmp_path / "anchors.jsonl"
    ledger, _ = anchor_file.append(
        path, kind="anchor", by="a", at="t", identity=DB, heads={"audit": _head(1)}
    )
    path.unlink()  # deleted (or swapped for another file) behind the writer's back
    _append(path, {"audit": _head(1)})
    with pytest.raises(errors.IntegrityFailure, match="replaced or cut short"):
        anchor_file.append(
            path,
            kind="anchor",
            by="a",
            at="t",
            identity=DB,
            heads={"audit": _head(2)},
            expect=ledger,
        )
    assert anchor_file.read(path).count == 1
