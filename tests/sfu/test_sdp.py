"""The SFU's SDP reader (RFC 8866) and the candidate rewriting applied to its answers."""

from __future__ import annotations

import pytest

from sfu import sdp

MID = "urn:ietf:params:rtp-hdrext:sdes:mid"
AUDIO_LEVEL = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
ABS_SEND_TIME = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
TWCC = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

# A publish offer shaped like Chrome's: one audio and one video section, BUNDLE, mDNS candidates.
CHROME_OFFER_LINES = [
    "v=0",
    "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
    "s=-",
    "t=0 0",
    "a=group:BUNDLE 0 1",
    "a=extmap-allow-mixed",
    "a=msid-semantic: WMS 3b5c0e4a",
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9",
    "c=IN IP4 0.0.0.0",
    "a=rtcp:9 IN IP4 0.0.0.0",
    "a=candidate:1467250027 1 udp 2122260223 4f8c1a2e-77d1-4b47-9a8d-1c2f3e4d5a6b.local "
    "54400 typ host generation 0 network-id 1",
    "a=candidate:842163049 1 udp 1686052607 203.0.113.7 54400 typ srflx raddr 0.0.0.0 "
    "rport 0 generation 0 network-id 1",
    "a=ice-ufrag:Kq3x",
    "a=ice-pwd:vR2lq7v9Z0yN3bPq8e1kT6aB",
    "a=ice-options:trickle",
    "a=fingerprint:sha-256 8C:71:B3:8D:A5:38:FD:8F:A4:2E:A2:65:6C:86:52:BC:E0:6E:94:F2",
    "a=setup:actpass",
    "a=mid:0",
    f"a=extmap:1 {AUDIO_LEVEL}",
    f"a=extmap:2 {ABS_SEND_TIME}",
    f"a=extmap:3 {TWCC}",
    f"a=extmap:4 {MID}",
    "a=sendonly",
    "a=msid:3b5c0e4a 9f2d7c61",
    "a=rtcp-mux",
    "a=rtpmap:111 opus/48000/2",
    "a=rtcp-fb:111 transport-cc",
    "a=fmtp:111 minptime=10;useinbandfec=1",
    "a=rtpmap:63 red/48000/2",
    "a=fmtp:63 111/111",
    "a=rtpmap:9 G722/8000",
    "a=ssrc:3735928559 cname:Yk7xV2aQ",
    "a=ssrc:3735928559 msid:3b5c0e4a 9f2d7c61",
    "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98 99",
    "c=IN IP4 0.0.0.0",
    "a=mid:1",
    f"a=extmap:14 {TWCC}",
    f"a=extmap:2/sendonly {ABS_SEND_TIME}",
    f"a=extmap:4 {MID}",
    "a=sendonly",
    "a=rtcp-mux",
    "a=rtcp-rsize",
    "a=rtpmap:96 VP8/90000",
    "a=rtcp-fb:96 goog-remb",
    "a=rtcp-fb:96 nack pli",
    "a=rtpmap:97 rtx/90000",
    "a=fmtp:97 apt=96",
    "a=rtpmap:98 VP9/90000",
    "a=fmtp:98 profile-id=0",
    "a=rtpmap:99 rtx/90000",
    "a=fmtp:99 apt=98",
    "a=ssrc-group:FID 1111111111 2222222222",
    "a=ssrc:1111111111 cname:Yk7xV2aQ",
    "a=ssrc:1111111111 msid:3b5c0e4a 5e6f7a8b",
    "a=ssrc:2222222222 cname:Yk7xV2aQ",
    "a=ssrc:2222222222 msid:3b5c0e4a 5e6f7a8b",
    "",
]
CHROME_OFFER = "\r\n".join(CHROME_OFFER_LINES)


def test_a_chrome_offer_gives_one_section_per_m_line() -> None:
    audio, video = sdp.parse(CHROME_OFFER)
    assert (audio.kind, audio.port, audio.mid, audio.direction) == ("audio", 9, "0", "sendonly")
    assert (video.kind, video.port, video.mid, video.direction) == ("video", 9, "1", "sendonly")


def test_codecs_keep_preference_order_lower_case_names_and_clock_rates() -> None:
    audio, video = sdp.parse(CHROME_OFFER)
    assert [(c.payload_type, c.name, c.clock_rate) for c in audio.codecs] == [
        (111, "opus", 48000),
        (63, "red", 48000),
        (9, "g722", 8000),
    ]
    assert [c.name for c in video.codecs] == ["vp8", "rtx", "vp9", "rtx"]


def test_rtx_codecs_learn_the_payload_type_they_repair_from_fmtp_apt() -> None:
    audio, video = sdp.parse(CHROME_OFFER)
    assert {c.payload_type: c.apt for c in video.codecs} == {96: None, 97: 96, 98: None, 99: 98}
    assert all(c.apt is None for c in audio.codecs)  # "111/111" is not an apt parameter


def test_codec_lookup_by_name() -> None:
    _audio, video = sdp.parse(CHROME_OFFER)
    vp8 = video.codec("vp8")
    assert vp8 is not None and vp8.payload_type == 96
    assert video.codec("h264") is None


def test_extensions_map_uri_to_id_per_section_ignoring_direction_suffixes() -> None:
    audio, video = sdp.parse(CHROME_OFFER)
    assert audio.extensions == {AUDIO_LEVEL: 1, ABS_SEND_TIME: 2, TWCC: 3, MID: 4}
    assert video.extensions == {TWCC: 14, ABS_SEND_TIME: 2, MID: 4}


def test_ssrcs_are_listed_once_in_order_and_fid_groups_name_media_and_rtx() -> None:
    audio, video = sdp.parse(CHROME_OFFER)
    assert audio.ssrcs == [3735928559]
    assert audio.fid_groups == [] and audio.media_ssrc == 3735928559 and audio.rtx_ssrcs == set()
    assert video.ssrcs == [1111111111, 2222222222]
    assert video.fid_groups == [(1111111111, 2222222222)]
    assert video.media_ssrc == 1111111111
    assert video.rtx_ssrcs == {2222222222}


def test_media_ssrc_prefers_the_fid_group_over_listing_order() -> None:
    text = (
        "v=0\nm=video 9 RTP/SAVPF 96\n"
        "a=ssrc:20 cname:x\na=ssrc:10 cname:x\na=ssrc-group:FID 10 20\n"
    )
    (video,) = sdp.parse(text)
    assert video.ssrcs == [20, 10]
    assert video.media_ssrc == 10


def test_a_section_without_ssrcs_has_no_media_ssrc() -> None:
    (section,) = sdp.parse("v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\n")
    assert section.media_ssrc is None and section.direction == "recvonly"


def test_defaults_and_session_level_attributes_do_not_leak_into_sections() -> None:
    text = "v=0\na=sendonly\na=mid:session\na=extmap:5 urn:x\nm=audio 9/2 RTP/AVP 0\n"
    (section,) = sdp.parse(text)
    assert section.port == 9
    assert (section.mid, section.direction, section.extensions) == (None, "sendrecv", {})


def test_apt_is_scoped_to_its_own_section() -> None:
    text = (
        "v=0\nm=video 9 RTP/SAVPF 96 97\na=rtpmap:97 rtx/90000\na=fmtp:97 apt=96\n"
        "m=video 9 RTP/SAVPF 97\na=rtpmap:97 rtx/90000\n"
    )
    first, second = sdp.parse(text)
    assert first.codecs[0].apt == 96
    assert second.codecs[0].apt is None


@pytest.mark.parametrize("direction", sdp.DIRECTIONS)
def test_every_direction_attribute_is_recorded(direction: str) -> None:
    (section,) = sdp.parse(f"v=0\r\nm=audio 9 RTP/AVP 0\r\na={direction}\r\n")
    assert section.direction == direction


def test_an_sdp_without_media_has_no_sections() -> None:
    assert sdp.parse("  v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n") == []


@pytest.mark.parametrize("text", ["", "o=- 1 1 IN IP4 0.0.0.0\r\nv=0", "hello", None, b"v=0"])
def test_text_that_is_not_a_session_description_is_rejected(text: object) -> None:
    with pytest.raises(ValueError, match="v=0"):
        sdp.parse(text)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("m=audio 9", "malformed m= line"),
        ("m=audio nine RTP/AVP 0", "malformed port"),
        ("a=rtpmap:x opus/48000", "malformed a="),
        ("a=rtpmap:111 opus", "malformed a="),
        ("a=fmtp:97 apt=ninety-six", "malformed a="),
        ("a=extmap:one urn:x", "malformed a="),
        ("a=extmap:1", "malformed a="),
        ("a=ssrc:notanumber cname:x", "malformed a="),
        ("a=ssrc-group:", "malformed a="),
        ("a=ssrc-group:FID 1 two", "malformed a="),
    ],
)
def test_malformed_lines_raise_value_error_naming_the_line(line: str, message: str) -> None:
    text = f"v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n{line}\r\n"
    with pytest.raises(ValueError, match=message):
        sdp.parse(text)


def test_ssrc_groups_other_than_a_two_member_fid_are_ignored() -> None:
    text = "v=0\nm=video 9 RTP/SAVPF 96\na=ssrc-group:SIM 1 2 3\na=ssrc-group:FID 4 5 6\n"
    (section,) = sdp.parse(text)
    assert section.fid_groups == []


ANSWER = "\r\n".join(
    [
        "v=0",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111",
        "c=IN IP4 10.0.0.5",
        "a=candidate:1 1 udp 2130706431 10.0.0.5 40000 typ host",
        "a=candidate:2 1 udp 2130706431 192.168.7.2 40001 typ host",
        "a=candidate:3 1 udp 1694498815 198.51.100.9 40002 typ srflx raddr 10.0.0.5 rport 40000",
        "a=candidate:4 1 udp 16777215 198.51.100.20 40003 typ relay raddr 10.0.0.5 rport 40000",
        "a=end-of-candidates",
        "",
    ]
)


def lines_starting(text: str, prefix: str) -> list[str]:
    return [line for line in text.split("\r\n") if line.startswith(prefix)]


def test_announce_replaces_a_named_address_in_candidates_and_c_lines() -> None:
    out = sdp.announce_addresses(ANSWER, {"10.0.0.5": "203.0.113.1"})
    assert lines_starting(out, "c=") == ["c=IN IP4 203.0.113.1"]
    assert [line.split(" ")[4] for line in lines_starting(out, "a=candidate:")] == [
        "203.0.113.1",
        "192.168.7.2",
        "198.51.100.9",
        "198.51.100.20",
    ]
    # Only the connection address moves: the srflx raddr still names the local base.
    assert "raddr 10.0.0.5 rport 40000" in out


def test_announce_star_covers_host_candidates_but_not_reflexive_or_relay_ones() -> None:
    out = sdp.announce_addresses(ANSWER, {"*": "203.0.113.1", "192.168.7.2": "203.0.113.2"})
    assert [line.split(" ")[4] for line in lines_starting(out, "a=candidate:")] == [
        "203.0.113.1",
        "203.0.113.2",
        "198.51.100.9",
        "198.51.100.20",
    ]
    assert lines_starting(out, "c=") == ["c=IN IP4 203.0.113.1"]


def test_announce_keeps_every_other_line_and_the_line_endings() -> None:
    out = sdp.announce_addresses(ANSWER, {"*": "203.0.113.1"})
    assert out.endswith("a=end-of-candidates\r\n")
    assert len(out.split("\r\n")) == len(ANSWER.split("\r\n"))
    changed = [
        (a, b) for a, b in zip(ANSWER.split("\r\n"), out.split("\r\n"), strict=True) if a != b
    ]
    assert len(changed) == 3  # the c= line and the two host candidates


def test_announce_without_replacements_returns_the_text_unchanged() -> None:
    assert sdp.announce_addresses(ANSWER, {}) is ANSWER


def test_short_candidate_lines_are_left_alone() -> None:
    text = "a=candidate:1 1 udp 5 10.0.0.5 4000\r\nc=IN IP4"
    assert sdp.announce_addresses(text, {"*": "203.0.113.1"}) == text


@pytest.mark.parametrize("newline", ["\r\n", "\n"])
def test_drop_mdns_candidates_removes_only_local_names(newline: str) -> None:
    text = newline.join(CHROME_OFFER_LINES)
    out = sdp.drop_mdns_candidates(text)
    lines = out.split(newline)
    assert len(lines) == len(CHROME_OFFER_LINES) - 1
    assert not any(".local" in line for line in lines)
    assert any(line.startswith("a=candidate:842163049") for line in lines)
    assert out.endswith(newline) and "\r\n" not in out.replace(newline, "")


def test_drop_mdns_candidates_keeps_non_candidate_lines_mentioning_local() -> None:
    text = "v=0\r\na=x-note:printer.local\r\na=candidate:1 1 udp 5 host.local 9 typ host\r\n"
    assert sdp.drop_mdns_candidates(text) == "v=0\r\na=x-note:printer.local\r\n"


def test_the_sections_survive_dropping_mdns_candidates() -> None:
    assert sdp.parse(sdp.drop_mdns_candidates(CHROME_OFFER)) == sdp.parse(CHROME_OFFER)


def test_announce_also_rewrites_sdp_with_bare_newlines() -> None:
    text = ANSWER.replace("\r\n", "\n")
    out = sdp.announce_addresses(text, {"10.0.0.5": "203.0.113.1"})
    assert "c=IN IP4 203.0.113.1\n" in out and "203.0.113.1 40000 typ host" in out
    assert "\r\n" not in out


def test_a_section_left_without_candidates_loses_its_end_of_candidates() -> None:
    text = "\r\n".join(
        [
            "v=0",
            "m=audio 9 UDP/TLS/RTP/SAVPF 111",
            "a=candidate:1 1 udp 2122260223 0a1b2c3d-1111.local 50000 typ host",
            "a=end-of-candidates",
            "m=video 9 UDP/TLS/RTP/SAVPF 96",
            "a=candidate:1 1 udp 2122260223 0a1b2c3d-1111.local 50000 typ host",
            "a=candidate:2 1 udp 1686052607 198.51.100.4 50001 typ srflx raddr 0.0.0.0 rport 0",
            "a=end-of-candidates",
            "",
        ]
    )
    out = sdp.drop_mdns_candidates(text).split("\r\n")
    audio, video = (
        out[1 : out.index("m=video 9 UDP/TLS/RTP/SAVPF 96")],
        out[out.index("m=video 9 UDP/TLS/RTP/SAVPF 96") :],
    )
    assert audio == ["m=audio 9 UDP/TLS/RTP/SAVPF 111"]  # ICE must wait for peer-reflexive
    assert [line for line in video if line.startswith("a=")] == [
        "a=candidate:2 1 udp 1686052607 198.51.100.4 50001 typ srflx raddr 0.0.0.0 rport 0",
        "a=end-of-candidates",
    ]
