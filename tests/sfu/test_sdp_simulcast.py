"""Simulcast in the SDP: reading a=rid / a=simulcast (RFC 8851, 8853) and answering them."""

from __future__ import annotations

import pytest

from sfu import sdp

MID = "urn:ietf:params:rtp-hdrext:sdes:mid"

# The video section of a Chromium publish offer made with three sendEncodings (rids q, h, f):
# no a=ssrc lines, the layers are told apart by the rid header extension.
CHROME_SIMULCAST_VIDEO = [
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
    "c=IN IP4 0.0.0.0",
    "a=mid:1",
    f"a=extmap:4 {MID}",
    f"a=extmap:10 {sdp.RID_URI}",
    f"a=extmap:11 {sdp.REPAIRED_RID_URI}",
    "a=sendonly",
    "a=rtpmap:96 VP8/90000",
    "a=rtpmap:97 rtx/90000",
    "a=fmtp:97 apt=96",
    "a=rid:q send",
    "a=rid:h send",
    "a=rid:f send",
    "a=simulcast:send q;h;f",
]
HEAD = ["v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0"]

# aiortc's answer to it: no rid lines, no simulcast, no rid extensions.
AIORTC_ANSWER_LINES = [
    *HEAD,
    "m=audio 9 UDP/TLS/RTP/SAVPF 111",
    "a=mid:0",
    "a=recvonly",
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97",
    "c=IN IP4 127.0.0.1",
    "a=recvonly",
    "a=mid:1",
    "a=rtpmap:96 VP8/90000",
    f"a=extmap:4 {MID}",
]


def offer(*video: str) -> list[sdp.MediaSection]:
    return sdp.parse("\r\n".join([*HEAD, *video]) + "\r\n")


def test_rid_lines_and_the_simulcast_send_list_are_read_in_layer_order() -> None:
    (video,) = offer(*CHROME_SIMULCAST_VIDEO)
    assert video.rids == {"q": "send", "h": "send", "f": "send"}
    assert video.simulcast_send == ["q", "h", "f"]
    assert video.extensions[sdp.RID_URI] == 10
    assert video.media_ssrc is None


@pytest.mark.parametrize(
    ("value", "rids"),
    [
        ("send q;h;f", ["q", "h", "f"]),
        ("send 1;~2", ["1", "2"]),  # ~: paused at first, still a layer
        ("send a,b;c", ["a", "c"]),  # alternatives: the first is taken
        ("recv x send lo;hi", ["lo", "hi"]),
        ("recv x", []),
    ],
)
def test_the_send_direction_of_a_simulcast_line_lists_one_rid_per_layer(
    value: str, rids: list[str]
) -> None:
    (video,) = offer("m=video 9 UDP/TLS/RTP/SAVPF 96", f"a=simulcast:{value}")
    assert video.simulcast_send == rids


def test_a_plain_offer_has_no_simulcast_and_no_problem() -> None:
    (video,) = offer("m=video 9 UDP/TLS/RTP/SAVPF 96", "a=mid:1", "a=rtpmap:96 VP8/90000")
    assert video.simulcast_send == []
    assert sdp.simulcast_problem(video) is None


def without(line: str) -> list[str]:
    return [existing for existing in CHROME_SIMULCAST_VIDEO if existing != line]


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        (CHROME_SIMULCAST_VIDEO, None),
        (without("a=rid:h send"), "without an a=rid:h send line"),
        (without(f"a=extmap:10 {sdp.RID_URI}"), "rtp-stream-id header extension"),
        ([*without("a=simulcast:send q;h;f"), "a=simulcast:send q;h;q"], "names a rid twice"),
        (
            [*CHROME_SIMULCAST_VIDEO[:-1], "a=rid:x send", "a=simulcast:send q;h;f;x"],
            "at most 3 simulcast layers",
        ),
        (
            [*CHROME_SIMULCAST_VIDEO[:-1], "a=rid:q$ send", "a=simulcast:send q$;h"],
            "not a valid RTP stream id",
        ),
        (
            [*CHROME_SIMULCAST_VIDEO[:-1], "a=simulcast:send " + "q" * 17],
            "not a valid RTP stream id",
        ),
    ],
)
def test_a_simulcast_offer_is_checked_before_it_is_accepted(
    lines: list[str], problem: str | None
) -> None:
    (video,) = offer(*lines)
    found = sdp.simulcast_problem(video)
    assert found == problem if problem is None else problem in str(found)


def test_simulcast_on_audio_is_refused() -> None:
    (audio,) = offer("m=audio 9 UDP/TLS/RTP/SAVPF 111", "a=simulcast:send a;b")
    assert sdp.simulcast_problem(audio) == "simulcast is only accepted on video"


@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_the_answer_gains_recv_rids_simulcast_and_the_rid_extensions_with_offered_ids(
    newline: str,
) -> None:
    offered = offer(*CHROME_SIMULCAST_VIDEO)
    answer = newline.join(AIORTC_ANSWER_LINES) + newline
    result = sdp.answer_simulcast(offered, answer)
    assert result.endswith(newline) and not result.endswith(newline * 2)
    lines = result.split(newline)[:-1]
    video = lines[lines.index("m=video 9 UDP/TLS/RTP/SAVPF 96 97") :]
    assert video[-6:] == [
        f"a=extmap:10 {sdp.RID_URI}",
        f"a=extmap:11 {sdp.REPAIRED_RID_URI}",
        "a=rid:q recv",
        "a=rid:h recv",
        "a=rid:f recv",
        "a=simulcast:recv q;h;f",
    ]
    # Nothing else changed, and the audio section got nothing.
    assert [line for line in lines if line not in video[-6:]] == AIORTC_ANSWER_LINES
    (_audio, answered) = sdp.parse(result)
    assert answered.extensions[sdp.RID_URI] == 10
    assert answered.rids == {"q": "recv", "h": "recv", "f": "recv"}


def test_an_answer_to_an_offer_without_simulcast_is_returned_unchanged() -> None:
    answer = "\r\n".join(AIORTC_ANSWER_LINES) + "\r\n"
    offered = offer("m=video 9 UDP/TLS/RTP/SAVPF 96", "a=mid:1")
    assert sdp.answer_simulcast(offered, answer) == answer


def test_an_extension_the_answer_already_has_is_not_added_twice() -> None:
    answer_lines = [*AIORTC_ANSWER_LINES, f"a=extmap:10 {sdp.RID_URI}"]
    result = sdp.answer_simulcast(offer(*CHROME_SIMULCAST_VIDEO), "\r\n".join(answer_lines))
    assert result.count(sdp.RID_URI) == 1
    assert result.count(sdp.REPAIRED_RID_URI) == 1
