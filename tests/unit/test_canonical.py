"""RFC 8785 canonical JSON: the bytes every chain hash is computed over."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from striatum.model.canonical import (
    CanonicalizationError,
    canonical_bytes,
    format_number,
    sort_keys,
    utf16_sort_key,
)


def test_rfc8785_sample_object_canonicalizes_byte_exact() -> None:
    """The sample of RFC 8785 section 3.2.2: literals, numbers and escapes."""
    source = (
        '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],'
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        '"literals":[null,true,false]}'
    )
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical_bytes(json.loads(source)) == expected.encode("utf-8")


def test_keys_sort_by_utf16_code_units_not_code_points() -> None:
    """U+1F600 (surrogates D83D..) sorts before U+FB33 in UTF-16, after it by code point."""
    value = {"\ufb33": 1, "\U0001f600": 2, "a": 3, "\u20ac": 4, "\r": 5}
    order = list(json.loads(canonical_bytes(value)))
    assert order == ["\r", "a", "\u20ac", "\U0001f600", "\ufb33"]


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (-1.5, "-1.5"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (123456789012345680000.0, "123456789012345680000"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (0.1 + 0.2, "0.30000000000000004"),
        (9007199254740991.0, "9007199254740991"),
        (2.5e-5, "0.000025"),
        (1.25e25, "1.25e+25"),
    ],
)
def test_numbers_use_ecmascript_shortest_form(number: float, text: str) -> None:
    assert format_number(number) == text


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_refused(bad: float) -> None:
    with pytest.raises(CanonicalizationError):
        canonical_bytes({"x": bad})


@pytest.mark.parametrize(
    "bad", [{"big": 2**53 + 1}, {1: "int key"}, {"b": b"bytes"}, {"s": "\ud800"}]
)
def test_unrepresentable_values_are_refused(bad: object) -> None:
    with pytest.raises(CanonicalizationError):
        canonical_bytes(bad)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


def _as_json_number(text: str) -> int | float:
    """Parse like ECMAScript: integers past 2**53 are doubles."""
    number = int(text)
    return number if abs(number) <= 2**53 - 1 else float(number)


@given(json_values)
def test_canonical_bytes_round_trip_and_are_a_fixed_point(value: object) -> None:
    try:
        encoded = canonical_bytes(value)
    except CanonicalizationError:
        return  # integers past 2**53 are refused, by design
    decoded = json.loads(encoded, parse_int=_as_json_number)
    assert decoded == value
    assert canonical_bytes(decoded) == encoded


@given(st.dictionaries(st.text(max_size=6), st.integers(0, 9), max_size=6))
def test_key_order_of_the_input_never_matters(value: dict[str, int]) -> None:
    reversed_value = dict(reversed(list(value.items())))
    assert canonical_bytes(value) == canonical_bytes(reversed_value)


# Where code point and UTF-16 orders part: past U+E000 against the astral planes' surrogates.
_TRICKY = st.text(alphabet=st.sampled_from("aZ~\u00e9\u20ac\ue000\uffff\U0001f600"), max_size=3)


@given(st.lists(_TRICKY, max_size=8))
def test_the_ascii_shortcut_sorts_keys_as_utf16_code_units_do(keys: list[str]) -> None:
    assert sort_keys(keys) == sorted(keys, key=utf16_sort_key)
    ascii_keys = [key.encode("ascii", "ignore").decode() for key in keys]
    assert sort_keys(ascii_keys) == sorted(ascii_keys, key=utf16_sort_key)
    assert sort_keys(ascii_keys) == sorted(ascii_keys)


@given(st.text().filter(lambda text: not any(0xD800 <= ord(c) <= 0xDFFF for c in text)))
def test_strings_escape_as_json_does_without_ascii_escapes(text: str) -> None:
    assert canonical_bytes(text) == json.dumps(text, ensure_ascii=False).encode()


def test_subclasses_of_str_and_dict_encode_as_their_values() -> None:
    class Label(str):
        pass

    class Record(dict):  # type: ignore[type-arg]
        pass

    assert canonical_bytes(Record(b=Label("x"), a=1)) == b'{"a":1,"b":"x"}'
