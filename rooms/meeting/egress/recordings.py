"""Recordings and live HLS on disk: their names, which event they belong to, and signed links
to them. Pure but for reading the directory.

A town hall's recording is `event-<event id>-<start, Unix seconds>.mp4` in the recordings
directory (another meeting's `meeting-<name>-<start>.mp4`, kept but not listed anywhere yet);
while it is being written it ends in `.part`, so a list never offers half a file.

A browser's <video> cannot send the API's Authorization header, and a recording is too large
to fetch into memory first, so members get a link signed for one recording that expires
(HMAC-SHA256 with the server's secret, like a presigned URL): whoever may list the event's
recordings may hand the link on for that long, no longer.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from pathlib import Path

PARTIAL = ".part"
LINK_TTL = 6 * 3600  # seconds a link works: a long town hall, watched the same evening
_EVENT_FILE = re.compile(r"event-(\d{1,15})-(\d{1,12})\.mp4")


@dataclass(frozen=True)
class Recording:
    event_id: int
    started: int  # Unix seconds: also the recording's id within its event
    path: Path

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def file_name(meeting: str, event_id: int | None, started: int) -> str:
    if event_id is not None:
        return f"event-{event_id}-{started}.mp4"
    return f"meeting-{re.sub(r'[^A-Za-z0-9_-]', '_', meeting)}-{started}.mp4"


def for_event(directory: Path, event_id: int) -> list[Recording]:
    """The finished recordings of a town hall, oldest first."""
    found = []
    for path in directory.glob(f"event-{event_id}-*.mp4"):
        match = _EVENT_FILE.fullmatch(path.name)
        if match and int(match.group(1)) == event_id and path.is_file():
            found.append(Recording(event_id, int(match.group(2)), path))
    return sorted(found, key=lambda recording: recording.started)


def find(directory: Path, event_id: int, started: int) -> Recording | None:
    path = directory / file_name("", event_id, started)
    return Recording(event_id, started, path) if path.is_file() else None


def live_directory(root: Path, meeting: str, event_id: int | None) -> Path:
    """Where a meeting's HLS playlist and segments are written while it is live."""
    if event_id is not None:
        return root / f"event-{event_id}"
    return root / f"meeting-{re.sub(r'[^A-Za-z0-9_-]', '_', meeting)}"


def signature(secret: str, event_id: int, started: int, expires: int) -> str:
    message = f"recording:{event_id}:{started}:{expires}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:40]


def live_signature(secret: str, event_id: int, expires: int) -> str:
    """The live stream's link signs its directory (the path carries it), so the segments a
    player fetches by relative URL are covered too."""
    return signature(secret, event_id, -1, expires)


def link_valid(
    secret: str, event_id: int, started: int, expires: int, sig: str, now: float
) -> bool:
    expected = signature(secret, event_id, started, expires)
    return now <= expires and hmac.compare_digest(expected, sig)
