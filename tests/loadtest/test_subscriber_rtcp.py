"""The load test's counting subscribers send receiver reports and REMB as browsers do."""

from __future__ import annotations

from typing import Any

import pytest
from aiortc.mediastreams import VideoStreamTrack

from loadtest.client import SyntheticParticipant
from loadtest.subscriber_rtcp import REMB_BITRATE
from sfu.subscriber import SubscriberPeer
from tests.conftest import RunningServer, eventually

pytestmark = pytest.mark.webrtc


async def test_a_counting_subscriber_reports_its_reception_and_bandwidth(
    kamar: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    rembs: list[tuple[SubscriberPeer, int]] = []  # (the server's peer, bitrate) per REMB
    on_remb = SubscriberPeer.on_remb

    def record(self: SubscriberPeer, bitrate: int) -> None:
        rembs.append((self, bitrate))
        on_remb(self, bitrate)

    monkeypatch.setattr(SubscriberPeer, "on_remb", record)
    room = "reports"
    alice = SyntheticParticipant(kamar.ws_url, kamar.token(room, "alice"), room=room)
    bob = SyntheticParticipant(
        kamar.ws_url, kamar.token(room, "bob"), room=room, receive="count", report=True
    )
    carol = SyntheticParticipant(
        kamar.ws_url, kamar.token(room, "carol"), room=room, receive="count"
    )
    try:
        for member in (alice, bob, carol):
            await member.join()
        await alice.publish([VideoStreamTrack()])
        await eventually(lambda: bob.received.bytes > 0 and carol.received.bytes > 0)
        bob.received.start_measuring()  # report blocks come from what is measured
        await eventually(lambda: len(rembs) >= 2, timeout=10, what="two REMBs from bob")
        assert {bitrate for _peer, bitrate in rembs} == {REMB_BITRATE}
        (server_side,) = {peer for peer, _bitrate in rembs}  # bob's alone: carol sends none
        await eventually(
            lambda: _reported_loss(server_side), timeout=10, what="a report block from bob"
        )
    finally:
        for member in (alice, bob, carol):
            await member.close()


async def _reported_loss(peer: SubscriberPeer) -> bool:
    """True once the server's sender to the subscriber has a report block from it."""
    connection: Any = peer._pc
    for sender in connection.getSenders():
        for stats in (await sender.getStats()).values():
            if stats.type == "remote-inbound-rtp" and stats.packetsLost == 0:
                return True
    return False
