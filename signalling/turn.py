"""The ICE servers each participant is handed in `welcome`: STUN URLs as configured, and TURN URLs
with time-limited credentials of their own.

The credentials follow the shared-secret "TURN REST API" scheme (draft-uberti-behave-turn-rest-00),
which coturn checks with `use-auth-secret` and `static-auth-secret`: the username is
`EXPIRY:IDENTITY` (EXPIRY in Unix seconds) and the password is the base64 of the HMAC-SHA1 of that
username keyed with the shared secret. The TURN server needs no account database and no call to
Kamar; a leaked credential stops working at EXPIRY. coturn checks the expiry on every
authenticated request, allocation refreshes included, so the lifetime must cover a meeting: a
reconnect (a new `welcome`) hands out fresh ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_TTL = 12 * 3600  # seconds: a long meeting without a reconnect
MIN_TTL, MAX_TTL = 60, 7 * 24 * 3600


@dataclass(frozen=True)
class TurnSettings:
    secret: str
    urls: tuple[str, ...]
    ttl: int = DEFAULT_TTL


def credentials(secret: str, identity: str, now: float, ttl: int) -> tuple[str, str]:
    """(username, password) valid until `now + ttl` for a TURN server sharing `secret`."""
    username = f"{int(now) + ttl}:{identity}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def ice_servers(
    stun_urls: Sequence[str], turn: TurnSettings | None, identity: str, now: float
) -> list[dict[str, Any]]:
    """The `welcome.ice_servers` list, in the shape of WebRTC's RTCIceServer dictionaries."""
    servers: list[dict[str, Any]] = [{"urls": [url]} for url in stun_urls]
    if turn is not None and turn.urls:
        username, password = credentials(turn.secret, identity, now, turn.ttl)
        servers.append({"urls": list(turn.urls), "username": username, "credential": password})
    return servers
