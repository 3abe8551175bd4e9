"""Chain records v2: the body travels as a digest, and its column is part of the fast check."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from striatum.model import chain, chain_body
from striatum.model.canonical import canonical_bytes
from tests.unit.test_chain import _links, build

AUDIT = {
    "request_id": "q",
    "method": "status",
    "actor": "operator",
    "role": "operator",
    "ok": True,
    "error_code": None,
    "at": "x",
}


def test_a_v2_event_record_holds_the_payload_digest_host_and_version() -> None:
    """Contract: an event record v2 has exactly these keys; payload_sha256 = SHA-256(JCS)."""
    payload = {"b": [1, 2.5], "a": "é"}
    record = chain_body.v2_record({"repo_id": "r", "host": "h", "payload": payload}, "payload")
    sealed = chain.seal(record, chain.GENESIS_HASH)
    expected = hashlib.sha256(canonical_bytes(payload)).hexdigest()
    assert record == {"repo_id": "r", "host": "h", "payload_sha256": expected, "v": 2}
    assert sealed.canonical.endswith(b',"v":2}') and chain_body.is_v2(sealed.canonical)


def test_an_audit_record_v2_holds_the_params_digest() -> None:
    record = chain_body.v2_record({**AUDIT, "host": "h", "params": {"n": 1}}, "params")
    assert record["params_sha256"] == hashlib.sha256(b'{"n":1}').hexdigest()
    assert "params" not in record and record["v"] == 2


def test_v1_rows_followed_by_v2_rows_verify_fast_and_deep() -> None:
    rows, head = build(10, v2_from=6)
    assert [chain_body.is_v2(r.canonical) for r in rows] == [False] * 5 + [True] * 5
    assert chain.linked_hash(rows[5].canonical) == rows[4].row_hash
    assert chain.verify_rows("repo:r", rows, head, deep=True).ok
    report = chain.verify_links("repo:r", _links(rows), head)
    assert report.ok and report.rows == 10


def _as_jsonb_returns(value: Any) -> Any:
    """What reading the payload back from jsonb gives: a float such as 1e20 as an integer."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _as_jsonb_returns(v) for k, v in value.items()}
    return value


@pytest.mark.parametrize("v2_from", [None, 1])
@pytest.mark.parametrize(
    "payload",
    [
        {"small": 1.5e-7, "big": 1e20, "exact": 3.0},
        {"\ue000": 1, "\U0001f600": 2, "ascii": "x\u2028y"},
        {"nested": {"previous_hash": "0" * 64, "list": [True, None, -0.5]}},
    ],
)
def test_payload_columns_that_jsonb_reads_back_differently_still_match(
    payload: dict[str, Any], v2_from: int | None
) -> None:
    """The cheap comparison falls back to the exact one: no false alarm on floats, big
    numbers, or keys whose UTF-16 order differs from code point order."""
    rows, head = build(3, v2_from=v2_from, payload=payload)
    rows = [
        r._replace(columns={**(r.columns or {}), "payload": _as_jsonb_returns(payload)})
        for r in rows
    ]
    assert chain.verify_links("repo:r", _links(rows), head).ok
    assert chain.verify_rows("repo:r", rows, head, deep=True).ok


@pytest.mark.parametrize("v2_from", [None, 1])
def test_true_is_not_one_in_a_payload_column(v2_from: int | None) -> None:
    rows, head = build(2, v2_from=v2_from, payload={"a": True})
    rows[1] = rows[1]._replace(columns={**(rows[1].columns or {}), "payload": {"a": 1}})
    problem = chain.verify_links("repo:r", _links(rows), head).first_break
    assert problem is not None and problem.seq == 2


@pytest.mark.parametrize("version", [1, 2])
def test_a_changed_params_column_of_the_audit_chain_is_named(version: int) -> None:
    rows, previous = [], chain.GENESIS_HASH
    for seq in range(1, 4):
        columns = {**AUDIT, "seq": seq, "params": {"n": seq}}
        record = columns if version == 1 else chain_body.v2_record(columns, "params")
        sealed = chain.seal(record, previous)
        rows.append((seq, bytes.fromhex(sealed.row_hash), sealed.canonical, b'{"n": %d}' % seq))
        previous = sealed.row_hash
    head = chain.Head(seq=3, row_hash=previous)
    assert chain.verify_links("audit", rows, head).ok
    rows[1] = (*rows[1][:3], b'{"n": 20}')
    problem = chain.verify_links("audit", rows, head).first_break
    assert problem is not None
    assert (problem.seq, problem.reason) == (2, "column 'params' differs from the hashed record")
    assert problem.stored is not None and problem.expected is not None
    assert problem.stored != problem.expected
