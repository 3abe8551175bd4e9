"""The batched fast check gives the row-by-row fast check's verdict, whatever is tampered."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from striatum.integrity import batch_walk
from striatum.model import chain, chain_body
from striatum.model.canonical import CanonicalizationError
from striatum.store.chain_batches import LinkBatch
from tests.unit.test_chain import _links, build

BODY = "column 'payload' differs from the hashed record"


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
                _array(part) if part else None,
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


def _array(rows: list[chain.StoredRow], payload: Any = None) -> str:
    """The rows' bodies as the store sends them: one JSON array text, each element as jsonb
    renders it."""
    return "[" + ",".join(json.dumps(payload or (r.columns or {})["payload"]) for r in rows) + "]"


@pytest.mark.parametrize("v2_from", [None, 1])
def test_bodies_match_proves_a_batch_of_objects(v2_from: int | None) -> None:
    rows, _ = build(5, v2_from=v2_from)
    canonicals = [r.canonical for r in rows]
    assert chain_body.bodies_match("payload", canonicals, _array(rows))
    other = list(rows)
    other[2] = rows[2]._replace(columns={"payload": {"n": 3, "previous_hash": "e" * 64}})
    assert not chain_body.bodies_match("payload", canonicals, _array(other))


@pytest.mark.parametrize(
    "payload",
    [
        {"s": "},{", "t": "a\nb"},  # what would cut a joined encoding inside a string
        {"l": [{"a": 1}, {"b": 2}]},  # objects inside a body
        [1, {"a": None}],  # a body not an object
    ],
)
def test_bodies_match_cuts_one_line_per_body_whatever_the_body_holds(payload: Any) -> None:
    """Each body is encoded on a line of its own (a newline inside a string is escaped): the
    batch is proven as a whole, and one changed body is still found."""
    for v2_from in (None, 1):
        rows, _ = build(3, v2_from=v2_from, payload=payload)
        canonicals = [r.canonical for r in rows]
        assert chain_body.bodies_match("payload", canonicals, _array(rows))
        other = list(rows)
        other[1] = rows[1]._replace(columns={"payload": {"s": "},{"}})
        assert not chain_body.bodies_match("payload", canonicals, _array(other))


def test_bodies_match_leaves_mixed_versions_to_body_matcher() -> None:
    rows, _ = build(4, v2_from=3)
    assert not chain_body.bodies_match("payload", [r.canonical for r in rows], _array(rows))
    assert batch_walk.walk_batches("repo:r", _batches(rows, 4)).walk.first_break is None


# The batch check parses bodies with msgspec and both checks encode them with it: numbers and
# strings it writes otherwise than RFC 8785, and texts it reads otherwise than json.loads.
HUGE = "1" + "0" * 400  # jsonb keeps such a number's digits; json.loads reads an int
HUGE_FRACTION = HUGE + ".5"  # json.loads reads an infinity, msgspec refuses it
NUMBER_TEXTS = [
    HUGE,
    "-" + HUGE,
    HUGE_FRACTION,
    "10000000000000000",  # 1e16: RFC 8785 writes it so, msgspec as 1e16
    "1000000000000000000000",  # 1e21: RFC 8785 writes 1e+21, msgspec 1e21
    "9007199254740993",  # 2**53 + 1: a double reads it as 2**53
    "18446744073709551616",  # past 64 bits
    "3.0",
    "-0",
    "-0.0",
    "0.000001",
    "1.5e-7",
    "5e-324",
    "1e-400",
    "1.7976931348623157e308",
]
_numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -0.0, 1e16, 1e21, 1.5e-7, 5e-324, 2**53 + 1, 2**64]),
)
_strings = st.one_of(
    st.text(max_size=6),
    st.text(st.characters(exclude_categories=()), max_size=4),  # lone surrogates too
    st.sampled_from(["\ue000", "\U0001f600", "\x00\x1f\x7f", '"\\/', "\u2028", "null"]),
)
_json = st.recursive(
    st.none() | st.booleans() | _numbers | _strings,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_strings, inner, max_size=3),
    max_leaves=8,
)


def _same(left: Any, right: Any) -> bool:
    """Equal and of the same types all the way down (-0.0 is not 0.0, 1.0 is not 1)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, float):
        return repr(left) == repr(right)
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(_same(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(map(_same, left, right))
    return bool(left == right)


def _text(value: Any, ascii_only: bool) -> str:
    return json.dumps(value, ensure_ascii=ascii_only)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.one_of(_json.map(lambda v: _text(v, False)), st.sampled_from(NUMBER_TEXTS))),
    st.booleans(),
)
def test_the_batch_parser_reads_every_body_as_json_loads_does_or_not_at_all(
    texts: list[str], wrap: bool
) -> None:
    """Property: where msgspec parses a batch, each body is the value (and type) json.loads,
    the row-by-row walk's parser, gives; a number beyond a double's range is refused, never
    read as an infinity."""
    if wrap:
        texts = ['{"x": ' + text + "}" for text in texts]
    parsed = chain_body.parse_bodies("[" + ",".join(texts) + "]")
    if parsed is not None:
        assert _same(parsed, [json.loads(text) for text in texts])
    if any(HUGE_FRACTION in text for text in texts):
        assert parsed is None


@settings(max_examples=300, deadline=None)
@given(st.one_of(_json.map(lambda v: _text(v, True)), st.sampled_from(NUMBER_TEXTS)))
def test_the_quick_encoding_always_reads_back_as_the_value_it_encodes(text: str) -> None:
    """Property: the quick encoding (either check's) is empty or JSON that json.loads reads
    back as the very value, so bytes equal to RFC 8785 bytes prove the RFC 8785 value: an
    infinity (from a huge number) is never written as null, a float never as an int."""
    value = json.loads(text)
    for wrapped in (value, {"x": value}, [value]):
        quick = chain_body.quick_encoding(wrapped)
        if quick:
            assert _same(json.loads(quick), wrapped)
    assert chain_body.quick_encoding({"x": json.loads(HUGE_FRACTION)}) == b""


def _text_batches(rows: list[chain.StoredRow], texts: list[str], size: int) -> list[LinkBatch]:
    """As `_batches`, each row's body given as the text the store would send."""
    out = []
    for lo in range(1, len(rows) + 1, size):
        part = range(lo - 1, min(lo - 1 + size, len(rows)))
        out.append(
            LinkBatch(
                lo,
                part[-1] + 1,
                [rows[i].seq for i in part],
                [rows[i].row_hash for i in part],
                [rows[i].canonical for i in part],
                "[" + ",".join(texts[i] for i in part) + "]",
            )
        )
    return out


def _text_links(
    rows: list[chain.StoredRow], texts: list[str]
) -> list[tuple[int, bytes, bytes, bytes]]:
    return [
        (r.seq, bytes.fromhex(r.row_hash), r.canonical, text.encode())
        for r, text in zip(rows, texts, strict=True)
    ]


def _neighbours(value: Any) -> list[str]:
    """Texts of bodies a tamper could put in the column that differ from `{"x": value}` only
    where the two encodings differ from RFC 8785 or from each other."""
    near = ["null", "0", "-0.0", "1.0", HUGE, HUGE_FRACTION, '"x"', "[]", "{}"]
    if isinstance(value, float) and math.isfinite(value):
        near += [repr(value), json.dumps(value), f"{value:.17g}"]
        if value.is_integer():
            near.append(str(int(value)))
    if isinstance(value, int) and not isinstance(value, bool):
        near += [str(value), f"{value}.0", str(value + 1), repr(float(value))]
    return ['{"x": ' + text + "}" for text in near]


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_bodies_the_encoder_writes_unlike_rfc_8785_get_the_row_by_row_verdict(
    data: st.DataObject,
) -> None:
    """Property: a chain whose bodies hold any JSON value (floats, big or negative-zero
    numbers, escapes, keys past U+E000) passes in batches when honest, and with one body
    column changed to a value whose encodings differ only in number or string form the
    batched walk names the same row for the same reason as the row-by-row walk (v1, v2)."""
    value = data.draw(_json)
    count = data.draw(st.integers(2, 7))
    v2_from = data.draw(st.sampled_from([None, 1]))
    try:
        rows, head = build(count, v2_from=v2_from, payload={"x": value})
    except CanonicalizationError:
        assume(False)  # not a body the daemon can write (an integer past 2**53)
    texts = [_text((r.columns or {})["payload"], data.draw(st.booleans())) for r in rows]
    size = data.draw(st.integers(1, 4))
    honest = batch_walk.walk_batches("repo:r", _text_batches(rows, texts, size))
    assert honest.walk == chain.Walk(rows=count, last=head, first_break=None)
    index = data.draw(st.integers(0, count - 1))
    texts[index] = data.draw(st.sampled_from(_neighbours(value)))
    expected = chain.walk_links("repo:r", _text_links(rows, texts))
    walked = batch_walk.walk_batches("repo:r", _text_batches(rows, texts, size))
    assert walked.complete and walked.walk == expected


@pytest.mark.parametrize("v2_from", [None, 1])
@pytest.mark.parametrize("stored", [HUGE_FRACTION, HUGE, "-0.0", "1e16"])
def test_a_number_no_double_holds_is_never_read_as_the_null_it_replaced(
    v2_from: int | None, stored: str
) -> None:
    """A superuser puts a number into a body whose record says null (or 0): an infinity is
    not null, a huge integer not a crash, -0.0 and 1e16 not 0 and 1e+16's neighbours."""
    for written in (None, 0):
        rows, _ = build(4, v2_from=v2_from, payload={"x": written})
        texts = [json.dumps((r.columns or {})["payload"]) for r in rows]
        texts[2] = '{"x": ' + stored + "}"
        walked = batch_walk.walk_batches("repo:r", _text_batches(rows, texts, 4)).walk
        problem = walked.first_break
        if stored == "-0.0" and written == 0:  # the same number, as RFC 8785 reads it
            assert problem is None
            continue
        assert problem is not None and (problem.seq, problem.reason) == (3, BODY)
        assert walked == chain.walk_links("repo:r", _text_links(rows, texts))
