"""Times on the wire: ISO 8601 strings from the integer milliseconds stored in the database."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from rooms.errors import Invalid

# Python's datetime holds the years 1-9999 only, and an instant is shown in its event's zone
# (UTC offsets stay within ±24 hours). Keeping a day clear of each end means every instant we
# accept can be shown in any zone: year 1 or 9999 plus an offset would overflow (a 500 before).
EARLIEST_MS = int(datetime(1, 1, 2, tzinfo=UTC).timestamp() * 1000)
LATEST_MS = int(datetime(9999, 12, 30, tzinfo=UTC).timestamp() * 1000)


def check_in_range(ms: int, field: str) -> int:
    """`ms` if it can be shown in every time zone, else Invalid naming `field`. Pure."""
    if not EARLIEST_MS <= ms <= LATEST_MS:
        raise Invalid(
            f"{field} must be between the years 1 and 9999 in every time zone",
            field,
            reason="time_range",
        )
    return ms


def utc_iso(ms: int | None) -> str | None:
    """`2026-11-23T13:00:00.123Z`; None stays None."""
    if ms is None:
        return None
    moment = datetime.fromtimestamp(_showable(ms) / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def zoned_iso(ms: int, zone: str) -> str:
    """`2026-11-24T19:00:00+07:00` in the named IANA zone."""
    moment = datetime.fromtimestamp(_showable(ms) / 1000, tz=ZoneInfo(zone))
    return moment.isoformat(timespec="seconds")


def _showable(ms: int) -> int:
    # Rows stored before check_in_range existed may lie past either end: show them at the end
    # rather than fail every page that lists them.
    return min(max(ms, EARLIEST_MS), LATEST_MS)
