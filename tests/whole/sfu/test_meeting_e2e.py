"""Six aiortc participants meet: everyone receives everyone, and comings and goings renegotiate."""

from __future__ import annotations

import fractions

import av
import pytest
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from loadtest.client import SyntheticParticipant
from tests.conftest import RunningServer, eventually

pytestmark = pytest.mark.webrtc

ROOM = "rapat-rw07"


class SmallVideoTrack(VideoStreamTrack):
    """160x120 frames: six VP8 encoders in one test process stay cheap on two cores."""

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(width=160, height=120, format="yuv420p")
        for plane in frame.planes:
            plane.update(bytes([pts % 256]) * plane.buffer_size)
        frame.pts, frame.time_base = pts, fractions.Fraction(time_base)
        return frame


async def join_and_publish(kamar: RunningServer, identity: str) -> SyntheticParticipant:
    member = SyntheticParticipant(
        kamar.ws_url, kamar.token(ROOM, identity), room=ROOM, receive="count"
    )
    await member.join()
    await member.publish([AudioStreamTrack(), SmallVideoTrack()])
    return member


def receives_from(member: SyntheticParticipant, senders: list[SyntheticParticipant]) -> bool:
    packets = member.received.packets
    return all(packets[(sender.id, kind)] > 0 for sender in senders for kind in ("audio", "video"))


async def everyone_receives_everyone(members: list[SyntheticParticipant]) -> None:
    for member in members:
        others = [m for m in members if m is not member]
        await eventually(
            lambda member=member, others=others: receives_from(member, others),
            timeout=30,
            what=f"{member.id} to receive audio and video from the {len(others)} others",
        )


def offered_participants(member: SyntheticParticipant) -> set[str]:
    return {info["participant_id"] for info in member.tracks.values()}


async def test_six_participants_receive_each_other_and_follow_joins_and_leaves(
    kamar: RunningServer,
) -> None:
    members: list[SyntheticParticipant] = []
    try:
        for index in range(6):
            members.append(await join_and_publish(kamar, f"anggota-{index}"))
        await everyone_receives_everyone(members)

        leaver = members.pop()
        await leaver.leave()
        for member in members:
            await eventually(
                lambda member=member: leaver.id not in offered_participants(member),
                what=f"{member.id}'s subscribe offer to drop the leaver's tracks",
            )
            assert {"type": "participant_left", "participant_id": leaver.id, "reason": "left"} in [
                {k: e.get(k) for k in ("type", "participant_id", "reason")} for e in member.events
            ]

        # A newcomer takes the inactive slots the leaver left behind, and everyone gets its media.
        newcomer = await join_and_publish(kamar, "anggota-baru")
        members.append(newcomer)
        await everyone_receives_everyone(members)
        # Slots are reused: five senders with two tracks each need no more than ten m-lines.
        assert newcomer.subscribe_pc is not None and members[0].subscribe_pc is not None
        assert len(members[0].subscribe_pc.getTransceivers()) == 10
    finally:
        for member in members:
            await member.close()
