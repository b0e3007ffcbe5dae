"""The cascade's wiring (docs/cluster.md): with Redis, every node has a relay socket for the
media that crosses between nodes, takes the links homes open to it (`/node`), and opens links
of its own for the participants carried to its meetings. A single node has none of it."""

from __future__ import annotations

import functools
import logging
import socket
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from aiohttp import web

from server.config import Config
from sfu.cascade.media_link import RelaySocket
from signalling.cascade.home import Cascade
from signalling.cascade.host import MediaHost
from signalling.cascade.node_link import PATH
from signalling.services import Services

log = logging.getLogger(__name__)

MEDIA_HOST_KEY = web.AppKey("media_host", MediaHost)


def install(app: web.Application, config: Config, services: Services) -> None:
    """Only with Redis (several nodes); the route answers 503 until the socket is bound."""
    if not config.redis_url:
        return
    app.router.add_get(PATH, _node_link)

    async def running(app: web.Application) -> AsyncIterator[None]:
        relay = await RelaySocket.bind(relay_host(config), config.relay_port)
        node = services.registry.node
        services.cascade = Cascade(node, services.secret, relay, services.placement.address)
        app[MEDIA_HOST_KEY] = MediaHost(services, relay)
        log.info("cascade: node %s relays media on %s:%d", node, *relay.address)
        try:
            yield
        finally:
            cascade, services.cascade = services.cascade, None
            await cascade.close()
            await app[MEDIA_HOST_KEY].close()
            relay.close()

    app.cleanup_ctx.append(running)
    app.on_shutdown.append(functools.partial(_close_links, services))


async def _close_links(services: Services, app: web.Application) -> None:
    """Close the node links when the server stops, before aiohttp waits for its handlers to
    end: a link from another node is one of them (`/node`), open for as long as that node
    runs, so the wait would last its whole timeout (60 s) and a drained node would linger."""
    cascade = services.cascade
    if cascade is not None:
        for link in cascade.links:
            await link.close()
    host = app.get(MEDIA_HOST_KEY)
    if host is not None:
        await host.close()


def relay_host(config: Config) -> str:
    """The address other nodes send media to: the host of this node's URL (how other nodes
    reach it), as an IP address."""
    host = urlsplit(config.node_url or config.base_url).hostname or config.host
    return str(socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_DGRAM)[0][4][0])


async def _node_link(request: web.Request) -> web.StreamResponse:
    host = request.app.get(MEDIA_HOST_KEY)
    if host is None:
        raise web.HTTPServiceUnavailable(text="this node is not ready for node links")
    return await host.handle(request)
