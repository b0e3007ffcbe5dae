"""Times on the wire: ISO 8601 strings from the integer milliseconds stored in the database."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def utc_iso(ms: int | None) -> str | None:
    """`2026-11-23T13:00:00.123Z`; None stays None."""
    if ms is None:
        return None
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def zoned_iso(ms: int, zone: str) -> str:
    """`2026-11-24T19:00:00+07:00` in the named IANA zone."""
    return datetime.fromtimestamp(ms / 1000, tz=ZoneInfo(zone)).isoformat(timespec="seconds")
