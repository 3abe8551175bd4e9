"""RFC 8785 (JSON Canonicalization Scheme) encoding.

The hash chains hash these bytes, so the encoding must be byte-exact and independent of
Python's own json formatting choices: object keys sorted by UTF-16 code units, no whitespace,
minimal string escaping, numbers in ECMAScript's shortest form.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from json.encoder import encode_basestring  # what json.dumps(str, ensure_ascii=False) uses
from typing import Any

# Every integer up to this magnitude is exactly representable as an IEEE double.
MAX_SAFE_INTEGER = 2**53 - 1


class CanonicalizationError(ValueError):
    """The value cannot be represented in RFC 8785 canonical JSON."""


def canonical_bytes(value: Any) -> bytes:
    """Encode `value` (dict/list/str/int/float/bool/None) as RFC 8785 UTF-8 bytes."""
    parts: list[str] = []
    _encode(value, parts)
    try:
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError as error:
        raise CanonicalizationError("lone surrogate in a string") from error


def _encode(value: Any, out: list[str]) -> None:
    # The exact built-in types first: a chain append encodes a few dozen values, and this is
    # on every transition's path. Subclasses (str enums, other mappings) take the general way.
    kind = type(value)
    if kind is str:
        out.append(encode_basestring(value))
    elif kind is dict:
        _encode_object(value, out)
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(encode_basestring(value))
    elif isinstance(value, int):
        out.append(_integer(value))
    elif isinstance(value, float):
        out.append(format_number(value))
    elif isinstance(value, Mapping):
        _encode_object(value, out)
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        _encode_array(value, out)
    else:
        raise CanonicalizationError(f"cannot encode {type(value).__name__}")


def _encode_object(value: Mapping[Any, Any], out: list[str]) -> None:
    for key in value:
        if not isinstance(key, str):
            raise CanonicalizationError(f"object key {key!r} is not a string")
    out.append("{")
    for index, key in enumerate(sort_keys(value)):
        if index:
            out.append(",")
        out.append(encode_basestring(key))
        out.append(":")
        _encode(value[key], out)
    out.append("}")


def _encode_array(value: Sequence[Any], out: list[str]) -> None:
    out.append("[")
    for index, item in enumerate(value):
        if index:
            out.append(",")
        _encode(item, out)
    out.append("]")


def sort_keys(keys: Any) -> list[str]:
    """String keys in RFC 8785 order. ASCII keys sort the same by code point as by UTF-16
    code unit, which spares the encoding of every key in the common case."""
    listed = list(keys)
    if all(key.isascii() for key in listed):
        return sorted(listed)
    return sorted(listed, key=utf16_sort_key)


def utf16_sort_key(key: str) -> bytes:
    """The RFC 8785 object key order."""
    # Big-endian UTF-16 bytes compare exactly like sequences of UTF-16 code units.
    return key.encode("utf-16-be", "surrogatepass")


def _integer(value: int) -> str:
    # JCS numbers are IEEE doubles, and PostgreSQL's jsonb keeps integers exactly: past 2**53
    # the two would disagree about the same value, so such integers are refused outright.
    if abs(value) > MAX_SAFE_INTEGER:
        raise CanonicalizationError(f"integer {value} is beyond +/-(2**53 - 1)")
    return str(value)


def format_number(value: float) -> str:
    """ECMAScript Number::toString for a finite double (RFC 8785 section 3.2.2.3)."""
    if math.isnan(value) or math.isinf(value):
        raise CanonicalizationError(f"{value} has no JSON representation")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    digits, point = _shortest_digits(abs(value))
    return sign + _place_point(digits, point)


def _shortest_digits(value: float) -> tuple[str, int]:
    """Shortest round-trip digits and the decimal point position n (value = 0.digits * 10**n)."""
    decimal = Decimal(repr(value)).normalize()
    _sign, digit_tuple, exponent = decimal.as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(map(str, digit_tuple))
    return digits, len(digits) + exponent


def _place_point(digits: str, point: int) -> str:
    count = len(digits)
    if count <= point <= 21:
        return digits + "0" * (point - count)
    if 0 < point <= 21:
        return digits[:point] + "." + digits[point:]
    if -6 < point <= 0:
        return "0." + "0" * -point + digits
    exponent = point - 1
    mantissa = digits if count == 1 else digits[0] + "." + digits[1:]
    return f"{mantissa}e{'+' if exponent >= 0 else '-'}{abs(exponent)}"
