"""Malformed publish offers (issue #13 item 8) get `bad_sdp` naming the problem, never
`internal`, and the session goes on. A NUL byte is refused sooner, as `bad_message`: no frame
may carry control characters (signalling/messages.py); sfu/sdp_checks.py refuses it too, for
SDP that arrives another way (tests/sfu/test_publish_offer.py)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from aiortc import RTCPeerConnection
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

from tests.conftest import RunningServer, participants

pytestmark = pytest.mark.webrtc


async def browser_like_offer() -> str:
    pc = RTCPeerConnection()
    pc.addTransceiver(AudioStreamTrack(), direction="sendonly")
    pc.addTransceiver(VideoStreamTrack(), direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    await pc.close()
    return str(pc.localDescription.sdp)


def audio_section(text: str, mid: str) -> str:
    section = text[text.index("m=audio") : text.index("m=video")]
    return section.replace("a=mid:0", f"a=mid:{mid}")


BROKEN: dict[str, Callable[[str], str]] = {
    "a=setup:bogus": lambda t: t.replace("a=setup:actpass", "a=setup:bogus"),
    "three audio m-lines": lambda t: t.replace(
        "m=video", audio_section(t, "5") + audio_section(t, "6") + "m=video"
    ),
    "extmap id 300": lambda t: t.replace("a=mid:0", "a=mid:0\r\na=extmap:300 urn:x:y"),
    "a NUL byte": lambda t: t.replace("a=mid:0", "a=mid:0\x00"),
    "duplicate mids": lambda t: t.replace("a=mid:1", "a=mid:0"),
    "no fingerprint": lambda t: re.sub(r"a=fingerprint:[^\r\n]*\r\n", "", t),
    "a broken fingerprint": lambda t: re.sub(r"(a=fingerprint:sha-256) \S+", r"\1 zz", t),
}


@pytest.mark.parametrize("case", list(BROKEN))
async def test_a_malformed_publish_offer_gets_bad_sdp_and_the_session_goes_on(
    kamar: RunningServer, case: str
) -> None:
    offer = BROKEN[case](await browser_like_offer())
    async with participants(kamar, "demo", "alice", receive="count") as (alice,):
        waiter = alice.wait_for(lambda e: e["type"] in ("publish_answer", "error"))
        await alice.send({"type": "publish_offer", "sdp": offer})
        error = await waiter
        expected = "bad_message" if case == "a NUL byte" else "bad_sdp"
        assert error["type"] == "error" and error["code"] == expected, error
        assert "Traceback" not in error["message"]
        # Nothing was kept: a good offer is answered afterwards.
        await alice.publish([AudioStreamTrack(), VideoStreamTrack()])
