"""What a moderator may ask egress for: RTMP(S) destinations and a recording. Pure.

A destination is a server URL and a stream key, as YouTube and Facebook hand them out. The key
is a secret (whoever has it can broadcast on the channel): it goes to ffmpeg and nowhere else,
never into an event, a log line or an error message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

MAX_DESTINATIONS = 5  # each is one relay process and one upload of the whole programme
MAX_URL = 500
MAX_KEY = 200
SCHEMES = ("rtmp", "rtmps")


class EgressError(ValueError):
    """A request egress cannot carry out, with a wire code and a message for the moderator."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Destination:
    url: str  # the server URL as given, without the key
    key: str

    @property
    def target(self) -> str:
        """What ffmpeg publishes to: the URL with the stream key as its last path part."""
        return f"{self.url.rstrip('/')}/{self.key}" if self.key else self.url

    @property
    def host(self) -> str:
        """What may be shown to people: the server's host, never the key."""
        return urlsplit(self.url).hostname or ""


def parse_destinations(value: Any) -> list[Destination]:
    """`value` from `egress_start`: a list of {"url": ..., "key": ...} objects."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise EgressError("bad_message", "egress_start: 'rtmp' must be a list of destinations")
    if len(value) > MAX_DESTINATIONS:
        raise EgressError("bad_message", f"egress_start: at most {MAX_DESTINATIONS} destinations")
    destinations = [_destination(item, index) for index, item in enumerate(value)]
    if len({d.target for d in destinations}) != len(destinations):
        raise EgressError("bad_message", "egress_start: a destination is listed twice")
    return destinations


def _destination(item: Any, index: int) -> Destination:
    where = f"egress_start: destination {index + 1}"
    if not isinstance(item, dict) or not isinstance(item.get("url"), str):
        raise EgressError("bad_message", f"{where} needs a 'url' string")
    url, key = item["url"].strip(), item.get("key", "")
    if not isinstance(key, str):
        raise EgressError("bad_message", f"{where}: 'key' must be a string")
    key = key.strip()
    if not url or len(url) > MAX_URL or len(key) > MAX_KEY:
        raise EgressError(
            "bad_message", f"{where}: the URL is 1-{MAX_URL} characters, the key {MAX_KEY} at most"
        )
    if any(c.isspace() or ord(c) < 0x20 for c in url + key):
        raise EgressError("bad_message", f"{where}: no spaces or control characters, please")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        raise EgressError("bad_message", f"{where}: the URL cannot be read") from exc
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise EgressError(
            "bad_message", f"{where}: the URL must start with rtmp:// or rtmps:// and a host"
        )
    # Facebook's keys carry a query ("...?s_bl=1&..."), which RTMP passes on as it is.
    if "#" in key or parts.fragment:
        raise EgressError("bad_message", f"{where}: the URL and key take no '#'")
    return Destination(url, key)
