"""Noticing that a media connection is over when nobody on our side ended it.

aiortc reports a connection `failed` when ICE or DTLS fails, and `closed` when every DTLS
transport has closed: the peer sent a DTLS close_notify, ICE consent expired (RFC 7675: aioice
then closes the ICE connection), or aiortc's receive task died. In each case no media flows
any more while the websocket may stay open, so the client must be told: it then reconnects
(docs/protocol.md, `media_failed`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)

# How long a connection the peer closed may wait for the message that explains it: a client
# that stops sharing its screen sends `unpublish` on the websocket and closes the connection,
# and its DTLS close_notify (UDP) may arrive first.
CLOSE_GRACE = 3.0  # seconds


class FailureWatch:
    """Calls `on_failed()` at most once, when the connection `name` fails, or closes without
    `stop()` having been called within CLOSE_GRACE seconds."""

    def __init__(self, name: str, on_failed: Callable[[], None]) -> None:
        self.name = name
        self._on_failed = on_failed
        self._over = False  # told, or stopped by its owner
        self._timer: asyncio.TimerHandle | None = None

    def state_changed(self, state: str) -> None:
        """Feed aiortc's `connectionState` on each change."""
        if self._over:
            return
        if state == "failed":
            self.fail("ICE or DTLS failed")
        elif state == "closed" and self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(CLOSE_GRACE, self.fail, "closed by the peer or lost")

    def fail(self, why: str) -> None:
        """The connection is unusable: tell the owner once, unless it was stopped."""
        if self._over:
            return
        self._over = True
        log.warning("media connection %s failed: %s", self.name, why)
        self._on_failed()

    def stop(self) -> None:
        """Our side closes the connection: nothing to tell any more."""
        self._over = True
        if self._timer is not None:
            self._timer.cancel()
