"""Request fields (server/api/fields.py): JSON bodies and query strings, every failure naming
the field at fault. Pure."""

from __future__ import annotations

from typing import Any

import pytest

from rooms.errors import Invalid
from server.api.fields import MAX_INT, Field, parse_body, parse_query

FIELDS = (
    Field("name", required=True, max_length=5),
    Field("kind", choices=("a", "b")),
    Field("count", kind=int, minimum=1, maximum=10),
    Field("big", kind=int),
    Field("flag", kind=bool),
    Field("ids", kind=list, items=int, max_length=3),
    Field("extra", kind=dict),
)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": 5}, "name"),
        ({"name": "toolong"}, "name"),
        ({}, "name"),
        ({"name": None}, "name"),
        ({"name": "ok", "kind": "c"}, "kind"),
        ({"name": "ok", "count": True}, "count"),  # JSON true is not an integer
        ({"name": "ok", "count": "3"}, "count"),
        ({"name": "ok", "count": 1.5}, "count"),
        ({"name": "ok", "count": 0}, "count"),
        ({"name": "ok", "count": 11}, "count"),
        ({"name": "ok", "big": MAX_INT + 1}, "big"),
        ({"name": "ok", "flag": 1}, "flag"),
        ({"name": "ok", "ids": [1, "2"]}, "ids"),
        ({"name": "ok", "ids": [1, True]}, "ids"),
        ({"name": "ok", "ids": [1, 2, 3, 4]}, "ids"),
        ({"name": "ok", "ids": [2**60]}, "ids"),
        ({"name": "ok", "ids": 1}, "ids"),
        ({"name": "ok", "extra": []}, "extra"),
        ({"name": "ok", "surprise": 1}, "surprise"),  # unknown fields are refused
    ],
)
def test_a_bad_body_names_its_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_body(body, FIELDS)
    assert caught.value.field == field


@pytest.mark.parametrize("body", [[], "name", 5, None])
def test_a_body_that_is_not_an_object_is_refused(body: Any) -> None:
    with pytest.raises(Invalid, match="JSON object"):
        parse_body(body, FIELDS)


def test_a_good_body_fills_absent_fields_with_none() -> None:
    body = {"name": "ani", "count": 10, "flag": False, "ids": [1, 2], "extra": {}}
    assert parse_body(body, FIELDS) == {**body, "kind": None, "big": None}


QUERY = (Field("before", kind=int, minimum=1), Field("discover", kind=bool), Field("from"))


@pytest.mark.parametrize(
    ("query", "parsed"),
    [
        ({}, {"before": None, "discover": None, "from": None}),
        ({"before": "", "discover": ""}, {"before": None, "discover": None, "from": None}),
        ({"before": "42", "discover": "1"}, {"before": 42, "discover": True, "from": None}),
        ({"discover": "false", "from": "x"}, {"before": None, "discover": False, "from": "x"}),
        ({"discover": "0"}, {"before": None, "discover": False, "from": None}),
    ],
)
def test_query_text_becomes_typed_values(query: dict[str, str], parsed: dict[str, Any]) -> None:
    assert parse_query(query, QUERY) == parsed


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"before": "abc"}, "before"),
        ({"before": "0"}, "before"),
        ({"before": "-3"}, "before"),
        ({"before": "1.5"}, "before"),
        ({"before": "9" * 18}, "before"),
        ({"before": "--5"}, "before"),
        ({"before": "²"}, "before"),  # a Unicode digit that int() cannot read
        ({"discover": "yes"}, "discover"),
    ],
)
def test_a_bad_query_names_its_field(query: dict[str, str], field: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_query(query, QUERY)
    assert caught.value.field == field
