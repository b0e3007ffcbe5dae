"""The HTTP listener's own limits: how long a connection may take to send a request's headers.

aiohttp has no separate request-header timeout, but its keep-alive timer does the job: it is
armed when a connection opens and again after every response, and when it fires while the
connection is still waiting for a complete request (nothing sent, or a request line and
headers dribbled in a byte at a time: "slowloris") the connection is closed. Without a
setting it is 3,630 s, so 1,500 such connections stayed open for an hour each. A request whose
headers have arrived is not cut by it (uploads and websockets run as long as they need).

Not done on purpose: a cap on connections per address. Indonesian mobile carriers put many
subscribers behind one carrier-grade NAT address, so a union's members at one meeting can
share an address; a per-address cap would lock them out before it stopped an attacker.
"""

from __future__ import annotations

from aiohttp import web

from server.access_log import AccessLogger

# Seconds a connection has to send a complete request line and headers, counted from the
# connection's opening or the previous response; also how long an idle keep-alive connection
# stays open. A phone on a poor 3G link sends a few hundred header bytes well within this.
REQUEST_HEADER_TIMEOUT = 15.0


def make_runner(
    app: web.Application, header_timeout: float = REQUEST_HEADER_TIMEOUT
) -> web.AppRunner:
    return web.AppRunner(
        app,
        handle_signals=False,
        access_log_class=AccessLogger,
        keepalive_timeout=header_timeout,
    )
