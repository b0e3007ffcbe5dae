"""Strict decoding of what requests bring in (server/api/inbound.py): table tests and fuzzing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rooms.errors import Invalid
from server.api.inbound import (
    MAX_DEPTH,
    check_path,
    check_value,
    decode_json,
    decode_query,
)


def nested_lists(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (b'{"a": "b"}', {"a": "b"}),
        (b'{"name": "Ani \\ud83d\\ude00"}', {"name": "Ani \U0001f600"}),  # a surrogate *pair*
        ('{"kota": "Bekasi ✊"}'.encode(), {"kota": "Bekasi ✊"}),
        (b"[1.5, -2, 12345678901234567890]", [1.5, -2, 12345678901234567890]),
        (b'{"t": "line\\nbreak\\ttab"}', {"t": "line\nbreak\ttab"}),
        (b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, nested_lists(MAX_DEPTH)),
    ],
)
def test_good_json_decodes_to_its_value(raw: bytes, value: Any) -> None:
    assert decode_json(raw) == value


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b'{"name": "hi \\ud800"}', "surrogate"),
        (b'{"name": "\\udc00 low"}', "surrogate"),
        (b'{"hi \\ud800": 1}', "surrogate"),
        (b'{"region": {"city": ["\\ud800"]}}', "region has a lone"),
        (b'{"name": "a\\u0000"}', "NUL"),
        (b'{"a\\u0000": 1}', "NUL"),
        (b'"\xed\xa0\x80"', "UTF-8"),
        (b"\xff", "UTF-8"),
        (b"NaN", "JSON"),
        (b"[Infinity]", "JSON"),
        (b"1e400", "too large"),
        (b"-" + b"1" * 21, "20 digits"),
        (b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1), "nested"),
        (b"[" * 100_000, "nested"),
        (b"{'a': 1}", "JSON"),
        (b"", "JSON"),
    ],
)
def test_bad_json_is_refused_with_a_reason(raw: bytes, words: str) -> None:
    with pytest.raises(Invalid) as refused:
        decode_json(raw)
    assert words in refused.value.message


def test_an_error_names_the_top_level_field_it_was_found_under() -> None:
    with pytest.raises(Invalid) as refused:
        check_value({"ok": "x", "region": {"city": "a\0"}})
    assert refused.value.field == "region"


@pytest.mark.parametrize(
    ("raw", "query"),
    [
        ("from=2030-01-01T10%3A00&from=ignored", {"from": "2030-01-01T10:00"}),
        ("q=Bekasi+Timur&empty=", {"q": "Bekasi Timur", "empty": ""}),
        ("kota=%E2%9C%8A", {"kota": "✊"}),
        ("", {}),
    ],
)
def test_a_query_string_decodes_first_value_wins(raw: str, query: dict[str, str]) -> None:
    assert decode_query(raw) == query


@pytest.mark.parametrize("raw", ["a=%FF", "a=%ED%A0%80", "%C0=1", "a=x%00y", "a%00=1"])
def test_a_query_string_that_is_not_utf8_text_is_refused(raw: str) -> None:
    with pytest.raises(Invalid):
        decode_query(raw)


def test_a_path_must_be_utf8_and_its_parameters_free_of_nul() -> None:
    check_path("/api/invites/Ab%20c/accept", {"code": "Ab c"})
    with pytest.raises(Invalid):
        check_path("/api/invites/%FF/accept", {"code": "%FF"})
    with pytest.raises(Invalid) as refused:
        check_path("/api/invites/a%00b/accept", {"code": "a\0b"})
    assert refused.value.field == "code"


@pytest.mark.fuzz
@given(st.binary(max_size=300))
def test_any_bytes_decode_or_are_refused_as_invalid(raw: bytes) -> None:
    try:
        value = decode_json(raw)
    except Invalid:
        return
    # What is accepted can be stored and sent back as UTF-8 JSON.
    json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")


JSON_TEXT = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@pytest.mark.fuzz
@settings(max_examples=max(10, settings.default.max_examples * 2 // 5))  # nesting is slow
@given(JSON_TEXT)
def test_any_json_value_decodes_or_is_refused_as_invalid(value: Any) -> None:
    raw = json.dumps(value, ensure_ascii=True).encode("ascii")  # surrogates as \\udXXX escapes
    try:
        decoded = decode_json(raw)
    except Invalid:
        return
    assert decoded == value
    json.dumps(decoded, ensure_ascii=False).encode("utf-8")


@pytest.mark.fuzz
@given(st.text(max_size=60))
def test_any_query_text_decodes_or_is_refused_as_invalid(raw: str) -> None:
    try:
        query = decode_query(raw)
    except Invalid:
        return
    for name, value in query.items():
        (name + value).encode("utf-8")
        assert "\0" not in name + value
