"""The pure chain rules: sealing, linking, and naming the first bad row."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from striatum.model import chain, chain_body
from striatum.model.canonical import canonical_bytes


def build(
    count: int, *, v2_from: int | None = None, payload: Any = None
) -> tuple[list[chain.StoredRow], chain.Head]:
    """A chain of `count` events: v1 records, then v2 ones from seq `v2_from` on."""
    rows, previous = [], chain.GENESIS_HASH
    for seq in range(1, count + 1):
        columns = {
            "repo_id": "r",
            "seq": seq,
            "type": "t",
            "run_id": None,
            "job_id": None,
            "actor": "a",
            "payload": payload if payload is not None else {"n": seq, "previous_hash": "f" * 64},
            "at": "x",
        }
        record: dict[str, Any] = columns
        if v2_from is not None and seq >= v2_from:
            columns = {**columns, "host": "h1"}
            record = chain_body.v2_record(columns, "payload")
        sealed = chain.seal(record, previous)
        rows.append(
            chain.StoredRow(
                seq=seq,
                previous_hash=previous,
                row_hash=sealed.row_hash,
                canonical=sealed.canonical,
                columns=columns,
            )
        )
        previous = sealed.row_hash
    return rows, chain.Head(seq=count, row_hash=previous)


def test_row_hash_is_sha256_of_the_rfc8785_record_with_previous_hash() -> None:
    """Contract: row_hash = SHA-256(JCS(record + previous_hash)), genesis link is 64 zeros."""
    sealed = chain.seal({"seq": 1, "type": "x"}, chain.GENESIS_HASH)
    expected_bytes = canonical_bytes({"seq": 1, "type": "x", "previous_hash": "0" * 64})
    assert sealed.canonical == expected_bytes
    assert sealed.row_hash == hashlib.sha256(expected_bytes).hexdigest()


def test_an_intact_chain_verifies_deeply() -> None:
    rows, head = build(20)
    report = chain.verify_rows("repo:r", rows, head, deep=True)
    assert report.ok and report.rows == 20


def test_the_link_inside_the_bytes_ignores_a_nested_previous_hash_key() -> None:
    rows, _ = build(2)
    assert chain.linked_hash(rows[1].canonical) == rows[0].row_hash


@pytest.mark.parametrize("v2_from", [None, 1, 3])
def test_a_changed_payload_column_is_caught_without_the_deep_check(v2_from: int | None) -> None:
    """Contract: the body column is part of the fast check, for v1 and v2 rows alike."""
    rows, head = build(5, v2_from=v2_from)
    columns = dict(rows[2].columns or {})
    columns["payload"] = {"n": 999}
    rows[2] = rows[2]._replace(columns=columns)
    for report in (
        chain.verify_rows("repo:r", rows, head),
        chain.verify_rows("repo:r", rows, head, deep=True),
        chain.verify_links("repo:r", _links(rows), head),
    ):
        assert report.first_break is not None
        assert (report.first_break.seq, report.first_break.reason) == (
            3,
            "column 'payload' differs from the hashed record",
        )


def test_a_deleted_row_is_named_by_its_successor() -> None:
    rows, head = build(6)
    del rows[3]
    bad = chain.verify_rows("repo:r", rows, head).first_break
    assert bad is not None and bad.seq == 5 and "gap" in bad.reason


def test_reordered_rows_break_the_chain() -> None:
    rows, head = build(6)
    rows[2], rows[3] = (rows[3]._replace(seq=3), rows[2]._replace(seq=4))
    bad = chain.verify_rows("repo:r", rows, head).first_break
    assert bad is not None and bad.seq == 3


def test_a_truncated_tail_disagrees_with_the_head() -> None:
    rows, head = build(6)
    bad = chain.verify_rows("repo:r", rows[:4], head).first_break
    assert bad is not None and "head" in bad.reason


@settings(max_examples=60)
@given(st.data())
def test_any_single_byte_change_in_any_row_is_detected(data: st.DataObject) -> None:
    rows, head = build(5)
    index = data.draw(st.integers(0, 4))
    target = rows[index].canonical
    position = data.draw(st.integers(0, len(target) - 1))
    flipped = bytes([target[position] ^ data.draw(st.integers(1, 255))])
    changed = target[:position] + flipped + target[position + 1 :]
    rows[index] = rows[index]._replace(canonical=changed)
    report = chain.verify_rows("repo:r", rows, head, deep=True)
    assert report.first_break is not None and report.first_break.seq == index + 1


def test_stored_canonical_bytes_are_valid_json_objects() -> None:
    rows, _ = build(1)
    assert json.loads(rows[0].canonical)["previous_hash"] == chain.GENESIS_HASH


def _links(rows: list[chain.StoredRow]) -> list[tuple[int, bytes, bytes, bytes]]:
    """The fast check's rows: the payload column as the JSON text the store hands over."""
    return [
        (r.seq, bytes.fromhex(r.row_hash), r.canonical, json.dumps(_payload(r)).encode())
        for r in rows
    ]


def _payload(row: chain.StoredRow) -> Any:
    return (row.columns or {})["payload"]


def test_the_fast_link_check_passes_an_intact_chain() -> None:
    rows, head = build(30)
    report = chain.verify_links("repo:r", _links(rows), head)
    assert report.ok and report.rows == 30


@settings(max_examples=60)
@given(st.data())
def test_the_fast_check_names_the_same_row_as_the_full_check(data: st.DataObject) -> None:
    rows, head = build(5)
    index = data.draw(st.integers(0, 4))
    target = rows[index].canonical
    position = data.draw(st.integers(0, len(target) - 1))
    flipped = bytes([target[position] ^ data.draw(st.integers(1, 255))])
    rows[index] = rows[index]._replace(
        canonical=target[:position] + flipped + target[position + 1 :]
    )
    fast = chain.verify_links("repo:r", _links(rows), head).first_break
    full = chain.verify_rows("repo:r", rows, head).first_break
    assert fast is not None and full is not None
    assert (fast.seq, fast.reason) == (full.seq, full.reason)


def test_the_fast_check_catches_a_deleted_row_and_a_short_head() -> None:
    rows, head = build(6)
    gap = chain.verify_links("repo:r", _links(rows[:2] + rows[3:]), head).first_break
    assert gap is not None and gap.seq == 4
    short = chain.verify_links("repo:r", _links(rows[:5]), head).first_break
    assert short is not None and "head" in short.reason


def test_hashed_bytes_that_are_not_json_are_a_break_not_a_crash() -> None:
    rows, head = build(2)
    garbage = b"\xff\xfe not json"
    digest = hashlib.sha256(garbage).hexdigest()
    rows[1] = rows[1]._replace(canonical=garbage, row_hash=digest)
    head = chain.Head(seq=2, row_hash=digest)
    report = chain.verify_rows("repo:r", rows, head, deep=True)
    assert report.first_break is not None and report.first_break.seq == 2


def test_true_is_not_one_in_the_deep_check() -> None:
    assert not chain.same_json(True, 1) and not chain.same_json({"a": 0}, {"a": False})
    assert chain.same_json({"a": [1, 2.0]}, {"a": [1.0, 2]})
