"""Bounded JSON parsing: depth and number limits, refused with the JSON path, never recursing."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from striatum.model import bounded_json
from striatum.model.bounded_json import MAX_DEPTH, BoundsError


def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


def refusal(text: str | bytes) -> BoundsError:
    with pytest.raises(BoundsError) as caught:
        bounded_json.loads(text)
    return caught.value


def test_nesting_at_the_limit_parses_and_one_more_level_is_refused() -> None:
    assert bounded_json.loads(nested(MAX_DEPTH)) == json.loads(nested(MAX_DEPTH))
    error = refusal(nested(MAX_DEPTH + 1))
    assert error.problem == f"nesting deeper than {MAX_DEPTH} levels"
    assert error.path.startswith("$[0][0][0]") and "levels)" in error.path


def test_objects_count_as_levels_too_and_the_path_names_their_keys() -> None:
    deep = '{"jobs":[{"x":' + '{"x":' * 100_000 + "1" + "}" * 100_000 + "}]}"
    error = refusal(deep)
    assert error.path.startswith("$.jobs[0].x.x.x.x…(55 levels)…")
    assert error.path.endswith(")….x.x.x")
    assert len(error.path) < 80, "a 100,000-deep path is abbreviated"


def test_a_hundred_thousand_levels_are_refused_without_recursing_and_quickly() -> None:
    started = time.monotonic()
    for text in (nested(100_000), "[" * 100_000, '{"a":' * 100_000):
        assert refusal(text).problem.startswith("nesting deeper")
    assert time.monotonic() - started < 5  # generous: it takes milliseconds


def test_brackets_inside_strings_are_not_counted() -> None:
    text = json.dumps({"text": "[" * 1000 + "{" * 1000, "escaped": '\\"[[[[' * 100})
    assert bounded_json.loads(text) == json.loads(text)


def test_a_5000_digit_integer_is_refused_with_its_path_and_a_short_message() -> None:
    error = refusal('{"jobs": [{"timeout_s": ' + "9" * 5000 + "}]}")
    assert error.path == "$.jobs[0].timeout_s"
    assert "outside the 64-bit range" in error.problem and len(error.problem) < 100


def test_integers_within_64_bits_parse_and_one_beyond_is_refused() -> None:
    edge = "[9223372036854775807, -9223372036854775808, 0, -1]"
    assert bounded_json.loads(edge) == json.loads(edge)
    assert refusal("[1, 9223372036854775808]").path == "$[1]"
    assert refusal("[-9223372036854775809]").path == "$[0]"


@pytest.mark.parametrize("literal", ["1e999", "-1e999", "1E400", "1" * 400 + ".0"])
def test_a_float_too_large_for_a_double_is_refused(literal: str) -> None:
    error = refusal('{"a": {"b": [0, ' + literal + "]}}")
    assert error.path == "$.a.b[1]" and "too large for a double" in error.problem


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(constant: str) -> None:
    error = refusal('{"x": ' + constant + "}")
    assert error.path == "$.x" and error.problem == f"{constant} is not a JSON number"


def test_numbers_inside_strings_are_text_not_numbers() -> None:
    text = json.dumps({"digits": "9" * 5000, "nan": "NaN", "big": "1e999"})
    assert bounded_json.loads(text) == json.loads(text)


def test_bad_syntax_is_still_json_s_own_error() -> None:
    with pytest.raises(json.JSONDecodeError):
        bounded_json.loads('{"a": [1, 2}')


def test_bytes_are_read_as_json_reads_them() -> None:
    assert bounded_json.loads(b'{"a": [1]}') == {"a": [1]}
    assert refusal(b"[" + b"9" * 30 + b"]").path == "$[0]"


def test_an_unterminated_string_full_of_escaped_quotes_is_scanned_in_linear_time() -> None:
    """The string pattern never fails, so no rescan from each later quote."""
    started = time.monotonic()
    with pytest.raises(ValueError):
        bounded_json.loads("[" * 70 + '"' + '\\"' * 200_000)
    assert time.monotonic() - started < 5


def test_very_long_keys_are_shortened_in_the_path() -> None:
    error = refusal(json.dumps({"k" * 10_000: 1}).replace("1}", "1e999}"))
    assert error.path.startswith("$['kkkk") and len(error.path) < 60


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=20,
    )
)
def test_bounded_values_parse_exactly_as_json_does(value: object) -> None:
    text = json.dumps(value)
    assert bounded_json.loads(text) == json.loads(text)


def test_without_locating_the_problem_is_the_same_and_the_path_is_the_root() -> None:
    """What the daemon's event loop uses: no Python-speed scan of a hostile frame."""
    for text in (nested(100_000), '{"a": [' + "9" * 5000 + "]}"):
        with pytest.raises(BoundsError) as caught:
            bounded_json.loads(text, locate=False)
        assert caught.value.path == "$"
        assert caught.value.problem == refusal(text).problem


def test_a_refused_number_leaves_the_rest_readable_and_a_deep_document_nothing() -> None:
    with pytest.raises(BoundsError) as caught:
        bounded_json.loads('{"id": "r1", "params": {"n": ' + "9" * 30 + ', "f": NaN}}')
    assert caught.value.document == {"id": "r1", "params": {"n": None, "f": None}}
    assert caught.value.path == "$.params.n", "the first refused number is named"
    assert refusal(nested(100)).document is None
