"""Transport-cc in the SDP: the answer to a publisher accepts the transport-wide sequence number
extension with the offered id and transport-cc feedback for VP8, and only where offered."""

from __future__ import annotations

from sfu import sdp

HEAD = ["v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0"]
AUDIO_OFFER = [
    "m=audio 9 UDP/TLS/RTP/SAVPF 111",
    "a=mid:0",
    f"a=extmap:3 {sdp.TRANSPORT_CC_URI}",
    "a=sendonly",
    "a=rtpmap:111 opus/48000/2",
    "a=rtcp-fb:111 transport-cc",
]
VIDEO_OFFER = [
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98",
    "a=mid:1",
    f"a=extmap:3 {sdp.TRANSPORT_CC_URI}",
    "a=sendonly",
    "a=rtpmap:96 VP8/90000",
    "a=rtcp-fb:96 goog-remb",
    "a=rtcp-fb:96 transport-cc",
    "a=rtcp-fb:96 nack pli",
    "a=rtpmap:97 rtx/90000",
    "a=fmtp:97 apt=96",
    "a=rtpmap:98 VP9/90000",
    "a=rtcp-fb:98 transport-cc",
]
# aiortc's answer: VP8 kept, no transport-cc anywhere.
ANSWER = [
    *HEAD,
    "m=audio 9 UDP/TLS/RTP/SAVPF 111",
    "a=mid:0",
    "a=recvonly",
    "a=rtpmap:111 opus/48000/2",
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
    "a=recvonly",
    "a=mid:1",
    "a=rtpmap:96 VP8/90000",
    "a=rtcp-fb:96 goog-remb",
    "a=rtpmap:97 rtx/90000",
]


def sdp_text(lines: list[str]) -> str:
    return "\r\n".join(lines) + "\r\n"


def answer_to(*offered: str) -> str:
    return sdp.answer_transport_cc(sdp.parse(sdp_text([*HEAD, *offered])), sdp_text(ANSWER))


def test_rtcp_feedback_types_are_read_per_payload_type() -> None:
    (video,) = sdp.parse(sdp_text([*HEAD, *VIDEO_OFFER, "a=rtcp-fb:* ccm fir"]))
    assert video.feedback[96] == {"goog-remb", "transport-cc", "nack pli"}
    assert video.accepts_feedback(96, "transport-cc")
    assert video.accepts_feedback(97, "ccm fir")  # "*": every payload type
    assert not video.accepts_feedback(97, "transport-cc")


def test_the_video_answer_gains_the_extension_with_the_offered_id_and_the_feedback() -> None:
    audio, video = sdp.parse(answer_to(*AUDIO_OFFER, *VIDEO_OFFER))
    assert video.extensions == {sdp.TRANSPORT_CC_URI: 3}
    assert video.feedback[96] == {"goog-remb", "transport-cc"}
    # Audio stays out of the browser's estimate: its packets then carry no sequence number.
    assert audio.extensions == {} and audio.feedback == {}


def test_without_the_extension_or_the_feedback_in_the_offer_nothing_is_added() -> None:
    no_extension = [line for line in VIDEO_OFFER if sdp.TRANSPORT_CC_URI not in line]
    no_feedback = [line for line in VIDEO_OFFER if line != "a=rtcp-fb:96 transport-cc"]
    assert answer_to(*AUDIO_OFFER, *no_extension) == sdp_text(ANSWER)
    assert answer_to(*AUDIO_OFFER, *no_feedback) == sdp_text(ANSWER)


def test_an_answer_that_has_the_extension_already_is_left_alone() -> None:
    already = [*ANSWER, f"a=extmap:3 {sdp.TRANSPORT_CC_URI}", "a=rtcp-fb:96 transport-cc"]
    offered = sdp.parse(sdp_text([*HEAD, *AUDIO_OFFER, *VIDEO_OFFER]))
    assert sdp.answer_transport_cc(offered, sdp_text(already)) == sdp_text(already)
