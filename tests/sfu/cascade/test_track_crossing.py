"""A track crossing between two nodes (sfu/cascade/): real UDP sockets on loopback, sealed;
the other node's producer forwards what the home's received, its key-frame requests and NACKs
reach the home's producer, and a datagram not sealed by the link is dropped."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sfu.cascade.link_crypto import Opener, Sealer, derive, new_salt
from sfu.cascade.media_link import LinkEnd, RelaySocket
from sfu.cascade.track_export import Exports
from sfu.cascade.track_import import ImportedTrack, Imports, nack
from sfu.consumer import Consumer
from sfu.forwarding import AUDIO, Producer, ProducerId
from sfu.layer_demand import wanted_layers
from sfu.rtcp_feedback import Nack, parse_feedback
from tests.conftest import eventually
from tests.sfu.test_forwarding import VP8_DELTA, VP8_KEY, Output, Requests, attach, rtp


class Nodes:
    def __init__(self, home: RelaySocket, edge: RelaySocket, secret: str = "s") -> None:
        salts = new_salt() + new_salt()
        home_id, edge_id = home.free_link_id(), edge.free_link_id()
        self.imports = Imports()
        self.home_end = LinkEnd(
            home_id, edge_id, Sealer(derive(secret, salts, "media", "h", "e")),
            Opener(derive(secret, salts, "media", "e", "h")), edge.address, lambda p, t: None,
        )  # fmt: skip
        self.edge_end = LinkEnd(
            edge_id, home_id, Sealer(derive(secret, salts, "media", "e", "h")),
            Opener(derive(secret, salts, "media", "h", "e")), home.address,
            self.imports.on_packet,
        )  # fmt: skip
        self.exports = Exports(self.home_end)
        self.home_end.on_packet = self.exports.on_rtcp
        home.add(self.home_end)
        edge.add(self.edge_end)


@pytest.fixture
async def sockets() -> AsyncIterator[tuple[RelaySocket, RelaySocket]]:
    home = await RelaySocket.bind("127.0.0.1")
    edge = await RelaySocket.bind("127.0.0.1")
    yield home, edge
    home.close()
    edge.close()


def video_producer() -> tuple[Producer, Requests, list[list[int]]]:
    requests = Requests()
    asked: list[list[int]] = []
    made = Producer(
        ProducerId("p1-n1/video/1"), "p1-n1", "video", 0xAAAA0001, 96, 90000, None,
        requests, asked.append, person="p1-n1",
    )  # fmt: skip
    return made, requests, asked


def cross(nodes: Nodes, producer: Producer) -> ImportedTrack:
    export = nodes.exports.take(producer, "p2-n2")
    assert export is not None
    track = ImportedTrack(export.describe(), nodes.edge_end.send)
    nodes.imports.add(track, producer.id)
    return track


async def test_a_track_crosses_once_and_the_other_nodes_subscriber_gets_it(
    sockets: tuple[RelaySocket, RelaySocket],
) -> None:
    nodes = Nodes(*sockets)
    producer, requests, _asked = video_producer()
    track = cross(nodes, producer)
    assert nodes.exports.take(producer, "p3-n2") is None  # a second subscriber: no new crossing
    assert requests.count == 1  # the crossing waits for a key frame, and asked for one
    subscriber, out = attach(track.producer)
    producer.receive(rtp(10, 9000, VP8_KEY, marker=True))
    producer.receive(rtp(11, 12000, VP8_DELTA, marker=True))
    await eventually(lambda: len(out.packets) == 2, what="both packets at the other node")
    assert [p[12:] for p in out.packets] == [VP8_KEY, VP8_DELTA]
    assert track.producer.person == "p1-n1" and track.producer.kind == "video"
    assert subscriber.packets_sent == 2


async def test_key_frame_requests_and_nacks_cross_back_to_the_home(
    sockets: tuple[RelaySocket, RelaySocket],
) -> None:
    nodes = Nodes(*sockets)
    producer, requests, _asked = video_producer()
    track = cross(nodes, producer)
    subscriber, out = attach(track.producer)
    producer.receive(rtp(10, 9000, VP8_KEY, marker=True))
    await eventually(lambda: len(out.packets) == 1, what="the key frame")
    asked_before = requests.count
    track.producer.request_keyframe()  # sent now, or coalesced and sent within 0.2 s
    await eventually(lambda: requests.count > asked_before, what="the PLI at the home")
    # The crossing loses the home's packet 11: the other node sees the gap at 12, asks the
    # home for it (NACK), and the repair reaches its subscriber.
    deliver = nodes.edge_end.on_packet
    lost: list[bytes] = []

    def lossy(packet: bytes, arrival: float) -> None:
        if not lost and packet[12:] == b"lost-one":
            lost.append(packet)
            return
        deliver(packet, arrival)

    nodes.edge_end.on_packet = lossy
    producer.receive(rtp(11, 12000, VP8_DELTA[:-8] + b"lost-one"))
    producer.receive(rtp(12, 15000, VP8_DELTA, marker=True))
    await eventually(lambda: len(out.packets) == 3, what="packet 12, then the repair of 11")
    assert lost and producer.packets_resent == 1
    assert out.packets[-1][12:].endswith(b"lost-one")
    assert subscriber.packets_sent >= 2


def test_a_nack_names_each_lost_packet_once() -> None:
    (request,) = parse_feedback(nack(0x1234, [5, 6, 8, 30]))
    assert isinstance(request, Nack)
    assert request.ssrc == 0x1234 and sorted(request.lost) == [5, 6, 8, 30]


async def test_a_datagram_sealed_with_another_secret_is_dropped(
    sockets: tuple[RelaySocket, RelaySocket],
) -> None:
    home, edge = sockets
    nodes = Nodes(home, edge)
    producer = Producer(
        ProducerId("p1-n1/audio/1"), "p1-n1", AUDIO, 0xAAAA0002, 111, 48000, None, Requests()
    )
    track = cross(nodes, producer)
    _subscriber, out = attach(track.producer)
    forged = LinkEnd(
        1, nodes.edge_end.link_id, Sealer(derive("not ours", new_salt() * 2, "media", "h", "e")),
        Opener(derive("x", new_salt() * 2, "media", "e", "h")), edge.address, lambda p, t: None,
    )  # fmt: skip
    intruder = await RelaySocket.bind("127.0.0.1")
    intruder.add(forged)
    try:
        forged.send(
            rtp(1, 960, b"forged", pt=111, ssrc=nodes.exports._tracks[producer.id].streams[0].ssrc)
        )
        producer.receive(rtp(2, 1920, b"real", pt=111))
        await eventually(lambda: len(out.packets) == 1, what="the real packet")
        await eventually(lambda: edge.dropped == 1, what="the forged one counted")
        assert out.packets[0][12:] == b"real"
    finally:
        intruder.close()


async def test_layers_nobody_watches_on_the_other_node_stop_crossing(
    sockets: tuple[RelaySocket, RelaySocket],
) -> None:
    nodes = Nodes(*sockets)
    track = Producer(ProducerId("p1-n1/video/2"), "p1-n1", "video", 0, 96, 90000, None,
                     Requests(), person="p1-n1")  # fmt: skip
    layers = []
    for index, rid in enumerate("qhf"):
        layer = Producer(ProducerId(f"p1-n1/video/2/{rid}"), "p1-n1", "video", 0xA0 + index,
                         96, 90000, None, Requests(), person="p1-n1")  # fmt: skip
        layer.rid = rid
        layers.append(layer)
    track.add_layers(layers)
    imported = cross(nodes, track)
    assert [layer.rid for layer in imported.layers] == ["q", "h", "f"]
    assert wanted_layers(track) == [True, True, True]  # everything crosses at first
    watcher = Consumer(imported.producer, 0xBB, 96, Output().send, layer=0)
    watcher.ceiling = 0  # a small tile: the lowest layer is all it can use
    imported.producer.add_consumer(watcher)
    wanted = imported.wanted_changes()
    assert wanted == [True, False, False]
    assert imported.wanted_changes() is None  # told once
    nodes.exports.want(track.id, wanted)
    assert wanted_layers(track) == [True, False, False]  # the publisher may stop h and f
    watcher.ceiling = 2
    nodes.exports.want(track.id, imported.wanted_changes() or [])
    assert wanted_layers(track) == [True, True, True]
