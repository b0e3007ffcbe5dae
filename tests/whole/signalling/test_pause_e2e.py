"""pause_video: a subscriber stops and restarts one participant's video, nothing else."""

from __future__ import annotations

import pytest
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from loadtest.client import SyntheticParticipant
from tests.conftest import RunningServer, eventually, participants

pytestmark = pytest.mark.webrtc


def packets(member: SyntheticParticipant, sender: SyntheticParticipant, kind: str) -> int:
    return member.received.packets[(sender.id, kind)]


async def test_a_paused_video_stops_while_audio_goes_on_and_comes_back_on_resume(
    kamar: RunningServer,
) -> None:
    async with participants(kamar, "demo", "ani", "budi", receive="count") as (ani, budi):
        await ani.publish([AudioStreamTrack(), VideoStreamTrack()])
        await eventually(lambda: packets(budi, ani, "video") > 0, what="video at budi")

        await budi.send({"type": "pause_video", "participant_id": ani.id, "paused": True})
        await eventually(lambda: packets(budi, ani, "audio") > 0, what="audio at budi")
        # Let packets already on their way arrive, then watch a second of audio go by.
        audio_mark = packets(budi, ani, "audio") + 10
        await eventually(lambda: packets(budi, ani, "audio") >= audio_mark, what="audio")
        video_paused_at = packets(budi, ani, "video")
        audio_mark = packets(budi, ani, "audio") + 50
        await eventually(lambda: packets(budi, ani, "audio") >= audio_mark, what="more audio")
        assert packets(budi, ani, "video") == video_paused_at

        await budi.send({"type": "pause_video", "participant_id": ani.id, "paused": False})
        await eventually(
            lambda: packets(budi, ani, "video") > video_paused_at + 10, what="video again"
        )


async def test_a_pause_sent_before_the_media_flows_holds_back_only_the_video(
    kamar: RunningServer,
) -> None:
    # The data saver pauses every video at join, before any consumer exists.
    async with participants(kamar, "demo", "ani", "budi", receive="count") as (ani, budi):
        await budi.send({"type": "pause_video", "participant_id": ani.id, "paused": True})
        await ani.publish([AudioStreamTrack(), VideoStreamTrack()])
        await eventually(lambda: packets(budi, ani, "audio") > 50, what="audio at budi")
        assert packets(budi, ani, "video") == 0

        await budi.send({"type": "pause_video", "participant_id": ani.id, "paused": False})
        await eventually(lambda: packets(budi, ani, "video") > 10, what="video after resuming")


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"participant_id": "p0-nobody", "paused": True}, "bad_state"),
        ({"participant_id": "SELF", "paused": True}, "bad_state"),
        ({"participant_id": "OTHER"}, "bad_message"),
        ({"participant_id": "OTHER", "paused": "yes"}, "bad_message"),
    ],
)
async def test_bad_pause_requests_get_an_error_and_change_nothing(
    kamar: RunningServer, message: dict[str, object], code: str
) -> None:
    async with participants(kamar, "demo", "ani", "budi") as (ani, budi):
        ids = {"SELF": budi.id, "OTHER": ani.id}
        target = message["participant_id"]
        request = {**message, "participant_id": ids.get(str(target), target)}
        error = budi.wait_for(lambda e: e["type"] == "error")
        await budi.send({"type": "pause_video", **request})
        event = await error
        assert event["code"] == code and event["in_reply_to"] == "pause_video"
        assert event["message"]
