"""ICE servers (STUN, RFC 8489; TURN, RFC 8656) for every kind of endpoint: the browsers told in
`welcome`, the SFU's own WebRTC connections, and one day the links between nodes.

One `IceServer` is one entry of WebRTC's `RTCConfiguration.iceServers` (W3C webrtc-pc, 4.2.2):
a STUN URL needs nothing more; a TURN URL needs a username and a credential, and a browser
refuses to build a connection from a TURN entry without them (InvalidAccessError), which is why
TURN URLs are only handed out with credentials made here.

The credentials follow the shared-secret "TURN REST API" scheme (draft-uberti-behave-turn-rest-00),
which coturn checks with `use-auth-secret` and `static-auth-secret`: the username is
`EXPIRY:IDENTITY` (EXPIRY in Unix seconds) and the password is the base64 of the HMAC-SHA1 of that
username keyed with the shared secret. The TURN server needs no account database and no call to
Kamar; a leaked credential stops working at EXPIRY. coturn checks the expiry on every
authenticated request, allocation refreshes included, so the lifetime must cover a meeting: a
reconnect (a new `welcome`) hands out fresh ones, and the SFU asks for fresh ones with every
connection it makes (`IceServers.for_identity`).
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
STUN_SCHEMES = ("stun:", "stuns:")
TURN_SCHEMES = ("turn:", "turns:")


@dataclass(frozen=True)
class IceServer:
    """One STUN or TURN server entry; raises ValueError when it could not be used."""

    urls: tuple[str, ...]
    username: str = ""
    credential: str = ""

    def __post_init__(self) -> None:
        if not self.urls:
            raise ValueError("an ICE server needs at least one URL")
        turn = [url for url in self.urls if url.startswith(TURN_SCHEMES)]
        for url in self.urls:
            if not url.startswith(STUN_SCHEMES + TURN_SCHEMES):
                raise ValueError(f"ICE server URL {url!r} must start with stun:, turn: or turns:")
        if turn and not (self.username and self.credential):
            raise ValueError(f"TURN URL {turn[0]!r} needs a username and a credential")

    def as_dict(self) -> dict[str, Any]:
        """The RTCIceServer dictionary a browser takes (`welcome.ice_servers`)."""
        entry: dict[str, Any] = {"urls": list(self.urls)}
        if self.username:
            entry["username"] = self.username
            entry["credential"] = self.credential
        return entry


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


@dataclass(frozen=True)
class IceServers:
    """The deployment's STUN URLs and TURN settings; each endpoint gets a list of its own."""

    stun_urls: Sequence[str] = ()
    turn: TurnSettings | None = None

    def for_identity(self, identity: str, now: float) -> list[IceServer]:
        """STUN as configured, plus TURN with credentials for `identity` until `now + ttl`."""
        servers = [IceServer((url,)) for url in self.stun_urls]
        if self.turn is not None and self.turn.urls:
            username, password = credentials(self.turn.secret, identity, now, self.turn.ttl)
            servers.append(IceServer(tuple(self.turn.urls), username, password))
        return servers
