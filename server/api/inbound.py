"""What a request brings in, decoded strictly: JSON bodies, query strings and path text.

Pure. Everything here raises rooms.errors.Invalid, so a request whose text no field could hold
is answered 400 before any handler or database sees it. Python is lenient where storage is not:
`json.loads` turns `"\\ud800"` into a lone UTF-16 surrogate, which neither SQLite's nor
PostgreSQL's driver can encode (a 500 deep in a handler); it reads NaN, Infinity and
4,000-digit numbers that RFC 8259 does not allow (§6) or that JavaScript cannot hold; and yarl
quietly replaces percent-escapes that are not UTF-8 with U+FFFD. PostgreSQL cannot store NUL
in text at all, and no field of this API has a use for it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes

from rooms.errors import Invalid

MAX_DEPTH = 32  # objects and arrays in one another: the deepest body we accept is 3 levels
MAX_INT_DIGITS = 20  # well past 2**53 (16 digits), far below Python's 4,300-digit limit


def decode_json(raw: bytes) -> Any:
    """The JSON value of a body: UTF-8 (RFC 8259 §8.1), no NaN or Infinity, finite numbers,
    at most MAX_DEPTH deep, and only text that can be stored (`check_text`)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Invalid("the body must be JSON in UTF-8 (RFC 8259 §8.1)") from exc
    try:
        value = json.loads(
            text, parse_constant=_no_constant, parse_float=_finite_float, parse_int=_short_int
        )
    except RecursionError as exc:
        raise Invalid(f"the body is nested more than {MAX_DEPTH} levels deep") from exc
    except _NumberError as exc:
        raise Invalid(str(exc)) from exc
    except ValueError as exc:  # JSONDecodeError is a ValueError
        raise Invalid("the body must be JSON") from exc
    check_value(value)
    return value


def decode_json_object(raw: bytes) -> dict[str, Any]:
    value = decode_json(raw)
    if not isinstance(value, dict):
        raise Invalid("the body must be a JSON object")
    return value


class _NumberError(ValueError):
    pass


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (RFC 8259 §6)")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NumberError(f"the number {text[:20]} is too large")
    return value


def _short_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _NumberError(f"a number has at most {MAX_INT_DIGITS} digits")
    return int(text)


def check_value(value: Any) -> None:
    """Every key and string in a decoded JSON value passes `check_text`; at most MAX_DEPTH
    deep. Walks with a stack, not recursion, so any depth json.loads accepted is safe here."""
    stack: list[tuple[Any, int, str | None]] = [(value, 0, None)]
    while stack:
        item, depth, field = stack.pop()
        if isinstance(item, str):
            check_text(item, field)
            continue
        if not isinstance(item, dict | list):
            continue
        if depth >= MAX_DEPTH:
            raise Invalid(f"the body is nested more than {MAX_DEPTH} levels deep", field)
        if isinstance(item, list):
            stack.extend((element, depth + 1, field) for element in item)
            continue
        for key, element in item.items():
            check_text(key, field)
            # Errors name the top-level field, the one the client's form knows.
            stack.append((element, depth + 1, key if field is None else field))


def check_text(text: str, field: str | None = None) -> str:
    """Text that UTF-8 can encode and that holds no NUL, or Invalid naming `field`."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        where = f"{field} has" if field else "the request has"
        raise Invalid(
            f"{where} a lone UTF-16 surrogate ({exc.object[exc.start]!a}): send UTF-8 text",
            field,
        ) from exc
    if "\0" in text:
        where = field or "the request"
        raise Invalid(f"{where} contains a NUL character", field)
    return text


def decode_query(raw_query: str) -> dict[str, str]:
    """Query parameters from the raw (still percent-encoded) query string; the first of a
    repeated name counts, as with aiohttp's request.query.get. Percent-escapes must be UTF-8."""
    try:
        pairs = parse_qsl(raw_query, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as exc:
        raise Invalid("the query string must be percent-encoded UTF-8") from exc
    query: dict[str, str] = {}
    for name, value in pairs:
        check_text(name)
        query.setdefault(name, check_text(value, name))
    return query


def check_path(raw_path: str, params: Mapping[str, str]) -> None:
    """The raw path decodes as UTF-8, and no path parameter holds a NUL."""
    try:
        unquote_to_bytes(raw_path).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Invalid("the path must be percent-encoded UTF-8") from exc
    for name, value in params.items():
        check_text(value, name)
