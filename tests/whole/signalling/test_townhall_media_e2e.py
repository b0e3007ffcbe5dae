"""The stage with real media: promotion lets an audience member publish to everyone, going
back to the audience takes their tracks away, and a moderator's mute stops forwarding."""

from __future__ import annotations

import pytest
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from loadtest.client import ServerError, SyntheticParticipant
from signalling.ws import SERVICES_KEY
from tests.conftest import RunningServer, eventually

pytestmark = pytest.mark.webrtc
ROOM = "balai"


def packets(member: SyntheticParticipant, sender: SyntheticParticipant, kind: str) -> int:
    return member.received.packets[(sender.id, kind)]


async def test_an_audience_member_brought_on_stage_is_seen_and_sent_back_is_gone(
    kamar: RunningServer,
) -> None:
    roles = {"mod": "moderator", "warga": "audience", "tamu": "audience"}
    members = {
        name: SyntheticParticipant(
            kamar.ws_url, kamar.token(ROOM, name, role=role), room=ROOM, receive="count"
        )
        for name, role in roles.items()
    }
    moderator, warga, tamu = members.values()
    try:
        for member in members.values():
            await member.join()
        with pytest.raises(ServerError, match="forbidden"):
            await warga.publish([VideoStreamTrack()])

        promoted = warga.wait_for(
            lambda e: (
                e["type"] == "participant_updated"
                and e["participant"]["id"] == warga.id
                and e["participant"]["role"] == "speaker"
            )
        )
        await moderator.send({"type": "set_role", "participant_id": warga.id, "role": "speaker"})
        await promoted
        await warga.publish([AudioStreamTrack(), VideoStreamTrack()])
        for viewer in (moderator, tamu):
            await eventually(lambda v=viewer: packets(v, warga, "video") > 10, what="video")

        demoted = warga.wait_for(
            lambda e: (
                e["type"] == "participant_updated"
                and e["participant"]["id"] == warga.id
                and e["participant"]["role"] == "audience"
            )
        )
        await moderator.send({"type": "set_role", "participant_id": warga.id, "role": "audience"})
        await demoted
        room = kamar.server.app[SERVICES_KEY].registry.find(ROOM)
        assert room is not None
        assert room.media.producers_of(warga.id) == []  # gone from the room at once
        pc = warga.publish_pc
        await eventually(
            lambda: pc.connectionState in ("closed", "failed"), what="publish connection closed"
        )
        with pytest.raises(ServerError, match="forbidden"):
            await warga.publish([VideoStreamTrack()])
    finally:
        for member in members.values():
            await member.close()


async def test_a_moderators_mute_stops_forwarding_until_the_speaker_unmutes(
    kamar: RunningServer,
) -> None:
    moderator = SyntheticParticipant(
        kamar.ws_url, kamar.token(ROOM, "mod", role="moderator"), room=ROOM, receive="count"
    )
    speaker = SyntheticParticipant(
        kamar.ws_url, kamar.token(ROOM, "ketua", role="speaker"), room=ROOM, receive="count"
    )
    try:
        await moderator.join()
        await speaker.join()
        await speaker.publish([AudioStreamTrack(), VideoStreamTrack()])
        await eventually(lambda: packets(moderator, speaker, "audio") > 10, what="audio")

        told = speaker.wait_for(lambda e: e["type"] == "muted_by_moderator")
        await moderator.send(
            {"type": "mute_participant", "participant_id": speaker.id, "kind": "audio"}
        )
        assert (await told)["kind"] == "audio"
        # The speaker's client keeps sending audio (a misbehaving client): nothing arrives,
        # while its video goes on.
        settled = packets(moderator, speaker, "audio") + 5
        video_mark = packets(moderator, speaker, "video") + 30
        await eventually(lambda: packets(moderator, speaker, "video") >= video_mark, what="video")
        silent_from = packets(moderator, speaker, "audio")
        video_mark = packets(moderator, speaker, "video") + 30
        await eventually(lambda: packets(moderator, speaker, "video") >= video_mark, what="video")
        assert packets(moderator, speaker, "audio") == silent_from <= settled

        await speaker.send({"type": "mute", "kind": "audio", "muted": False})
        await eventually(
            lambda: packets(moderator, speaker, "audio") > silent_from + 10, what="audio again"
        )
    finally:
        await speaker.close()
        await moderator.close()
