"""Egress rules without processes: destinations a moderator may give, whose picture and voice
the programme takes, the ffmpeg command lines and the restart backoff."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rooms.meeting.egress import programme
from rooms.meeting.egress.commands import (
    Encoding,
    backoff,
    encoder_command,
    hls_command,
    layout_command,
    recorder_command,
    relay_command,
)
from rooms.meeting.egress.destinations import EgressError, parse_destinations
from rooms.meeting.egress.processes import keyframe_start
from rooms.meeting.egress.programme import GRID, PIP, QUAD, SINGLE, TRIO, Layout
from sfu.forwarding import AUDIO, VIDEO, Producer, ProducerId
from sfu.owner import CAMERA


def test_a_destination_is_a_url_and_a_key_and_shows_only_its_host() -> None:
    (youtube,) = parse_destinations(
        [{"url": " rtmp://a.rtmp.youtube.com/live2/ ", "key": "abcd-1234"}]
    )
    assert youtube.target == "rtmp://a.rtmp.youtube.com/live2/abcd-1234"
    assert youtube.host == "a.rtmp.youtube.com"
    (facebook,) = parse_destinations(
        [{"url": "rtmps://live-api-s.facebook.com:443/rtmp", "key": "FB-1-0?s_bl=1&a=Ab"}]
    )
    assert facebook.target == "rtmps://live-api-s.facebook.com:443/rtmp/FB-1-0?s_bl=1&a=Ab"
    assert parse_destinations(None) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("rtmp://x/live", "must be a list"),
        ([{"url": "http://x/live", "key": "k"}], "rtmp:// or rtmps://"),
        ([{"url": "rtmp:///live", "key": "k"}], "rtmp:// or rtmps://"),
        ([{"key": "k"}], "needs a 'url' string"),
        ([{"url": "rtmp://x/live", "key": 5}], "'key' must be a string"),
        ([{"url": "rtmp://x/live", "key": "a b"}], "no spaces"),
        ([{"url": "rtmp://x:99999/live", "key": "k"}], "cannot be read"),
        ([{"url": "rtmp://x/live#a", "key": "k"}], "no '#'"),
        ([{"url": "rtmp://x/" + "a" * 600, "key": "k"}], "1-500 characters"),
        ([{"url": "rtmp://x/live", "key": "k"}] * 2, "listed twice"),
        ([{"url": f"rtmp://x{i}/live", "key": "k"} for i in range(6)], "at most 5"),
    ],
)
def test_a_bad_destination_is_refused_with_a_clear_message(value: Any, message: str) -> None:
    with pytest.raises(EgressError, match=message) as caught:
        parse_destinations(value)
    assert caught.value.code == "bad_message"
    assert "k" not in caught.value.message.split()  # never the key itself


def _track(owner: str, kind: str) -> Producer:
    """A track of `owner`: a person's camera or microphone, or "person:screen"."""
    person, _colon, source = owner.partition(":")
    return Producer(
        ProducerId(f"{owner}/{kind}/1"), owner, kind, 1, 96, 90000, None, lambda: None,
        person=person, source=source or CAMERA,
    )  # fmt: skip


def test_one_camera_fills_the_frame() -> None:
    ani_mic, ani_cam = _track("ani", AUDIO), _track("ani", VIDEO)
    alone = programme.layout([ani_mic, ani_cam], [], Layout())
    assert alone == Layout(SINGLE, ani_cam, ani_cam) and alone.pictures == (ani_cam,) * 4
    assert programme.layout([ani_mic], [], alone) == Layout(SINGLE, None, None)  # camera off


def test_a_shared_screen_fills_the_frame_with_the_speaker_in_the_corner() -> None:
    ani_cam, budi_cam, screen = (
        _track("ani", VIDEO),
        _track("budi", VIDEO),
        _track("budi:screen", VIDEO),
    )
    pip = programme.layout([ani_cam, budi_cam, screen], ["ani"], Layout())
    assert pip == Layout(PIP, screen, ani_cam)
    assert programme.layout([ani_cam, budi_cam, screen], [], pip) == pip  # through a pause
    assert programme.layout([ani_cam, budi_cam, screen], ["budi"], pip) == Layout(
        PIP, screen, budi_cam
    )
    alone = programme.layout([screen], [], Layout())
    assert alone == Layout(SINGLE, screen, screen)  # no camera: the screen alone


def test_two_cameras_on_stage_share_the_frame_and_keep_their_sides() -> None:
    ani, budi = _track("ani", VIDEO), _track("budi", VIDEO)
    grid = programme.layout([ani, budi], ["budi"], Layout())
    assert grid == Layout(GRID, ani, budi)
    assert grid.pictures == (ani, budi, ani, ani)  # the unused inputs repeat the main one
    assert programme.layout([budi, ani], ["ani"], grid) is grid  # nobody changes sides
    budi.close()
    assert programme.layout([ani, budi], [], grid) == Layout(SINGLE, ani, ani)


def test_three_or_four_cameras_share_the_frame_in_quarters_and_keep_their_places() -> None:
    ani, budi, citra, dedi, eka = (
        _track(n, VIDEO) for n in ("ani", "budi", "citra", "dedi", "eka")
    )
    trio = programme.layout([ani, budi, citra], ["citra"], Layout(GRID, ani, budi))
    assert trio == Layout(TRIO, ani, budi, citra)  # two above, the third centred below
    assert trio.pictures == (ani, budi, citra, ani)
    assert programme.layout([citra, ani, budi], ["budi"], trio) is trio  # nobody moves
    quad = programme.layout([ani, budi, citra, dedi], ["dedi"], trio)
    assert quad == Layout(QUAD, ani, budi, citra, dedi)
    assert quad.pictures == (ani, budi, citra, dedi)
    assert programme.layout([ani, budi, citra, dedi], ["ani"], quad) is quad
    # Five or more: a grid would leave someone out, so the loudest alone, as with one.
    five = programme.layout([ani, budi, citra, dedi, eka], ["eka", "ani"], quad)
    assert five == Layout(SINGLE, eka, eka) and five.pictures == (eka,) * 4
    dedi.close()  # back to three: a trio again
    assert programme.layout([ani, budi, citra, dedi], [], quad) == trio


def test_with_more_than_four_cameras_the_picture_is_the_loudest_and_stays_through_a_pause() -> None:
    tracks = [_track(p, k) for p in ("ani", "budi", "citra", "dedi", "eka") for k in (AUDIO, VIDEO)]
    first = programme.layout(tracks, [], Layout())
    assert first == Layout(SINGLE, tracks[1], tracks[1])  # nobody speaks: the first camera
    budi = programme.layout(tracks, ["budi", "ani"], first)
    assert budi == Layout(SINGLE, tracks[3], tracks[3])
    assert programme.layout(tracks, [], budi) == budi  # a pause does not cut away


def test_a_speaker_who_left_is_replaced() -> None:
    ani, budi = _track("ani", VIDEO), _track("budi", VIDEO)
    ani.close()
    assert programme.layout([ani, budi], ["ani"], Layout(SINGLE, ani, ani)).main is budi


def test_the_voices_are_the_speakers_first_and_keep_their_slots() -> None:
    mics = {name: _track(name, AUDIO) for name in ("ani", "budi", "citra", "dedi")}
    screen_sound = _track("ani:screen", AUDIO)
    everyone = [*mics.values(), screen_sound]
    slots = programme.voices(everyone, ["citra"], [])
    assert slots == [mics["citra"], mics["ani"], mics["budi"]]  # speakers, then the first ones
    later = programme.voices(everyone, ["dedi", "citra"], slots)
    # Dedi takes the slot of Budi, who left the mix; Citra and Ani stay where they were.
    assert later == [mics["citra"], mics["ani"], mics["dedi"]]
    assert programme.voices([], [], later) == [None, None, None]


def test_one_transcode_and_copies_for_every_output() -> None:
    encoder = encoder_command("ffmpeg", Path("/tmp/p.sdp"), Encoding(height=720), voices=3)
    assert encoder.count("-c:v") == 1 and "libx264" in encoder and "veryfast" in encoder
    graph = encoder[encoder.index("-filter_complex") + 1]
    assert "scale=1280:720:force_original_aspect_ratio=decrease" in graph
    assert "[voice0][voice1][voice2]amix=inputs=3:dropout_transition=0:normalize=0[sound]" in graph
    assert "drawtext" not in graph  # no caption file given
    assert "[single][pip][grid][trio][quad]streamselect=inputs=5:map=0[picture]" in graph
    assert "xstack=inputs=4:layout=0_0|w0_0|0_h0|w0_h0,pad=1280:720[quad]" in graph
    assert all(f"[0:v:{n}]fps=25," in graph for n in range(4))  # four pictures in
    assert "-nostdin" not in encoder  # layout commands come on stdin
    names = tuple(Path(f"/tmp/c{n}.txt") for n in range(1, 5))
    captioned = encoder_command("ffmpeg", Path("/tmp/p.sdp"), Encoding(), 3, names)
    graph = captioned[captioned.index("-filter_complex") + 1]
    # The main and second pictures are named in each layout they appear in: full or half
    # (pip or grid) and quarter; the third and fourth only in quarters.
    assert graph.count("drawtext=textfile=/tmp/c1.txt:reload=1:expansion=none:") == 3
    assert graph.count("drawtext=textfile=/tmp/c2.txt:reload=1:expansion=none:") == 3
    assert graph.count("drawtext=textfile=/tmp/c3.txt:reload=1:expansion=none:") == 1
    assert graph.count("drawtext=textfile=/tmp/c4.txt:reload=1:expansion=none:") == 1
    assert graph.rindex("drawtext") < graph.index("[picture]")
    assert [programme.LAYOUTS.index(m) for m in (SINGLE, PIP, GRID, TRIO, QUAD)] == [0, 1, 2, 3, 4]
    assert layout_command(2) == b"cstreamselect -1 map 2\n"
    assert encoder[-1] == "pipe:1"
    relay = relay_command("ffmpeg", "rtmp://x/live/key")
    assert relay[relay.index("-c") + 1] == "copy" and relay[-3:] == [
        "-flvflags",
        "no_duration_filesize",
        "rtmp://x/live/key",
    ]  # noqa: E501
    assert recorder_command("ffmpeg", Path("/d/a.mp4"))[-1] == "/d/a.mp4"
    assert Encoding(height=360).width == 640


def test_the_first_hls_segments_are_short_and_key_frames_stay_two_seconds_apart() -> None:
    encoder = encoder_command("ffmpeg", Path("/tmp/p.sdp"), Encoding(height=360), voices=3)
    assert encoder[encoder.index("-g") + 1] == "50"  # 2 s at 25 fps, as YouTube asks (<= 4 s)
    assert encoder[encoder.index("-keyint_min") + 1] == "50"
    # Key frames at frames 0, 25, 50 and 75 (every second for 3 s): the first HLS segments
    # are 1 s, so the three a player needs come after 3 s of programme.
    assert encoder[encoder.index("-force_key_frames") + 1] == "expr:lte(n,75)*not(mod(n,25))"
    hls = hls_command("ffmpeg", Path("/live/event-1"))
    assert hls[hls.index("-hls_init_time") + 1] == "1"
    assert hls[hls.index("-hls_time") + 1] == "2"
    # The HLS relay reads 2 s of the programme before copying, not ffmpeg's default 5 s.
    assert hls[hls.index("-analyzeduration") + 1] == "2000000"
    assert hls.index("-analyzeduration") < hls.index("-i")  # an input option
    rtmp, mp4 = relay_command("ffmpeg", "rtmp://x/k"), recorder_command("ffmpeg", Path("a"))
    assert "-analyzeduration" not in rtmp + mp4  # their start matters less than safety


@pytest.mark.parametrize(("failures", "delay"), [(0, 1), (1, 1), (2, 2), (3, 4), (6, 30), (99, 30)])
def test_a_dropped_destination_backs_off_up_to_half_a_minute(failures: int, delay: float) -> None:
    assert backoff(failures) == delay


def ts_packet(pid: int, start: bool = False, random_access: bool = False) -> bytes:
    """One 188-byte TS packet; with `random_access`, an adaptation field flagging it."""
    header = bytes([0x47, (0x40 if start else 0) | pid >> 8, pid & 0xFF])
    if random_access:
        return header + bytes([0x30, 1, 0x40]) + bytes(182)
    return header + bytes([0x10]) + bytes(184)


def test_a_relay_joins_the_stream_at_the_pat_before_a_video_key_frame() -> None:
    audio, video, pat, pmt = 0x101, 0x100, 0, 0x1000
    chunk = b"".join(
        [
            ts_packet(video),
            ts_packet(audio, True, True),
            ts_packet(pat),
            ts_packet(pmt),
            ts_packet(video, True, True),
        ]
    )
    assert keyframe_start(chunk) == 2 * 188  # audio's random access does not count
    assert keyframe_start(ts_packet(video, True, True)) == 0  # no PAT in this chunk: the frame
    assert keyframe_start(ts_packet(video) + ts_packet(audio, True, True)) is None
