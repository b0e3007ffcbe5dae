"""data_saver: a participant on a data plan hears only the active speaker's voice; the others'
audio stops at the server and comes back when the data saver is switched off."""

from __future__ import annotations

import pytest
from aiortc.mediastreams import AudioStreamTrack

from loadtest.client import SyntheticParticipant
from tests.conftest import RunningServer, eventually, participants
from tests.whole.signalling.test_speakers_e2e import ToneTrack, speaker_lists

pytestmark = pytest.mark.webrtc


def audio(member: SyntheticParticipant, sender: SyntheticParticipant) -> int:
    return member.received.packets[(sender.id, "audio")]


async def test_a_data_saver_hears_the_speaker_only_until_it_switches_off(
    kamar: RunningServer,
) -> None:
    async with participants(kamar, "demo", "ani", "budi", "cici", receive="count") as people:
        ani, budi, cici = people
        await ani.publish([ToneTrack()])
        await budi.publish([AudioStreamTrack()])  # silence: packets, but nobody speaking
        await eventually(lambda: audio(cici, budi) > 20, what="budi's audio at cici")
        await eventually(lambda: [ani.id] in speaker_lists(cici), what="ani speaking")

        await cici.send({"type": "data_saver", "on": True})
        # Packets already on their way still arrive; then budi's stop while ani's go on.
        mark = audio(cici, ani) + 10
        await eventually(lambda: audio(cici, ani) >= mark, what="ani's voice")
        budi_stopped_at = audio(cici, budi)
        mark = audio(cici, ani) + 50
        await eventually(lambda: audio(cici, ani) >= mark, what="a second of ani's voice")
        assert audio(cici, budi) == budi_stopped_at
        assert audio(budi, ani) > 0 and audio(ani, budi) > 0  # nobody else is affected

        await cici.send({"type": "data_saver", "on": False})
        await eventually(
            lambda: audio(cici, budi) > budi_stopped_at + 10, what="budi's audio again"
        )


async def test_data_saver_needs_a_meeting_and_a_boolean(kamar: RunningServer) -> None:
    async with participants(kamar, "demo", "ani") as (ani,):
        error = ani.wait_for(lambda e: e["type"] == "error")
        await ani.send({"type": "data_saver", "on": "yes"})
        event = await error
        assert event["code"] == "bad_message" and event["in_reply_to"] == "data_saver"
