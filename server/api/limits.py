"""Limits at the HTTP edge, where the client's address is known: login back-off
(rooms/community/login_throttle.py) and registrations per address. In memory, per server process.

The address is aiohttp's `request.remote`, the peer of the TCP connection. Behind a reverse
proxy that is the proxy, so every client shares one address and these per-address limits
act on all of them together; Kamar does not read X-Forwarded-For, which any client can
forge. IPv6 addresses count by their /64 network: one host is handed a whole /64 and could
otherwise pick a fresh address for every request.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from aiohttp import web

from rooms.community.login_throttle import LoginThrottle
from rooms.errors import RateLimited, Unauthorized
from rooms.ratelimit import TokenBuckets

T = TypeVar("T")

# A union office may sign up a room full of members from one connection at a meeting; after
# that, one account every 30 seconds (120 an hour) is plenty for people and slow for a script.
REGISTRATION_BURST, REGISTRATIONS_PER_SECOND = 10, 1 / 30
# Reset codes have 59 random bits, so this is about floods, not guessing: a member who mistypes
# a few times is never held up, a script is slowed to one try a minute.
RESET_BURST, RESETS_PER_SECOND = 10, 1 / 60


@dataclass
class Limits:
    enabled: bool = True  # off only for load tests (Config.no_rate_limits)
    logins: LoginThrottle = field(default_factory=LoginThrottle)
    registrations: TokenBuckets[str] = field(
        default_factory=lambda: TokenBuckets(REGISTRATION_BURST, REGISTRATIONS_PER_SECOND)
    )
    resets: TokenBuckets[str] = field(
        default_factory=lambda: TokenBuckets(RESET_BURST, RESETS_PER_SECOND)
    )
    clock: Callable[[], float] = time.monotonic  # tests step their own


LIMITS_KEY = web.AppKey("kamar_limits", Limits)


def add_limits(app: web.Application, enabled: bool = True) -> None:
    app[LIMITS_KEY] = Limits(enabled)


def client_address(request: web.BaseRequest) -> str:
    remote = request.remote or "unknown"
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return remote  # a Unix socket, or no peer at all
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:  # ::ffff:a.b.c.d from a dual-stack socket
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def limit_registration(request: web.Request) -> None:
    limits = request.app[LIMITS_KEY]
    if not limits.enabled:
        return
    wait = limits.registrations.take(client_address(request), limits.clock())
    if wait > 0:
        raise RateLimited(
            f"too many new accounts from this connection; try again in {_seconds(wait)}",
            retry_after=wait,
            reason="too_many_accounts",
        )


def limit_reset_attempt(request: web.Request) -> None:
    """Tries of a password reset code from one address (server/api/password_reset.py)."""
    limits = request.app[LIMITS_KEY]
    if not limits.enabled:
        return
    wait = limits.resets.take(client_address(request), limits.clock())
    if wait > 0:
        raise RateLimited(
            f"too many tries of reset codes; try again in {_seconds(wait)}",
            "code",
            wait,
            reason="too_many_reset_tries",
        )


async def check_password(
    request: web.Request, account: str, field_name: str, check: Callable[[], Awaitable[T]]
) -> T:
    """Run `check` (a password check that raises Unauthorized when it is wrong) under the
    login back-off for this account and address."""
    limits = request.app[LIMITS_KEY]
    if not limits.enabled:
        return await check()
    address = client_address(request)
    wait = limits.logins.attempt(account, address, limits.clock())
    if wait > 0:
        raise RateLimited(
            f"too many wrong passwords; try again in {_seconds(wait)}",
            field_name,
            wait,
            reason="too_many_wrong_passwords",
        )
    try:
        result = await check()
    except Unauthorized:
        raise
    except BaseException:  # the password was never judged: the attempt does not count
        limits.logins.abandoned(account, address, limits.clock())
        raise
    limits.logins.succeeded(account, address, limits.clock())
    return result


def _seconds(wait: float) -> str:
    whole = max(1, math.ceil(wait))
    return f"{whole} s" if whole < 120 else f"{math.ceil(whole / 60)} min"
