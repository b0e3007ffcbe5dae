"""`GET /metrics`: this node's figures in Prometheus' text format, for a scraper on the operators'
network (docs/cluster.md, "Operations").

Built with prometheus_client, the Prometheus project's own client, rather than by hand: its
text format, escaping and process metrics (CPU seconds, memory, open files) are its business.
Everything is read when scraped (a custom collector), never counted per packet here: the SFU
keeps plain int counters on its producers and consumers, and adds a closed one's counts to
`sfu.totals.CLOSED` once, so the packet and byte totals only grow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest

from server.cascade import MEDIA_HOST_KEY
from sfu import totals
from sfu.forwarding import AUDIO, VIDEO, Producer
from signalling.cascade.home import Cascade
from signalling.cascade.host import MediaHost
from signalling.services import Services
from signalling.ws import SERVICES_KEY

METRICS_REGISTRY_KEY = web.AppKey("kamar_metrics", CollectorRegistry)


class NodeCollector:
    """Meetings, participants, tracks and forwarding of this node, read at each scrape."""

    def __init__(self, services: Services, host: Callable[[], MediaHost | None]) -> None:
        self._services = services
        self._host = host  # this node's end of other nodes' cascade links, once it runs

    def collect(self) -> Iterator[Metric]:
        registry = self._services.registry
        meetings = registry.meetings()
        producers = [p for meeting in meetings for p in meeting.media.producers.values()]
        streams = [layer for p in producers for layer in p.layers]
        yield GaugeMetricFamily("kamar_meetings", "Live meetings on this node", len(meetings))
        yield GaugeMetricFamily(
            "kamar_participants", "Participants in this node's meetings", registry.participant_count
        )
        yield GaugeMetricFamily(
            "kamar_sockets", "Open websockets (meetings and community feeds)",
            len(self._services.live_sessions),
        )  # fmt: skip
        tracks = GaugeMetricFamily("kamar_tracks", "Published tracks", labels=["kind"])
        for kind in (AUDIO, VIDEO):
            tracks.add_metric([kind], sum(1 for p in producers if p.kind == kind))
        yield tracks
        yield GaugeMetricFamily(
            "kamar_consumers", "Tracks being forwarded to a subscriber",
            sum(len(p.consumers) for p in producers),
        )  # fmt: skip
        host = self._host()
        imported = (
            [t.producer for link in host.links for t in link.imports.tracks.values()]
            if host
            else []
        )
        yield from _forwarding(producers, streams, imported)
        if self._services.cascade is not None and host is not None:
            yield from _cascade(self._services.cascade, host)
        bus = self._services.community.bus if self._services.community else None
        gaps = getattr(bus, "gaps", None)
        if isinstance(gaps, int):  # a bus across nodes (rooms/community/redis_bus.py)
            yield CounterMetricFamily(
                "kamar_bus_gaps", "Times the link to the other nodes came back after a break", gaps
            )
            yield CounterMetricFamily(
                "kamar_bus_dropped", "Events dropped from a full queue while Redis was away",
                getattr(bus, "dropped", 0),
            )  # fmt: skip


def _forwarding(
    producers: list[Producer], streams: list[Producer], imported: list[Producer]
) -> Iterator[Metric]:
    """`imported`: tracks that crossed from other nodes, forwarded here to their subscribers."""
    closed = totals.CLOSED
    consumers = [c for p in producers + imported for c in p.consumers]
    yield CounterMetricFamily(
        "kamar_forwarded_packets", "RTP packets sent to subscribers, repairs included",
        closed.forwarded_packets + sum(c.packets_sent for c in consumers),
    )  # fmt: skip
    yield CounterMetricFamily(
        "kamar_forwarded_bytes", "RTP bytes sent to subscribers",
        closed.forwarded_octets + sum(c.octets_sent for c in consumers),
    )  # fmt: skip
    yield CounterMetricFamily(
        "kamar_received_packets", "RTP packets received from publishers",
        closed.received_packets + sum(s.packets_received for s in streams),
    )  # fmt: skip
    yield CounterMetricFamily(
        "kamar_received_bytes", "RTP bytes received from publishers",
        closed.received_octets + sum(s.octets_received for s in streams),
    )  # fmt: skip
    yield GaugeMetricFamily(
        "kamar_publisher_packets_lost", "Packets lost on the way from publishers now live "
        "(RFC 3550 A.3 cumulative loss of their streams)",
        sum(s.reception.lost for s in streams),
    )  # fmt: skip


def _cascade(cascade: Cascade, host: MediaHost) -> Iterator[Metric]:
    """The links between nodes (docs/cluster.md): this node as a meeting's home, and as the
    node other homes' participants receive on; one relay socket serves both."""
    links = GaugeMetricFamily("kamar_cascade_links", "Open links to other nodes", labels=["side"])
    links.add_metric(["home"], len(cascade.links))
    links.add_metric(["host"], len(host.links))
    yield links
    tracks = GaugeMetricFamily(
        "kamar_cascade_tracks", "Tracks crossing between nodes", labels=["direction"]
    )
    tracks.add_metric(["out"], sum(link.exports.tracks for link in cascade.links))
    tracks.add_metric(["in"], sum(len(link.imports.tracks) for link in host.links))
    yield tracks
    relay = cascade.relay
    packets = CounterMetricFamily(
        "kamar_cascade_packets", "Packets (RTP and RTCP) over the links between nodes",
        labels=["direction"],
    )  # fmt: skip
    packets.add_metric(["out"], relay.packets_sent)
    packets.add_metric(["in"], relay.packets_received)
    yield packets
    yield CounterMetricFamily(
        "kamar_cascade_bytes_sent", "Bytes sent over the links between nodes", relay.octets_sent
    )
    yield CounterMetricFamily(
        "kamar_cascade_dropped", "Datagrams dropped at the relay socket: no link of ours, "
        "not sealed with the deployment's key, or replayed", relay.dropped,
    )  # fmt: skip


def install(app: web.Application) -> None:
    registry = CollectorRegistry()
    registry.register(ProcessCollector(registry=None))
    app[METRICS_REGISTRY_KEY] = registry
    app.on_startup.append(_register_node)
    app.router.add_get("/metrics", _metrics)


async def _register_node(app: web.Application) -> None:
    collector = NodeCollector(app[SERVICES_KEY], lambda: app.get(MEDIA_HOST_KEY))
    app[METRICS_REGISTRY_KEY].register(collector)


async def _metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[METRICS_REGISTRY_KEY])
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
