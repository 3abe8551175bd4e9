"""The batched fast check gives the row-by-row fast check's verdict, whatever is tampered."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from striatum.integrity import batch_walk
from striatum.model import chain, chain_body
from striatum.store.chain_batches import LinkBatch
from tests.unit.test_chain import _links, build


def _batches(rows: list[chain.StoredRow], size: int, first: int = 1) -> list[LinkBatch]:
    """What store.chain_batches.scan yields: ranges of `size` seqs from `first` to the highest
    seq, each with the rows found in it (sorted by seq), bodies as jsonb renders them."""
    ordered = sorted(rows, key=lambda r: r.seq)
    top = max((r.seq for r in ordered), default=first - 1)
    out = []
    for lo in range(first, top + 1, size):
        hi = min(lo + size - 1, top)
        part = [r for r in ordered if lo <= r.seq <= hi]
        out.append(
            LinkBatch(
                lo,
                hi,
                [r.seq for r in part],
                [r.row_hash for r in part],
                [r.canonical for r in part],
                [json.dumps((r.columns or {})["payload"]) for r in part],
            )
        )
    return out


def _fast(rows: list[chain.StoredRow], size: int) -> chain.Walk:
    """As chain_check.fast_walk: batches, then row by row after a gap."""
    walked = batch_walk.walk_batches("repo:r", _batches(rows, size))
    if walked.complete:
        return walked.walk
    after = walked.walk.last
    rest = sorted((r for r in rows if r.seq > after.seq), key=lambda r: r.seq)
    tail = chain.walk_links(
        "repo:r", _links(rest), start_seq=after.seq + 1, start_hash=after.row_hash
    )
    return chain.Walk(
        rows=walked.walk.rows + tail.rows, last=tail.last, first_break=tail.first_break
    )


def _row_by_row(rows: list[chain.StoredRow]) -> chain.Walk:
    return chain.walk_links("repo:r", _links(sorted(rows, key=lambda r: r.seq)))


def _tamper(rows: list[chain.StoredRow], index: int, how: str) -> list[chain.StoredRow]:
    row = rows[index]
    changed: list[chain.StoredRow | None] = list(rows)
    if how == "hashed bytes":
        flipped = row.canonical.replace(b'"a"', b'"b"', 1)
        changed[index] = row._replace(canonical=flipped)
    elif how == "row_hash":
        changed[index] = row._replace(row_hash=rows[index - 1].row_hash)
    elif how == "body column":
        body = dict((row.columns or {})["payload"], n=-1)
        changed[index] = row._replace(columns={**(row.columns or {}), "payload": body})
    elif how == "deleted":
        changed[index] = None
    elif how == "reordered":
        neighbour = index + 1 if index + 1 < len(rows) else index - 1
        changed[index] = row._replace(seq=rows[neighbour].seq)
        changed[neighbour] = rows[neighbour]._replace(seq=row.seq)
    return [r for r in changed if r is not None]


@pytest.mark.parametrize("v2_from", [None, 1, 6])
@pytest.mark.parametrize("size", [1, 3, 4, 1000])
def test_an_intact_chain_passes_in_batches_of_any_size(v2_from: int | None, size: int) -> None:
    rows, head = build(13, v2_from=v2_from)
    walked = batch_walk.walk_batches("repo:r", _batches(rows, size))
    assert walked.complete
    assert walked.walk == chain.Walk(rows=13, last=head, first_break=None)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_any_tamper_gets_the_row_by_row_verdict(data: st.DataObject) -> None:
    """Property: hashed bytes, row_hash, the body column, a deleted or a reordered row, at
    any place in any batch (v1, v2 or mixed records): the batched walk names the same row
    with the same reason, and counts the same rows, as the row-by-row fast check."""
    count = data.draw(st.integers(2, 14))
    v2_from = data.draw(st.sampled_from([None, 1, count // 2 + 1]))
    rows, _ = build(count, v2_from=v2_from)
    index = data.draw(st.integers(1, count - 1))
    how = data.draw(
        st.sampled_from(["hashed bytes", "row_hash", "body column", "deleted", "reordered"])
    )
    size = data.draw(st.integers(1, 6))
    tampered = _tamper(rows, index, how)
    expected = _row_by_row(tampered)
    assert expected.first_break is not None or (how == "deleted" and index == count - 1)
    assert _fast(tampered, size) == expected


def test_a_row_hash_not_in_lowercase_hex_is_named() -> None:
    """Stricter than the row-by-row fast check (which compared decoded digests): row_hash is
    compared as the text anchors and lookups use, as the deep check does."""
    rows, _ = build(6, v2_from=1)
    rows[3] = rows[3]._replace(row_hash=rows[3].row_hash.upper())
    walked = batch_walk.walk_batches("repo:r", _batches(rows, 4))
    problem = walked.walk.first_break
    assert problem is not None and problem.seq == 4
    assert problem.reason == "row_hash does not match the row's canonical bytes"


def test_a_gap_spanning_whole_batches_is_left_to_the_row_by_row_walk() -> None:
    rows, _ = build(12, v2_from=1)
    kept = rows[:3] + rows[9:]  # seqs 4..9 gone: batch 5..8 is empty
    walked = batch_walk.walk_batches("repo:r", _batches(kept, 4))
    assert not walked.complete and walked.walk.first_break is None
    assert walked.walk.last == chain.Head(seq=3, row_hash=rows[2].row_hash)
    problem = _fast(kept, 4).first_break
    assert problem is not None and (problem.seq, problem.reason) == (10, "sequence gap or reorder")


def test_a_batch_out_of_place_stops_the_batches_without_a_verdict() -> None:
    rows, _ = build(8, v2_from=1)
    batches = _batches(rows, 3)
    walked = batch_walk.walk_batches("repo:r", [batches[0], batches[2], batches[1]])
    assert not walked.complete and walked.walk.last.seq == 3
    assert _fast(rows, 3).first_break is None


@pytest.mark.parametrize("v2_from", [None, 1])
def test_a_body_the_quick_encoding_cannot_prove_is_a_false_alarm_not_a_break(
    v2_from: int | None,
) -> None:
    """A float such as 3.0 reads back from jsonb as 3.0, whose RFC 8785 form is 3: the batch
    is walked row by row, passes, and the walk carries on to the rows after it."""
    rows, head = build(9, v2_from=v2_from, payload={"exact": 3.0, "n": 1})
    walked = batch_walk.walk_batches("repo:r", _batches(rows, 4))
    assert walked.complete and walked.walk == chain.Walk(rows=9, last=head, first_break=None)
    rows[7] = rows[7]._replace(columns={**(rows[7].columns or {}), "payload": {"exact": 2}})
    problem = batch_walk.walk_batches("repo:r", _batches(rows, 4)).walk.first_break
    assert problem is not None and problem.seq == 8


def test_positions_only_leave_the_body_column_alone() -> None:
    rows, head = build(5, v2_from=1)
    rows[2] = rows[2]._replace(columns={**(rows[2].columns or {}), "payload": {"n": -1}})
    batches = [b._replace(bodies=None) for b in _batches(rows, 2)]
    walked = batch_walk.walk_batches("repo:r", batches, bodies=False)
    assert walked.walk == chain.Walk(rows=5, last=head, first_break=None)
    assert batch_walk.walk_batches("repo:r", _batches(rows, 2)).walk.first_break is not None


def _texts(rows: list[chain.StoredRow], payload: Any = None) -> list[str]:
    return [json.dumps(payload or (r.columns or {})["payload"]) for r in rows]


@pytest.mark.parametrize("v2_from", [None, 1])
def test_bodies_match_proves_a_batch_of_objects(v2_from: int | None) -> None:
    rows, _ = build(5, v2_from=v2_from)
    canonicals = [r.canonical for r in rows]
    assert chain_body.bodies_match("payload", canonicals, _texts(rows))
    other = _texts(rows)
    other[2] = json.dumps({"n": 3, "previous_hash": "e" * 64})
    assert not chain_body.bodies_match("payload", canonicals, other)


@pytest.mark.parametrize(
    "payload",
    [
        {"s": "},{"},  # a cut inside a string: more pieces than bodies
        {"l": [{"a": 1}, {"b": 2}]},  # a cut inside a body
    ],
)
def test_bodies_match_never_proves_a_batch_it_cannot_cut_exactly(payload: Any) -> None:
    """Both bodies are what their records cover, but a piece would not be one body: the
    batch goes row by row (`body_matcher` proves each)."""
    for v2_from in (None, 1):
        rows, _ = build(3, v2_from=v2_from, payload=payload)
        canonicals = [r.canonical for r in rows]
        assert not chain_body.bodies_match("payload", canonicals, _texts(rows))
        matches = chain_body.body_matcher("payload")
        assert all(matches(r.canonical, payload) for r in rows)


def test_bodies_match_leaves_mixed_versions_and_non_objects_to_body_matcher() -> None:
    rows, _ = build(4, v2_from=3)
    assert not chain_body.bodies_match("payload", [r.canonical for r in rows], _texts(rows))
    rows, _ = build(2, v2_from=1, payload=[1, 2])
    assert not chain_body.bodies_match("payload", [r.canonical for r in rows], _texts(rows))
