"""What a listing may say: pure checks, table-tested (tests/rooms/market/test_rules.py).

Each check returns the value to store or raises Invalid naming the field, so the client can
point at the input that was wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

# One rule for every report (rooms/community/reports.py), re-exported for the listing form.
from rooms.community.regions.data import regions

# One rule for every report (rooms/community/reports.py), re-exported for the listing form.
from rooms.community.reports import MAX_REASON as MAX_REASON
from rooms.errors import Invalid, NotFound

CATEGORIES = ("food", "services", "secondhand", "merchandise", "crafts", "farm", "other")
CONDITIONS = ("new", "used", "none")  # "none": food, services and the like have no condition
PRICINGS = ("fixed", "nego", "free")
STATUSES = ("available", "reserved", "sold")
SCOPES = ("rooms", "organisation")
MAX_TITLE, MAX_DESCRIPTION = 120, 4000
MAX_PRICE = 10**12  # a trillion Rupiah: far above any second-hand sale, well inside BIGINT
MAX_PHOTOS, MAX_ROOMS = 8, 20
DEFAULT_DAYS, MAX_DAYS = 30, 90
DAY_MS = 86_400_000


def check_title(title: str) -> str:
    title = title.strip()
    if not 0 < len(title) <= MAX_TITLE:
        raise Invalid(f"title must be 1-{MAX_TITLE} characters", "title")
    return title


def check_description(description: str) -> str:
    if len(description) > MAX_DESCRIPTION:
        raise Invalid(f"description is at most {MAX_DESCRIPTION} characters", "description")
    return description


def check_price(pricing: str, price: int | None) -> int | None:
    """A fixed price needs an amount; "nego" may name where bargaining starts; free has none."""
    if pricing not in PRICINGS:
        raise Invalid(f"pricing must be one of {', '.join(PRICINGS)}", "pricing")
    if price is not None and not 0 < price <= MAX_PRICE:
        raise Invalid(f"price is 1 to {MAX_PRICE} Rupiah", "price")
    if pricing == "fixed" and price is None:
        raise Invalid("a fixed price needs price (whole Rupiah)", "price")
    if pricing == "free" and price is not None:
        raise Invalid("a free listing has no price", "price")
    return price


def check_choice(value: str, choices: tuple[str, ...], field: str) -> str:
    if value not in choices:
        raise Invalid(f"{field} must be one of {', '.join(choices)}", field)
    return value


def check_region(code: str) -> str:
    """The code of a region that exists in the community's reference data (Kemendagri codes:
    province "32", regency/city "32.73", district "32.73.01", village "32.73.01.1001";
    rooms/community/regions), else Invalid naming "region". The index must be loaded
    (await loaded_regions()) before a coroutine calls this, so the loop never waits for it."""
    code = code.strip()
    try:
        return regions().get(code).code
    except NotFound as exc:  # a well-formed code of no region: still a bad field value
        raise Invalid(exc.message, "region") from exc


def region_prefixes(code: str) -> list[str]:
    """The code and every level above it, most precise first: 32.73.01 -> [32.73.01, 32.73,
    32]. Listings sort by the longest prefix they share with the buyer's region."""
    parts = code.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 0, -1)]


def check_days(days: int | None) -> int:
    if days is None:
        return DEFAULT_DAYS
    if not 1 <= days <= MAX_DAYS:
        raise Invalid(f"expires_in_days must be 1-{MAX_DAYS}", "expires_in_days")
    return days


def check_scope(scope: str, room_ids: list[int]) -> list[int]:
    """The rooms a listing is shown in: one or several for scope "rooms", none for the whole
    organisation."""
    check_choice(scope, SCOPES, "scope")
    rooms = list(dict.fromkeys(room_ids))
    if scope == "rooms" and not rooms:
        raise Invalid(
            "name at least one room, or choose scope organisation", "rooms", reason="listing_rooms"
        )
    if scope == "organisation" and rooms:
        raise Invalid("an organisation-wide listing names no rooms", "rooms")
    if len(rooms) > MAX_ROOMS:
        raise Invalid(f"at most {MAX_ROOMS} rooms", "rooms")
    return rooms


def search_words(text: str | None) -> list[str]:
    """Lower-case words of a search; every one must appear in the title or description."""
    if not text:
        return []
    words = text.lower().split()
    if len(words) > 8 or any(len(w) > 40 for w in words):
        raise Invalid("search with at most 8 words of at most 40 characters", "q")
    return words


@dataclass(frozen=True)
class ListingForm:
    title: str
    description: str
    pricing: str
    price: int | None
    category: str
    condition: str
    region: str
    scope: str
    rooms: list[int]
    photos: list[int]
    expires_in_days: int | None = None

    def columns(self) -> dict[str, object]:
        """The listing's columns, checked (rooms, photos and expiry are the caller's)."""
        if len(set(self.photos)) > MAX_PHOTOS:
            raise Invalid(f"at most {MAX_PHOTOS} photos", "photos")
        return {
            "title": check_title(self.title),
            "description": check_description(self.description),
            "price": check_price(self.pricing, self.price),
            "pricing": self.pricing,
            "category": check_choice(self.category, CATEGORIES, "category"),
            "condition": check_choice(self.condition, CONDITIONS, "condition"),
            "region": check_region(self.region),
            "scope": self.scope,
        }
