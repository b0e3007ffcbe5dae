"""Consent freshness (RFC 7675) on the SFU's side of each ICE connection, in place of aioice's.

aioice sends a check every 4-6 s, gives each 0.5 s with no retransmission, and closes the
connection after six failed checks in a row. Over a congested mobile link whose round trip is
longer than 0.5 s (530-590 ms were measured behind an emulated 300 ms link) every check
"fails" although the peer answers each one, and a connection that carries media is closed
after about 30 s. RFC 7675 section 5.1 asks for something else: consent expires when no
response has arrived for 30 s; a check may be retransmitted, and any authentic response
refreshes consent. So here a check goes out every 4-6 s (0.8-1.2 x 5 s, section 5.1), each a
STUN transaction retransmitted on RFC 8489's schedule (0.5 s, doubling: sent at 0, 0.5, 1.5
and 3.5 s, given up at 7.5 s), checks overlap, and consent expires 30 s after the last
response. Expiry closes the connection as aioice's did, which the peers report as a media
failure (the client then reconnects).

Another of the modules allowed aioice's private names (sfu/peer.py lists them):
`Connection._nominated`, `_query_consent_task`, `query_consent`, `build_request`,
`remote_password`, `_closing`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sfu.peer import StunTransactionError

log = logging.getLogger(__name__)

CHECK_INTERVAL = 5.0  # seconds, randomised to 0.8-1.2 times (RFC 7675 section 5.1)
CONSENT_LIFETIME = 30.0  # seconds without a response before consent expires (section 5.1)
RETRANSMISSIONS = 3  # after the first send: 0.5, 1.5, 3.5 s; the check is given up at 7.5 s


@dataclass
class Consent:
    """When consent was last refreshed and whether it has expired (sans-I/O: times are given)."""

    refreshed_at: float
    lifetime: float = CONSENT_LIFETIME
    interval: float = CHECK_INTERVAL
    responses: int = field(default=0)

    def refreshed(self, now: float) -> None:
        self.refreshed_at = max(self.refreshed_at, now)
        self.responses += 1

    def expired(self, now: float) -> bool:
        return now - self.refreshed_at >= self.lifetime

    def next_check_in(self, uniform: float) -> float:
        """Delay until the next check, for `uniform` drawn from [0, 1)."""
        return self.interval * (0.8 + 0.4 * uniform)


def take_over(connection: Any, clock: Callable[[], float] = time.monotonic) -> Consent | None:
    """Run our consent checks instead of aioice's on `connection`, from the moment it connects
    (or now, when it has connected already). Idempotent; None when the connection is closing.
    """
    existing: Consent | None = getattr(connection, "_kamar_consent", None)
    if existing is not None or connection._closing:
        return existing
    consent = Consent(refreshed_at=clock(), lifetime=CONSENT_LIFETIME, interval=CHECK_INTERVAL)
    connection._kamar_consent = consent
    # aioice's connect() starts `self.query_consent()` as its consent task once ICE completes;
    # its close() cancels whatever task is then in `_query_consent_task`.
    connection.query_consent = lambda: _keep(connection, consent, clock)
    running = connection._query_consent_task
    if running is not None and not running.done():  # connected already: aioice's loop runs
        running.cancel()
        connection._query_consent_task = asyncio.ensure_future(connection.query_consent())
    return consent


async def _keep(connection: Any, consent: Consent, clock: Callable[[], float]) -> None:
    consent.refreshed_at = max(consent.refreshed_at, clock())  # consent starts at connection
    checks: set[asyncio.Task[None]] = set()
    try:
        while True:
            await asyncio.sleep(consent.next_check_in(random.random()))
            if consent.expired(clock()):
                break
            for pair in list(connection._nominated.values()):
                check = asyncio.ensure_future(_check(connection, pair, consent, clock))
                checks.add(check)
                check.add_done_callback(checks.discard)
        log.info("consent to send expired: no answer to a check for %.0f s", consent.lifetime)
        # As aioice does: close() would otherwise cancel and await this very task.
        connection._query_consent_task = None
        await connection.close()
    finally:
        for check in checks:
            check.cancel()


async def _check(connection: Any, pair: Any, consent: Consent, clock: Callable[[], float]) -> None:
    request = connection.build_request(pair, nominate=False)
    with contextlib.suppress(StunTransactionError, ConnectionError, OSError):
        await pair.protocol.request(
            request,
            pair.remote_addr,
            integrity_key=connection.remote_password.encode("utf8"),
            retransmissions=RETRANSMISSIONS,
        )
        consent.refreshed(clock())
