"""Opus in the answer to a publisher: in-band FEC and DTX asked for (RFC 7587 section 7), only
for audio that offered Opus, merged into an fmtp line the answer may already have."""

from __future__ import annotations

import pytest

from sfu import sdp

HEAD = ["v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0"]
OFFER = [
    *HEAD,
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63",
    "a=mid:0",
    "a=sendonly",
    "a=rtpmap:111 opus/48000/2",
    "a=fmtp:111 minptime=10;useinbandfec=1",
    "a=rtpmap:63 red/48000/2",
    "a=fmtp:63 111/111",
    "m=video 9 UDP/TLS/RTP/SAVPF 96",
    "a=mid:1",
    "a=sendonly",
    "a=rtpmap:96 VP8/90000",
]
ANSWER_WITHOUT_FMTP = [
    *HEAD,
    "m=audio 9 UDP/TLS/RTP/SAVPF 111",
    "a=mid:0",
    "a=recvonly",
    "a=rtpmap:111 opus/48000/2",
    "m=video 9 UDP/TLS/RTP/SAVPF 96",
    "a=mid:1",
    "a=recvonly",
    "a=rtpmap:96 VP8/90000",
    "",
]


def fmtp_lines(text: str) -> list[str]:
    return [line for line in text.split("\r\n") if line.startswith("a=fmtp:")]


def test_the_answer_asks_for_in_band_fec_and_dtx_in_the_audio_section() -> None:
    answer = sdp.answer_opus(sdp.parse("\r\n".join(OFFER)), "\r\n".join(ANSWER_WITHOUT_FMTP))
    assert fmtp_lines(answer) == ["a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1"]
    lines = answer.split("\r\n")
    assert lines.index("a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1") < lines.index(
        "m=video 9 UDP/TLS/RTP/SAVPF 96"
    )
    assert answer.endswith("\r\n")


def test_an_fmtp_line_the_answer_has_keeps_its_values_and_gains_the_missing_ones() -> None:
    answer = list(ANSWER_WITHOUT_FMTP)
    answer.insert(answer.index("a=rtpmap:111 opus/48000/2") + 1, "a=fmtp:111 usedtx=0;stereo=1")
    merged = sdp.answer_opus(sdp.parse("\r\n".join(OFFER)), "\r\n".join(answer))
    assert fmtp_lines(merged) == ["a=fmtp:111 usedtx=0;stereo=1;minptime=10;useinbandfec=1"]


@pytest.mark.parametrize(
    "offer",
    [
        [*HEAD, "m=audio 9 UDP/TLS/RTP/SAVPF 0", "a=mid:0", "a=rtpmap:0 PCMU/8000"],
        [*HEAD, "m=video 9 UDP/TLS/RTP/SAVPF 96", "a=mid:1", "a=rtpmap:96 VP8/90000"],
    ],
)
def test_without_offered_opus_the_answer_is_unchanged(offer: list[str]) -> None:
    answer = "\r\n".join(ANSWER_WITHOUT_FMTP)
    assert sdp.answer_opus(sdp.parse("\r\n".join(offer)), answer) == answer


def test_a_bitrate_cap_goes_into_the_same_fmtp_line() -> None:
    answer = sdp.answer_opus(
        sdp.parse("\r\n".join(OFFER)), "\r\n".join(ANSWER_WITHOUT_FMTP), 24_000
    )
    assert fmtp_lines(answer) == [
        "a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1;maxaveragebitrate=24000"
    ]
