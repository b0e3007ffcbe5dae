"""Pure rules of the community side: accounts, rooms, agenda, uploads, chat and calendar feeds.
No database, no network. Request fields are in tests/server/test_fields.py, tokens in
tests/rooms/test_sessions.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import icalendar
import pytest

from rooms.community.account_rules import (
    Registration,
    check_registration,
    normalise_phone,
    normalise_username,
)
from rooms.community.agenda import check_event, check_zone, parse_time
from rooms.community.attachments import MediaType, clean_name, sniff
from rooms.community.calendar import build_calendar
from rooms.community.chat import MAX_TEXT, check_text
from rooms.community.directory import check_room
from rooms.errors import Invalid, UnsupportedMedia

WIB = timezone(timedelta(hours=7))


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


# --- accounts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("ani", "ani"), ("  Ani_Rahma.99 ", "ani_rahma.99"), ("abc", "abc"), ("a" * 32, "a" * 32)],
)
def test_usernames_are_trimmed_and_lowercased(raw: str, stored: str) -> None:
    assert normalise_username(raw) == stored


@pytest.mark.parametrize("raw", ["", "ab", "a" * 33, "ani rahma", "ani-r", "ání", "ani@x", "ani/"])
def test_bad_usernames_are_refused_naming_the_username(raw: str) -> None:
    with pytest.raises(Invalid) as caught:
        normalise_username(raw)
    assert caught.value.field == "username"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("081234567890", "+6281234567890"),
        ("0812-3456-7890", "+6281234567890"),
        ("0812 3456 7890", "+6281234567890"),
        ("+6281234567890", "+6281234567890"),
        ("+31612345678", "+31612345678"),
        ("+12345678", "+12345678"),
    ],
)
def test_phone_numbers_become_international(raw: str, stored: str) -> None:
    assert normalise_phone(raw) == stored


@pytest.mark.parametrize(
    "raw", ["", "0812", "+1234567", "+1234567890123456", "6281234567890", "+62 812 abc", "++628123"]
)
def test_bad_phone_numbers_are_refused_naming_the_phone(raw: str) -> None:
    with pytest.raises(Invalid) as caught:
        normalise_phone(raw)
    assert caught.value.field == "phone"


GOOD = {"password": "rahasia-123", "display_name": "Ani", "username": "ani"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"username": None}, "username"),
        ({"password": "short"}, "password"),
        ({"password": "x" * 257}, "password"),
        ({"display_name": "   "}, "display_name"),
        ({"display_name": "x" * 81}, "display_name"),
        ({"organisation": "x" * 121}, "organisation"),
        ({"region": {"planet": "Mars"}}, "region"),
        ({"region": {"city": "x" * 81}}, "region"),
        ({"region": {"rt_rw": 5}}, "region"),
        ({"username": "a b"}, "username"),
        ({"phone": "12"}, "phone"),
    ],
)
def test_a_bad_registration_names_its_field(change: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as caught:
        check_registration(Registration(**{**GOOD, **change}))
    assert caught.value.field == field


def test_a_good_registration_becomes_a_clean_row() -> None:
    form = Registration(
        password="x" * 8,
        display_name="  Ani  ",
        username="ANI",
        phone="0812 3456 7890",
        organisation=" SBSI ",
        region={"province": " Jawa Barat ", "city": "Bandung"},
    )
    assert check_registration(form) == {
        "username": "ani",
        "phone": "+6281234567890",
        "display_name": "Ani",
        "organisation": "SBSI",
        "province": "Jawa Barat",
        "city": "Bandung",
        "rt_rw": "",
        "region_code": "",
    }


def test_a_phone_alone_is_enough_to_register() -> None:
    row = check_registration(Registration("rahasia-123", "Budi", phone="081234567890"))
    assert (row["username"], row["phone"]) == (None, "+6281234567890")


# --- rooms ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "description", "visibility", "field"),
    [
        ("", "work", "", "public", "name"),
        ("   ", "work", "", "public", "name"),
        ("x" * 81, "work", "", "public", "name"),
        ("Serikat", "party", "", "public", "kind"),
        ("Serikat", "work", "x" * 2001, "public", "description"),
        ("Serikat", "work", "", "secret", "visibility"),
    ],
)
def test_a_bad_room_names_its_field(
    name: str, kind: str, description: str, visibility: str, field: str
) -> None:
    with pytest.raises(Invalid) as caught:
        check_room(name, kind, description, visibility)
    assert caught.value.field == field


@pytest.mark.parametrize("kind", ["work", "network", "region", "school", "profession", "other"])
def test_every_room_kind_is_accepted(kind: str) -> None:
    assert check_room(" Serikat ", kind, "d", "invite")["name"] == "Serikat"


# --- agenda ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "zone", "moment"),
    [
        ("2026-12-01T19:00", "Asia/Jakarta", datetime(2026, 12, 1, 19, tzinfo=WIB)),
        ("2026-12-01T19:00:00", "Asia/Jakarta", datetime(2026, 12, 1, 12, tzinfo=UTC)),
        ("2026-12-01T19:00+09:00", "Asia/Jakarta", datetime(2026, 12, 1, 10, tzinfo=UTC)),
        ("2026-12-01T12:00Z", "Asia/Jakarta", datetime(2026, 12, 1, 12, tzinfo=UTC)),
        ("2026-12-01T19:00", "Asia/Makassar", datetime(2026, 12, 1, 11, tzinfo=UTC)),
        ("2026-12-01T19:00", "UTC", datetime(2026, 12, 1, 19, tzinfo=UTC)),
    ],
)
def test_times_without_an_offset_are_read_in_the_zone(
    text: str, zone: str, moment: datetime
) -> None:
    assert parse_time(text, zone, "starts_at") == ms(moment)


@pytest.mark.parametrize("text", ["", "tomorrow", "2026-13-01T19:00", "19:00", "2026-12-01T25:00"])
def test_a_bad_time_names_its_field(text: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_time(text, "Asia/Jakarta", "ends_at")
    assert caught.value.field == "ends_at"


@pytest.mark.parametrize("zone", ["Asia/Jakarta", "Asia/Jayapura", "UTC", "Europe/Amsterdam"])
def test_known_zones_are_accepted(zone: str) -> None:
    assert check_zone(zone) == zone


@pytest.mark.parametrize(
    "zone", ["", "Mars/Olympus", "asia/jakarta", "Asia/Jakarta ", "../etc/passwd", "/etc", "Asia"]
)
def test_unknown_zones_are_refused_naming_the_timezone(zone: str) -> None:
    with pytest.raises(Invalid) as caught:
        check_zone(zone)
    assert caught.value.field == "timezone"


EVENT = {
    "title": "Rapat anggota",
    "kind": "meeting",
    "starts_at": "2026-12-01T19:00",
    "ends_at": "2026-12-01T21:00",
}


def test_a_good_event_is_stored_in_utc_with_its_zone() -> None:
    columns = check_event(**EVENT, location=" Balai RW ")
    assert columns["starts_at"] == ms(datetime(2026, 12, 1, 19, tzinfo=WIB))
    assert columns["ends_at"] - columns["starts_at"] == 2 * 3_600_000
    assert (columns["timezone"], columns["location"]) == ("Asia/Jakarta", "Balai RW")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": " "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"kind": "party"}, "kind"),
        ({"description": "x" * 4001}, "description"),
        ({"location": "x" * 201}, "location"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"starts_at": "soon"}, "starts_at"),
        ({"ends_at": "later"}, "ends_at"),
        ({"ends_at": "2026-12-01T18:00"}, "ends_at"),  # before the start
        ({"ends_at": "2026-12-01T19:00"}, "ends_at"),  # no length at all
        ({"ends_at": "2026-12-01T20:00+09:00"}, "ends_at"),  # 18:00 WIB: before the start
        ({"ends_at": "2026-12-08T19:01"}, "ends_at"),  # longer than 7 days
    ],
)
def test_a_bad_event_names_its_field(change: dict[str, str], field: str) -> None:
    with pytest.raises(Invalid) as caught:
        check_event(**{**EVENT, **change})
    assert caught.value.field == field


def test_an_event_may_last_exactly_seven_days() -> None:
    columns = check_event(**{**EVENT, "ends_at": "2026-12-08T19:00"})
    assert columns["ends_at"] - columns["starts_at"] == 7 * 24 * 3_600_000


# --- attachments ----------------------------------------------------------------------------

PAD = b"\x00" * 40


@pytest.mark.parametrize(
    ("head", "kind", "mime"),
    [
        (b"\xff\xd8\xff\xe0" + PAD, "image", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n" + PAD, "image", "image/png"),
        (b"GIF87a" + PAD, "image", "image/gif"),
        (b"GIF89a" + PAD, "image", "image/gif"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 " + PAD, "image", "image/webp"),
        (b"\x00\x00\x00\x18ftypisom" + PAD, "video", "video/mp4"),
        (b"\x00\x00\x00\x18ftypmp42" + PAD, "video", "video/mp4"),
        (b"\x00\x00\x00\x14ftyp3gp4" + PAD, "video", "video/3gpp"),
        (b"\x00\x00\x00\x14ftypqt  " + PAD, "video", "video/quicktime"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + PAD, "video", "video/webm"),
    ],
)
def test_the_type_is_read_from_the_magic_number(head: bytes, kind: str, mime: str) -> None:
    media = sniff(head)
    assert (media.kind, media.mime) == (kind, mime)


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"hello, this is plain text",
        b"<!DOCTYPE html><html><script>alert(1)</script>",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>',
        b"<svg onload=alert(1)>",
        b"%PDF-1.7\n",
        b"RIFF\x10\x00\x00\x00WAVEfmt ",  # a WAV is RIFF but not WebP
        b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01matroska",  # Matroska but not WebM
        b"PK\x03\x04",
    ],
)
def test_anything_but_photos_and_videos_is_refused(head: bytes) -> None:
    with pytest.raises(UnsupportedMedia) as caught:
        sniff(head)
    assert caught.value.field == "file"


PNG = MediaType("image", "image/png", "png")


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("foto.png", "foto.png"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\ani\\foto.png", "foto.png"),
        ("fo\x00to\n.png", "foto.png"),
        ("  ", "file.png"),
        ("", "file.png"),
        (None, "file.png"),
        ("dir/", "file.png"),
        ("x" * 300, "x" * 200),
    ],
)
def test_file_names_lose_directories_and_control_characters(name: str | None, clean: str) -> None:
    assert clean_name(name, PNG) == clean


# --- chat -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "has_attachments", "stored"),
    [("halo", False, "halo"), ("", True, ""), ("  ", True, "  "), ("x" * MAX_TEXT, False, None)],
)
def test_a_message_needs_text_or_an_attachment(
    text: str, has_attachments: bool, stored: str | None
) -> None:
    assert check_text(text, has_attachments) == (text if stored is None else stored)


@pytest.mark.parametrize(
    ("text", "has_attachments"), [("", False), (" \n\t", False), ("x" * (MAX_TEXT + 1), True)]
)
def test_an_empty_or_overlong_message_is_refused_naming_the_text(
    text: str, has_attachments: bool
) -> None:
    with pytest.raises(Invalid) as caught:
        check_text(text, has_attachments)
    assert caught.value.field == "text"


# --- calendar feeds -------------------------------------------------------------------------


def _row(event_id: int, kind: str, **extra: Any) -> SimpleNamespace:
    start = ms(datetime(2026, 12, 1, 19, tzinfo=WIB))
    fields: dict[str, Any] = {
        "id": event_id,
        "room_id": 3,
        "title": f"Acara {event_id}",
        "description": "",
        "location": "",
        "kind": kind,
        "timezone": "Asia/Jakarta",
        "starts_at": start,
        "ends_at": start + 3_600_000,
        "created_at": start - 86_400_000,
    }
    return SimpleNamespace(**{**fields, **extra})


def _events(feed: bytes) -> dict[str, Any]:
    calendar = icalendar.Calendar.from_ical(feed)
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def test_a_feed_shows_local_times_with_their_zone_and_meeting_links() -> None:
    rows = [
        _row(1, "meeting", description="Agenda: upah"),
        _row(2, "offline", location="Balai RW 05"),
        _row(3, "town_hall"),
    ]
    events = _events(build_calendar("Serikat", rows, "https://kamar.example"))
    meeting, offline, town_hall = (events[f"event-{i}@kamar"] for i in (1, 2, 3))
    assert meeting["dtstart"].params["TZID"] == "Asia/Jakarta"
    assert meeting.decoded("dtstart") == datetime(2026, 12, 1, 19, tzinfo=WIB)
    assert meeting.decoded("dtend") == datetime(2026, 12, 1, 20, tzinfo=WIB)
    assert str(meeting["url"]) == "https://kamar.example/r/kamar-3"
    assert str(meeting["description"]) == "Agenda: upah"
    assert str(town_hall["url"]) == "https://kamar.example/r/kamar-3-e3"  # its own meeting
    assert "url" not in offline
    assert str(offline["location"]) == "Balai RW 05"


def test_a_feed_describes_every_time_zone_it_names() -> None:
    # RFC 5545 3.2.19: each TZID used must have its VTIMEZONE in the same calendar.
    rows = [_row(1, "meeting"), _row(2, "offline", timezone="Asia/Jayapura")]
    calendar = icalendar.Calendar.from_ical(build_calendar("Serikat", rows, "https://k"))
    described = {str(zone["tzid"]) for zone in calendar.walk("VTIMEZONE")}
    assert described == {"Asia/Jakarta", "Asia/Jayapura"}


def test_an_empty_feed_is_still_a_calendar() -> None:
    calendar = icalendar.Calendar.from_ical(build_calendar("Kosong", [], "https://k"))
    assert str(calendar["x-wr-calname"]) == "Kosong"
    assert calendar.walk("VEVENT") == []
