"""A chain record's body (an event's `payload`, an audit row's `params`) and its stored column.

A v1 record holds the body itself; a v2 record (`"v": 2`) holds `<body>_sha256`, the
lowercase hex SHA-256 of the body's RFC 8785 bytes, so the hashed record stays small and a
bundle can carry a redacted body beside the exact record. Either way the body is also stored
in a jsonb column for queries, and `body_matcher` says cheaply whether that column still is
the body the record covers: this is part of the fast check, so a tamper of the column alone
is caught without the deep check.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import repeat
from typing import Any, NamedTuple

from striatum.model.canonical import MAX_SAFE_INTEGER, CanonicalizationError, canonical_bytes

AUDIT_CHAIN = "audit"
RECORD_VERSION = 2
# "v" sorts after every other key of both records, so a v2 record always ends so; a v1 record
# ends with its "type" (events) or "seq" (audit) value.
_V2_END = b',"v":2}'
_LINK_KEY = b',"previous_hash":"'


class _Codec(NamedTuple):
    """The quick encoding (see `quick_encoding`) and the batch parser that goes with it: C."""

    encode: Callable[[Any], bytes]
    encode_lines: Callable[[Iterable[Any]], bytes]
    decode: Callable[[str], Any]
    errors: tuple[type[Exception], ...]


@functools.cache
def _codec() -> _Codec:
    import msgspec  # lazy: some 35 ms of imports, wanted by a chain walk only (STYLE 16)

    encoder = msgspec.json.Encoder(order="sorted")
    errors = (TypeError, ValueError, OverflowError, RecursionError, msgspec.MsgspecError)
    return _Codec(encoder.encode, encoder.encode_lines, msgspec.json.Decoder().decode, errors)


def quick_encoding(value: Any) -> bytes:
    """A JSON value (as a JSON parser gives one) compact, key-sorted, non-ASCII kept: equal to
    RFC 8785 for most bodies (no floats, no keys past U+E000), b"" when it cannot be made.
    Only ever used to prove a match, never a mismatch: it parses back to the value itself, so
    bytes equal to RFC 8785 bytes are that value's RFC 8785 bytes (or the record's own body,
    for v1). The batch check (`bodies_match`) and the row-by-row one (`body_matcher`) use it
    alike, so they agree on every row.

    msgspec writes NaN and infinities as null, which would prove a match RFC 8785 refuses:
    such a value (`json.loads` reads one from a number past a double's range; the batch
    parser refuses those) encodes as b"", matching nothing."""
    codec = _codec()
    try:
        encoded = codec.encode(value)
    except codec.errors:
        return b""
    if b"null" in encoded and _has_non_finite(value):
        return b""
    return encoded


def _has_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(map(_has_non_finite, value.values()))
    if isinstance(value, list | tuple):
        return any(map(_has_non_finite, value))
    return False


def parse_bodies(array: str) -> list[Any] | None:
    """A batch's bodies, given as one JSON array text, parsed in one C call; None when msgspec
    cannot. Where it can, it reads every value exactly as `json.loads` (the row-by-row walk's
    parser) does (tests/unit/test_batch_walk.py holds it to that), and it refuses numbers
    beyond a double's range where `json.loads` would read an infinity."""
    codec = _codec()
    try:
        bodies = codec.decode(array)
    except codec.errors:
        return None
    return bodies if isinstance(bodies, list) else None


def body_key(chain_name: str) -> str:
    """The record key (and column) holding a chain's body: `params` for audit, else `payload`."""
    return "params" if chain_name == AUDIT_CHAIN else "payload"


def digest_key(body: str) -> str:
    """The v2 record key holding the body's digest: `payload_sha256`, `params_sha256`."""
    return f"{body}_sha256"


def is_v2(canonical: bytes) -> bool:
    return canonical.endswith(_V2_END)


def body_digest(body: Any) -> str:
    """Lowercase hex SHA-256 of the body's RFC 8785 bytes (numbers read as doubles)."""
    return hashlib.sha256(canonical_bytes(as_doubles(body))).hexdigest()


def v2_record(record: Mapping[str, Any], body: str) -> dict[str, Any]:
    """A v2 record from a full one: the body replaced by its digest, plus `"v": 2`.

    Refuses what RFC 8785 cannot encode exactly (integers beyond +/-(2**53 - 1)), as v1 did.
    """
    digest = hashlib.sha256(canonical_bytes(record[body])).hexdigest()
    rest = {key: value for key, value in record.items() if key != body}
    return {**rest, digest_key(body): digest, "v": RECORD_VERSION}


def as_doubles(value: Any) -> Any:
    """The JSON value as RFC 8785 reads it: integers beyond +/-(2**53 - 1) become doubles.

    jsonb keeps such digits exactly (a stored 1e20 reads back as an integer), while RFC 8785
    parses every number as an IEEE double.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) > MAX_SAFE_INTEGER:
        return _double(value)
    if isinstance(value, dict):
        return {key: as_doubles(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_doubles(item) for item in value]
    return value


def _double(number: float) -> float:
    """A JSON number as a double, as ECMAScript reads one: an infinity past the range (which
    RFC 8785 then refuses), not an OverflowError out of the walk."""
    try:
        return float(number)
    except OverflowError:
        return math.inf if number > 0 else -math.inf


def body_matcher(key: str) -> Callable[[bytes, Any], bool]:
    """`matches(canonical, body)`: whether a stored body column is the body the hashed record
    covers. Cheap first (one C encoding, one SHA-256 for v2, one slice compare for v1); the
    exact RFC 8785 comparison runs only when the cheap one does not match."""
    digest_marker = b'"' + digest_key(key).encode() + b'":"'
    body_marker = b'"' + key.encode() + b'":'
    sha256, v2_end, link_key = hashlib.sha256, _V2_END, _LINK_KEY

    def matches(canonical: bytes, body: Any) -> bool:
        if canonical.endswith(v2_end):
            start = canonical.find(digest_marker) + len(digest_marker)
            written = canonical[start : start + 64]
            quick = sha256(quick_encoding(body)).hexdigest().encode()
            return quick == written or _digest_or_none(body) == written.decode("ascii", "replace")
        # v1: the top-level body is the first such key (only scalars come before it) and
        # ends where the top-level link starts (it is the key right before previous_hash).
        start = canonical.find(body_marker) + len(body_marker)
        end = canonical.rfind(link_key)
        quick = quick_encoding(body)  # never empty for a real body
        return (quick != b"" and quick == canonical[start:end]) or _v1_body_equal(
            canonical, body, key
        )

    return matches


def bodies_match(key: str, canonicals: Sequence[bytes], array: str) -> bool:
    """Whether each body column (the elements of one JSON array text, in order) is the body
    its record covers, checked for a whole batch at once: True proves it; False only means
    "ask `body_matcher` row by row" (a float, a big number, a mixed batch of v1 and v2
    records). Each element must be one row's whole JSON value, as jsonb renders one (the store
    casts to jsonb), or the parsed bodies need not line up with the rows.

    The per-row costs are what make the fast check slow, so the bodies are parsed in one call
    (`parse_bodies`) and encoded in one call, one line each (the quick encoding, as
    `body_matcher` makes it: the parsed bodies are the values `json.loads` gives, and hold no
    NaN or infinity), so each line is exactly that body's quick encoding, compared as
    `body_matcher` compares it (its SHA-256 with the record's digest, or with the v1 record's
    body bytes).
    """
    count = len(canonicals)
    bodies = parse_bodies(array)
    if bodies is None or count == 0 or len(bodies) != count:
        return False
    codec = _codec()
    try:
        encoded = codec.encode_lines(bodies)  # b"{...}\n{...}\n"
    except codec.errors:
        return False
    # The encoding escapes every control character, so a newline ends a body and nothing else.
    pieces = encoded.split(b"\n")
    if len(pieces) != count + 1 or pieces.pop():
        return False
    if all(map(bytes.endswith, canonicals, repeat(_V2_END))):
        return _digests_match(key, canonicals, pieces)
    if any(map(bytes.endswith, canonicals, repeat(_V2_END))):
        return False  # v1 and v2 records in one batch: rare (one per upgraded chain)
    marker = b'"' + key.encode() + b'":'
    start = len(marker)
    # As body_matcher: from the first top-level body key to the last top-level link.
    return pieces == [c[c.find(marker) + start : c.rfind(_LINK_KEY)] for c in canonicals]


def _digests_match(key: str, canonicals: Sequence[bytes], pieces: list[bytes]) -> bool:
    marker = b'"' + digest_key(key).encode() + b'":"'
    start, sha256 = len(marker), hashlib.sha256
    # Each written slice is at most 64 bytes and the digests exactly 64 each, so the joined
    # strings are equal only if every pair is.
    written = b"".join([c[(i := c.find(marker) + start) : i + 64] for c in canonicals])
    mine = b"".join([sha256(piece).digest() for piece in pieces]).hex().encode()
    return written == mine


def _digest_or_none(body: Any) -> str | None:
    try:
        return body_digest(body)
    except CanonicalizationError:
        return None


def _v1_body_equal(canonical: bytes, body: Any, key: str) -> bool:
    try:
        written = json.loads(canonical)
    except ValueError:
        return False
    return isinstance(written, dict) and key in written and same_json(written[key], body)


def same_json(left: Any, right: Any) -> bool:
    """JSON equality: numbers compared as doubles, but true is not 1 and false is not 0."""
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return _double(left) == _double(right)
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(same_json(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(same_json, left, right))
    return type(left) is type(right) and bool(left == right)


def written_body(canonical: bytes, key: str) -> str:
    """What the hashed record says about its body (for a break's `expected`)."""
    try:
        written = json.loads(canonical)
    except ValueError:
        return "unreadable"
    if not isinstance(written, dict):
        return "unreadable"
    if written.get("v") == RECORD_VERSION:
        return f"{digest_key(key)} {written.get(digest_key(key))}"
    return json.dumps(written.get(key), sort_keys=True)


def stored_body(body: Any, canonical: bytes, key: str) -> str:
    """The column's body as a break's `stored` shows it (a digest for v2 records)."""
    if is_v2(canonical):
        return f"{digest_key(key)} {_digest_or_none(body)}"
    return json.dumps(body, sort_keys=True, default=str)
