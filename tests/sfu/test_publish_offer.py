"""A malformed publish offer is refused with a NegotiationError that names the problem (the
client sees `bad_sdp`), before aiortc reads it and whatever aiortc would raise on it."""

from __future__ import annotations

import re
import time

import pytest

from sfu import sdp
from sfu.errors import NegotiationError
from sfu.owner import CAMERA
from sfu.peer import PeerSettings
from sfu.publish_offer import validate_publish_offer
from sfu.publisher import PublisherPeer

FINGERPRINT = "sha-256 " + ":".join(f"{i:02X}" for i in range(32))

AUDIO = """m=audio 9 UDP/TLS/RTP/SAVPF 111
c=IN IP4 0.0.0.0
a=ice-ufrag:abcd
a=ice-pwd:abcdefghijklmnopqrstuv
a=fingerprint:{fingerprint}
a=setup:actpass
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=sendonly
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=ssrc:1111 cname:x
"""

VIDEO = """m=video 9 UDP/TLS/RTP/SAVPF 96 97
c=IN IP4 0.0.0.0
a=ice-ufrag:abcd
a=ice-pwd:abcdefghijklmnopqrstuv
a=fingerprint:{fingerprint}
a=setup:actpass
a=mid:1
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=sendonly
a=rtcp-mux
a=rtpmap:96 VP8/90000
a=rtpmap:97 rtx/90000
a=fmtp:97 apt=96
a=ssrc-group:FID 2222 3333
a=ssrc:2222 cname:x
a=ssrc:3333 cname:x
"""

SESSION = """v=0
o=- 1 2 IN IP4 127.0.0.1
s=-
t=0 0
"""


def offer(*, fingerprint: str = FINGERPRINT, body: str | None = None) -> str:
    """A well-formed offer (or `body` as its media sections), all m-lines bundled."""
    media = (body or (AUDIO + VIDEO)).format(fingerprint=fingerprint)
    bundle = "a=group:BUNDLE " + " ".join(re.findall(r"^a=mid:(\S+)$", media, re.M)) + "\n"
    return (SESSION + bundle + media).replace("\n", "\r\n")


def without_lines(text: str, prefix: str) -> str:
    return "".join(line for line in text.splitlines(True) if not line.startswith(prefix))


def test_a_well_formed_offer_is_accepted() -> None:
    assert [s.mid for s in validate_publish_offer(offer())] == ["0", "1"]


def test_a_fingerprint_at_session_level_is_enough() -> None:
    text = without_lines(offer(), "a=fingerprint")
    text = text.replace("t=0 0\r\n", f"t=0 0\r\na=fingerprint:{FINGERPRINT}\r\n")
    assert len(validate_publish_offer(text)) == 2


def test_an_offer_of_one_m_line_needs_no_bundle_group() -> None:
    text = offer(body=AUDIO).replace("a=group:BUNDLE 0\r\n", "")
    assert "BUNDLE" not in text and len(validate_publish_offer(text)) == 1


def test_two_byte_extension_ids_are_accepted() -> None:
    text = offer().replace("a=extmap:2 ", "a=extmap:255 ")
    assert (
        validate_publish_offer(text)[1].extensions[
            "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
        ]
        == 255
    )


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (offer().replace("a=setup:actpass", "a=setup:bogus"), "a=setup:bogus"),
        (offer().replace("a=setup:actpass", "a=setup:holdconn"), "a=setup:holdconn"),
        (offer(body=AUDIO + AUDIO.replace("a=mid:0", "a=mid:5") + VIDEO), "m-line, not 3"),
        (offer(body=AUDIO + AUDIO.replace("a=mid:0", "a=mid:5")), "at most one audio"),
        (offer(body=VIDEO + VIDEO.replace("a=mid:1", "a=mid:7")), "at most one video"),
        (offer().replace("a=extmap:1 ", "a=extmap:300 "), "from 1 to 255"),
        (offer().replace("a=extmap:1 ", "a=extmap:0 "), "from 1 to 255"),
        (offer().replace("a=extmap:1 ", "a=extmap:x "), "from 1 to 255"),
        (offer().replace("a=extmap:1 ", "a=extmap:\u00b2 "), "from 1 to 255"),  # isdigit()
        (offer().replace("a=extmap:1 ", "a=extmap:" + "9" * 5000 + " "), "from 1 to 255"),
        (offer().replace("a=extmap:1 urn:ietf", "a=extmap:1"), "a URI"),
        (offer().replace("a=sendonly", "a=extmap:1 urn:x\r\na=sendonly", 1), "names two"),
        (offer().replace("a=mid:0", "a=mid:0\x00"), "control character (0x00)"),
        (offer().replace("s=-", "s=\x07"), "control character (0x07)"),
        (offer().replace("a=mid:1", "a=mid:0"), "a=mid:0 names two m-lines"),
        (offer().replace("a=mid:1", "a=mid:" + "x" * 17), "1 to 16 characters"),
        (offer().replace("a=mid:1", "a=mid:a b"), "not a token"),
        (without_lines(offer(), "a=fingerprint"), "no a=fingerprint"),
        (without_lines(offer(body=AUDIO), "a=fingerprint"), "no a=fingerprint"),
        (offer(body=AUDIO + VIDEO.replace("a=mid:1", "a=mid:5")).replace(" 0 5", " 0"), "BUNDLE"),
        (offer(fingerprint="sha-256 zz"), "32 hex pairs"),
        (without_lines(offer(), "a=setup"), "no a=setup"),
        (offer().replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 0 1 2"), "mid '2'"),
        (offer().replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 1 0 1"), "mid '1'"),
        (offer().replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 0"), "BUNDLE group"),
        (offer(body=AUDIO).replace("a=group:BUNDLE 0", "a=group:BUNDLE 1 0"), "mid '1'"),
        (offer(fingerprint="sha-256 " + FINGERPRINT[8:-3]), "32 hex pairs"),
        (offer(fingerprint=FINGERPRINT.replace(":", "")), "32 hex pairs"),
        (offer(fingerprint="sha-256"), "a hash function and a digest"),
        (offer(fingerprint="md5 " + FINGERPRINT[8:]), "unknown hash function"),
        (offer(fingerprint="whirlpool " + FINGERPRINT[8:]), "unknown hash function"),
        (offer().replace("m=audio 9", "m=audio x"), "malformed port"),
        (offer().replace("m=video", "m=application"), "nothing else"),
        ("", "v=0"),
        (offer().replace("a=sendonly", "a=x\r\n" * 400 + "a=sendonly", 1), "more than 400 lines"),
        (offer().replace("s=-", "s=-\r\n" + "a=x\r\n" * 400), "more than 400 lines"),
        (offer().replace("a=sendonly", "a=ssrc:1 x\r\n" * 32 + "a=sendonly", 1), "32 a=ssrc"),
        (
            offer().replace(
                "a=sendonly", "a=candidate:1 1 udp 1 10.0.0.1 9 typ host\r\n" * 33 + "a=sendonly", 1
            ),
            "32 candidates",
        ),
    ],
)
def test_a_malformed_offer_is_refused_with_its_reason(text: str, says: str) -> None:
    with pytest.raises(NegotiationError, match=re.escape(says)):
        validate_publish_offer(text)


@pytest.mark.webrtc
@pytest.mark.parametrize(
    "broken",
    [
        lambda text: text.replace("a=setup:actpass", "a=setup:bogus"),  # aiortc: KeyError
        lambda text: text.replace("a=extmap:1 ", "a=extmap:300 "),  # aiortc: IndexError
        lambda text: text.replace("a=mid:1", "a=mid:0"),  # aiortc: ValueError, after the offer
        lambda text: text.replace("a=mid:0", "a=mid:0\x00"),  # aiortc: accepted
        lambda text: without_lines(text, "a=fingerprint"),  # aiortc: accepted
        lambda text: text.replace(FINGERPRINT, "sha-256 zz"),  # aiortc: accepted
        # aiortc: bundles onto a transport that is not there, then its close() raises
        lambda text: text.replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 2 0 1"),
        lambda text: without_lines(text, "a=setup"),  # aiortc: AttributeError
    ],
)
async def test_the_publisher_refuses_what_aiortc_would_fail_on_or_accept(broken) -> None:  # type: ignore[no-untyped-def]
    publisher = PublisherPeer("alice", CAMERA, PeerSettings(), on_failed=lambda: None)
    try:
        with pytest.raises(NegotiationError):
            await publisher.accept_offer(broken(offer()))
        assert publisher.producers == []
    finally:
        await publisher.close()


@pytest.mark.webrtc
async def test_whatever_aiortc_raises_on_an_offer_becomes_a_negotiation_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    publisher = PublisherPeer("alice", CAMERA, PeerSettings(), on_failed=lambda: None)

    async def fails(description: object) -> None:
        raise KeyError("something aiortc did not expect")

    monkeypatch.setattr(publisher._pc, "setRemoteDescription", fails)
    try:
        with pytest.raises(NegotiationError, match="could not be negotiated"):
            await publisher.accept_offer(offer())
    finally:
        await publisher.close()


@pytest.mark.webrtc
async def test_a_connection_that_aiortc_cannot_close_is_closed_without_raising() -> None:
    publisher = PublisherPeer("alice", CAMERA, PeerSettings(), on_failed=lambda: None)

    async def raises() -> None:
        raise AttributeError("'NoneType' object has no attribute 'stop'")

    publisher._pc.close = raises  # type: ignore[method-assign]
    await publisher.close()  # logged, not raised: the session's teardown goes on


def test_a_section_at_the_limits_is_accepted_one_line_more_is_not() -> None:
    """The audio section: 11 lines of its own, one a=ssrc; filled up to the limits."""
    lines = "a=ssrc:7 x\r\n" * 31 + "a=candidate:1 1 udp 1 10.0.0.1 9 typ host\r\n" * 32
    filler = "a=x\r\n" * (400 - 11 - 31 - 32)
    full = offer().replace("a=sendonly", lines + filler + "a=sendonly", 1)
    assert len(validate_publish_offer(full)) == 2
    with pytest.raises(NegotiationError, match="more than 400 lines"):
        validate_publish_offer(full.replace("a=sendonly", "a=x\r\na=sendonly", 1))


def test_a_huge_offer_is_refused_before_its_m_lines_are_read() -> None:
    many = "".join(f"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:{i}\r\n" for i in range(20_000))
    with pytest.raises(NegotiationError, match="not 20002"):
        validate_publish_offer(offer() + many)


def test_reading_an_sdp_takes_time_linear_in_its_size() -> None:
    """25,000 a=ssrc lines (half a megabyte, one websocket message) took 30 s of the event
    loop when each was looked up in a list; a hundredth of that is a generous bound."""
    many = "".join(f"a=ssrc:{i} cname:x\r\n" for i in range(25_000))
    started = time.process_time()
    sections = sdp.parse(offer() + many)
    assert len(sections[-1].ssrcs) == 25_000  # 2222 and 3333 were there already
    assert time.process_time() - started < 3.0
