"""What an account's fields may hold: a username or phone number to log in with, a password's
length, the profile (display name, organisation) and the region, which must name a place on the
official list (rooms/community/regions). Pure: Invalid names the first bad field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rooms.community.regions import check_place, check_rt_rw, regions
from rooms.errors import Invalid

USERNAME = re.compile(r"[a-z0-9_.]{3,32}")
PHONE = re.compile(r"\+[0-9]{8,15}")
MIN_PASSWORD, MAX_PASSWORD = 8, 256
MAX_DISPLAY_NAME = 80
REGION_FIELDS = {"province": 80, "city": 80, "rt_rw": 20, "code": 13}
MAX_ORGANISATION = 120


@dataclass(frozen=True)
class Registration:
    password: str
    display_name: str
    username: str | None = None
    phone: str | None = None
    organisation: str = ""
    region: Mapping[str, str] | None = None


def normalise_username(value: str) -> str:
    username = value.strip().lower()
    if not USERNAME.fullmatch(username):
        raise Invalid(
            "username must be 3-32 of a-z, 0-9, '_' or '.'", "username", reason="username_format"
        )
    return username


def normalise_phone(value: str) -> str:
    """Indonesian numbers are often written 0812...; store them as +62812..."""
    phone = re.sub(r"[\s-]", "", value)
    if phone.startswith("0"):
        phone = "+62" + phone[1:]
    if not PHONE.fullmatch(phone):
        raise Invalid(
            "phone must be '+' and 8-15 digits (or 08... for Indonesia)",
            "phone",
            reason="phone_format",
        )
    return phone


def login_key(login: str) -> tuple[str, str]:
    """The column a login names and its stored form: ("phone", "+62812...") or ("username",
    "ani"). Pure. One account has one key however its login is written (0812 or +62812)."""
    login = login.strip()
    if login.startswith(("+", "0")):
        try:
            return "phone", normalise_phone(login)
        except Invalid:  # not a phone number after all: usernames may start with a digit
            pass
    return "username", login.lower()


def check_password_length(password: str, field: str) -> None:
    """Invalid naming `field` unless the password's length is within the rules. Pure."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(
            f"{field} must be {MIN_PASSWORD}-{MAX_PASSWORD} characters",
            field,
            reason="password_length",
        )


def check_registration(form: Registration) -> dict[str, Any]:
    """The row to insert, or Invalid naming the first bad field. Pure."""
    if form.username is None and form.phone is None:
        raise Invalid("give a username or a phone number", "username", reason="login_missing")
    check_password_length(form.password, "password")
    region = {name: "" for name in REGION_FIELDS} | dict(form.region or {})
    profile = check_profile(form.display_name, form.organisation, region)
    return {
        "username": normalise_username(form.username) if form.username is not None else None,
        "phone": normalise_phone(form.phone) if form.phone is not None else None,
        **profile,
    }


def check_profile(
    display_name: str | None, organisation: str | None, region: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The columns a profile edit changes (only what was given), or Invalid. Pure."""
    row: dict[str, Any] = {}
    if display_name is not None:
        display_name = display_name.strip()
        if not 0 < len(display_name) <= MAX_DISPLAY_NAME:
            raise Invalid(
                f"display_name must be 1-{MAX_DISPLAY_NAME} characters",
                "display_name",
                reason="display_name_length",
            )
        row["display_name"] = display_name
    if organisation is not None:
        if len(organisation.strip()) > MAX_ORGANISATION:
            raise Invalid(
                f"organisation is at most {MAX_ORGANISATION} characters",
                "organisation",
                reason="organisation_length",
            )
        row["organisation"] = organisation.strip()
    if region is not None:
        unknown = set(region) - set(REGION_FIELDS)
        if unknown:
            raise Invalid(
                f"region has no field {sorted(unknown)[0]!r}", "region", reason="region_format"
            )
        for name, limit in REGION_FIELDS.items():
            if name not in region:
                continue
            value = region[name]
            if not isinstance(value, str) or len(value.strip()) > limit:
                raise Invalid(
                    f"region.{name} is text of at most {limit} characters",
                    "region",
                    reason="region_format",
                )
            row[name] = value.strip()
        row.update(_place_columns(row))
    return row


def _place_columns(row: dict[str, Any]) -> dict[str, str]:
    """RT/RW in one spelling; a region code checked against the official list, and its
    province and regency (or city) names in place of whatever names came with it."""
    out: dict[str, str] = {}
    if "rt_rw" in row:
        out["rt_rw"] = check_rt_rw(row.pop("rt_rw"), "region")
    if "code" in row:
        # RT/RW without a village is allowed on a profile (older profiles have it), so the
        # place is checked without it.
        out["region_code"] = check_place(row.pop("code"))["region_code"]
        path = regions().path(out["region_code"]) if out["region_code"] else []
        out["province"] = path[0].name if path else row.get("province", "")
        out["city"] = path[1].name if len(path) > 1 else row.get("city", "")
    return out
