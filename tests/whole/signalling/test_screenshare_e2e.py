"""Screen sharing: a second publish connection whose video reaches everyone else as its own
track, marked `source: screen`, and goes away again on unpublish or when leaving the stage."""

from __future__ import annotations

from typing import Any

import pytest
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from loadtest.client import ServerError, SyntheticParticipant
from signalling.ws import SERVICES_KEY
from tests.conftest import RunningServer, eventually

pytestmark = pytest.mark.webrtc
ROOM = "presentasi"


def packets(member: SyntheticParticipant, sender: str, kind: str) -> int:
    return member.received.packets[(sender, kind)]


def sources_of(member: SyntheticParticipant, participant_id: str) -> set[str]:
    return {
        info["source"]
        for info in member.tracks.values()
        if info["participant_id"] == participant_id and info["kind"] == "video"
    }


async def test_a_shared_screen_reaches_the_others_beside_the_camera_and_stops(
    kamar: RunningServer,
) -> None:
    people = {
        name: SyntheticParticipant(
            kamar.ws_url, kamar.token(ROOM, name, role=role), room=ROOM, receive="count"
        )
        for name, role in (("mod", "moderator"), ("ketua", "speaker"), ("warga", "audience"))
    }
    moderator, speaker, viewer = people.values()
    try:
        for person in people.values():
            await person.join()
        await speaker.publish([AudioStreamTrack(), VideoStreamTrack()])
        sharing = viewer.wait_for(
            lambda e: e["type"] == "participant_updated" and e["participant"]["screen"] is True
        )
        await speaker.publish([VideoStreamTrack()], source="screen")
        assert (await sharing)["participant"]["id"] == speaker.id
        screen = f"{speaker.id}:screen"
        for member in (viewer, moderator):
            await eventually(lambda m=member: packets(m, screen, "video") > 10, what="screen")
            await eventually(lambda m=member: packets(m, speaker.id, "video") > 10, what="camera")
        assert sources_of(viewer, speaker.id) == {"camera", "screen"}
        # Nobody receives their own screen back.
        assert packets(speaker, screen, "video") == 0

        with pytest.raises(ServerError, match="already published"):
            await speaker.publish([VideoStreamTrack()], source="screen")

        await viewer.send(
            {
                "type": "pause_video",
                "participant_id": speaker.id,
                "paused": True,
                "source": "screen",
            }
        )
        stopped = viewer.wait_for(
            lambda e: e["type"] == "participant_updated" and e["participant"]["screen"] is False
        )
        await speaker.send({"type": "unpublish", "source": "screen"})
        await stopped
        await eventually(lambda: sources_of(viewer, speaker.id) == {"camera"}, what="no screen")
        room = kamar.server.app[SERVICES_KEY].registry.find(ROOM)
        assert room is not None
        assert [p.owner for p in room.media.producers_of_person(speaker.id)] == [
            speaker.id,
            speaker.id,
        ]
        # Sent back to the audience while sharing: camera and screen both go.
        await speaker.publish([VideoStreamTrack()], source="screen")
        await eventually(lambda: "screen" in sources_of(viewer, speaker.id), what="shared again")
        await moderator.send({"type": "set_role", "participant_id": speaker.id, "role": "audience"})
        await eventually(lambda: not room.media.producers_of_person(speaker.id), what="all gone")
        await eventually(lambda: sources_of(viewer, speaker.id) == set(), what="no tracks")
    finally:
        for person in people.values():
            await person.close()


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"type": "unpublish", "source": "screen"}, "bad_state"),
        ({"type": "unpublish", "source": "camera"}, "bad_message"),
        ({"type": "publish_offer", "sdp": "v=0", "source": "window"}, "bad_message"),
        (
            {"type": "pause_video", "participant_id": "OTHER", "paused": True, "source": "tv"},
            "bad_message",
        ),
    ],
)
async def test_bad_screen_messages_get_clear_errors(
    kamar: RunningServer, message: dict[str, Any], code: str
) -> None:
    ani = SyntheticParticipant(kamar.ws_url, kamar.token(ROOM, "ani"), room=ROOM)
    budi = SyntheticParticipant(kamar.ws_url, kamar.token(ROOM, "budi"), room=ROOM)
    try:
        await ani.join()
        await budi.join()
        if message.get("participant_id") == "OTHER":
            message = {**message, "participant_id": budi.id}
        error = ani.wait_for(lambda e: e["type"] == "error")
        await ani.send(message)
        assert (await error)["code"] == code
    finally:
        await ani.close()
        await budi.close()
