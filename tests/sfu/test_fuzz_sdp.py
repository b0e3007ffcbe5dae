"""Property-based fuzzing of SDP from clients: publish offers (sfu/publish_offer.py, then
aiortc through sfu/publisher.py) and subscribe answers (sfu/sdp_checks.py, sfu/sdp.py). The
invariant: a NegotiationError (the client gets `bad_sdp`) or success, nothing else."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfu import sdp
from sfu.errors import NegotiationError
from sfu.owner import CAMERA
from sfu.peer import PeerSettings
from sfu.publish_offer import validate_publish_offer
from sfu.publisher import PublisherPeer
from sfu.sdp_checks import description_problem
from tests.sfu.test_publish_offer import offer

pytestmark = pytest.mark.fuzz

BASE = offer().split("\r\n")

# Lines of the kinds the SFU and aiortc read, with values that are sometimes right.
values = st.sampled_from(
    ["0", "1", "15", "255", "256", "-1", "x", "", " ", "actpass", "\x00", "é", "99999999999"]
) | st.text(max_size=12)
lines = st.one_of(
    st.builds("a=setup:{}".format, values),
    st.builds("a=mid:{}".format, values),
    st.builds("a=extmap:{} {}".format, values, st.sampled_from(["urn:x", sdp.RID_URI, ""])),
    st.builds("a=fingerprint:{} {}".format, st.sampled_from(["sha-256", "sha-1", "x"]), values),
    st.builds("a=rtpmap:{} {}/{}".format, values, st.sampled_from(["VP8", "opus", "rtx"]), values),
    st.builds("a=fmtp:{} apt={}".format, values, values),
    st.builds("a=ssrc:{} cname:x".format, values),
    st.builds("a=ssrc-group:FID {} {}".format, values, values),
    st.builds("a=rid:{} {}".format, values, st.sampled_from(["send", "recv", ""])),
    st.builds("a=simulcast:send {}".format, values),
    st.builds("a=rtcp-fb:{} {}".format, values, st.sampled_from(["nack", "transport-cc"])),
    st.builds(
        "m={} {} UDP/TLS/RTP/SAVPF {}".format,
        st.sampled_from(["audio", "video", "x"]),
        values,
        values,
    ),
    st.sampled_from(["a=sendonly", "a=recvonly", "a=inactive", "a=end-of-candidates", "v=0"]),
    st.text(max_size=40),
)


@st.composite
def mutated_offers(draw: st.DrawFn) -> str:
    """The well-formed offer of tests/sfu/test_publish_offer.py with lines replaced, inserted
    and deleted."""
    text = list(BASE)
    for _ in range(draw(st.integers(0, 4))):
        where = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "replace", "delete"]))
        if action == "delete" and where < len(text):
            del text[where]
        elif action == "replace" and where < len(text):
            text[where] = draw(lines)
        else:
            text.insert(where, draw(lines))
    return "\r\n".join(text)


@given(text=mutated_offers() | st.text(max_size=300))
def test_an_offer_is_validated_or_refused_with_a_negotiation_error(text: str) -> None:
    try:
        validate_publish_offer(text)
    except NegotiationError:
        pass


@given(text=mutated_offers() | st.text(max_size=300))
def test_an_answer_is_checked_and_parsed_or_refused_with_a_value_error(text: str) -> None:
    if description_problem(text, offer=False) is not None:
        return
    try:
        sdp.parse(text)
    except ValueError:
        pass


@pytest.mark.webrtc
@settings(max_examples=40)  # each example negotiates with aiortc: ~10 ms
@given(text=mutated_offers())
async def test_a_publisher_answers_an_offer_or_refuses_it_with_a_negotiation_error(
    text: str,
) -> None:
    publisher = PublisherPeer("alice", CAMERA, PeerSettings(), on_failed=lambda: None)
    try:
        answer = await publisher.accept_offer(text)
        assert answer.startswith("v=0") and publisher.producers
    except NegotiationError:
        pass
    finally:
        await publisher.close()
