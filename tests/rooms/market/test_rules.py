"""The listing rules, table by table: prices, regions, scopes, searches."""

from __future__ import annotations

import pytest

from rooms.errors import Invalid
from rooms.market.rules import (
    MAX_PRICE,
    ListingForm,
    check_days,
    check_price,
    check_region,
    check_scope,
    region_prefixes,
    search_words,
)


@pytest.mark.parametrize(
    ("pricing", "price", "stored"),
    [
        ("fixed", 25_000, 25_000),
        ("nego", None, None),
        ("nego", 150_000, 150_000),
        ("free", None, None),
    ],
)
def test_prices_that_are_stored(pricing: str, price: int | None, stored: int | None) -> None:
    assert check_price(pricing, price) == stored


@pytest.mark.parametrize(
    ("pricing", "price", "field"),
    [
        ("fixed", None, "price"),
        ("free", 1000, "price"),
        ("fixed", 0, "price"),
        ("fixed", MAX_PRICE + 1, "price"),
        ("barter", None, "pricing"),
    ],
)
def test_prices_that_are_refused_name_the_field(
    pricing: str, price: int | None, field: str
) -> None:
    with pytest.raises(Invalid) as refused:
        check_price(pricing, price)
    assert refused.value.field == field


@pytest.mark.parametrize("code", ["32", "32.73", "32.73.01", "32.73.01.1001", " 31.71 "])
def test_region_codes_of_every_level_are_taken(code: str) -> None:
    assert check_region(code) == code.strip()


@pytest.mark.parametrize(
    "code",
    [
        "",
        "3",
        "32.7",
        "32.73.1",
        "32.73.01.100",
        "Bandung",
        "32-73",
        "99",
        "32.99",
        "32.73.01.9999",
    ],
)
def test_region_text_that_is_not_a_code_of_a_region_is_refused(code: str) -> None:
    # The last three are shaped like codes but name no region in Kemendagri's list.
    with pytest.raises(Invalid) as refused:
        check_region(code)
    assert refused.value.field == "region"


def test_region_prefixes_run_from_the_village_up_to_the_province() -> None:
    assert region_prefixes("32.73.01.1001") == ["32.73.01.1001", "32.73.01", "32.73", "32"]
    assert region_prefixes("32") == ["32"]


@pytest.mark.parametrize(
    ("scope", "rooms", "kept"),
    [("rooms", [3], [3]), ("rooms", [3, 4, 3], [3, 4]), ("organisation", [], [])],
)
def test_scopes_name_their_rooms(scope: str, rooms: list[int], kept: list[int]) -> None:
    assert check_scope(scope, rooms) == kept


@pytest.mark.parametrize(
    ("scope", "rooms"),
    [("rooms", []), ("organisation", [1]), ("everyone", []), ("rooms", list(range(21)))],
)
def test_scopes_that_do_not_add_up_are_refused(scope: str, rooms: list[int]) -> None:
    with pytest.raises(Invalid) as refused:
        check_scope(scope, rooms)
    assert refused.value.field in ("scope", "rooms")


def test_no_room_ticked_is_said_in_the_members_language() -> None:
    with pytest.raises(Invalid) as refused:
        check_scope("rooms", [])
    assert (refused.value.field, refused.value.reason) == ("rooms", "listing_rooms")


def test_search_words_are_lower_case_and_bounded() -> None:
    assert search_words("  Nasi   GORENG ") == ["nasi", "goreng"]
    assert search_words(None) == []
    with pytest.raises(Invalid):
        search_words("a " * 9)


@pytest.mark.parametrize(("days", "kept"), [(None, 30), (1, 1), (90, 90)])
def test_expiry_defaults_to_a_month_and_is_at_most_three(days: int | None, kept: int) -> None:
    assert check_days(days) == kept


def test_a_listing_form_refuses_too_many_photos_and_an_unknown_category() -> None:
    form = ListingForm("Kaos", "", "fixed", 50_000, "merchandise", "new", "32.73", "rooms", [1], [])
    assert form.columns()["title"] == "Kaos"
    with pytest.raises(Invalid, match="photos"):
        ListingForm(**{**form.__dict__, "photos": list(range(9))}).columns()
    with pytest.raises(Invalid) as refused:
        ListingForm(**{**form.__dict__, "category": "weapons"}).columns()
    assert refused.value.field == "category"
