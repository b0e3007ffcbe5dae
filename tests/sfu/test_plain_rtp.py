"""Plain RTP out (sfu/plain_rtp.py): what ffmpeg reads on loopback is one continuous stream on
one SSRC, whichever producer it follows, starting at a key frame."""

from __future__ import annotations

import socket
import struct

import pytest

from sfu.forwarding import AUDIO, VIDEO, Producer, ProducerId
from sfu.plain_rtp import (
    OPUS_PT,
    OPUS_SILENCE,
    VP8_PT,
    PlainRtpSink,
    ffmpeg_sdp,
    free_port_pair,
)
from tests.sfu.test_forwarding import VP8_DELTA, VP8_KEY, Requests, fields, rtp
from tests.sfu.test_red import red_payload


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def received(sock: socket.socket, count: int) -> list[bytes]:
    return [sock.recv(2048) for _ in range(count)]


def nothing_more(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        sock.recv(2048)
    except BlockingIOError:
        return True
    finally:
        sock.settimeout(2.0)
    return False


def camera(owner: str, ssrc: int) -> tuple[Producer, Requests]:
    requests = Requests()
    made = Producer(ProducerId(f"{owner}/video/1"), owner, VIDEO, ssrc, 96, 90000, None, requests)
    return made, requests


def sink_to(reader: socket.socket, kind: str, clock: Clock) -> PlainRtpSink:
    return PlainRtpSink(kind, reader.getsockname()[1], clock)


def test_a_video_sink_asks_for_a_key_frame_and_starts_there(reader: socket.socket) -> None:
    clock = Clock()
    sink = sink_to(reader, VIDEO, clock)
    ani, requests = camera("ani", 0xA1)
    sink.follow(ani)
    assert requests.count == 1
    ani.receive(rtp(10, 9000, VP8_DELTA, ssrc=0xA1))  # useless before a key frame
    ani.receive(rtp(11, 12000, VP8_KEY, ssrc=0xA1, marker=True))
    ani.receive(rtp(12, 15000, VP8_DELTA, ssrc=0xA1, marker=True))
    first, second = (fields(p) for p in received(reader, 2))
    assert first[1] == second[1] == VP8_PT and first[4] == second[4] == sink.ssrc
    assert second[2] == (first[2] + 1) & 0xFFFF and second[3] == (first[3] + 3000) & 0xFFFFFFFF
    assert nothing_more(reader) and sink.packets_sent == 2
    sink.close()


def test_a_switch_is_make_before_break_and_numbers_on(reader: socket.socket) -> None:
    clock = Clock()
    sink = sink_to(reader, VIDEO, clock)
    ani, _ = camera("ani", 0xA1)
    budi, budi_requests = camera("budi", 0xB1)
    sink.follow(ani)
    ani.receive(rtp(10, 9000, VP8_KEY, ssrc=0xA1, marker=True))
    sink.follow(budi)
    assert budi_requests.count == 1 and sink.producer is budi
    ani.receive(rtp(11, 12000, VP8_DELTA, ssrc=0xA1, marker=True))  # Ani until Budi's key frame
    budi.receive(rtp(700, 50, VP8_DELTA, ssrc=0xB1))  # not a key frame: nothing of Budi yet
    clock.now += 0.5
    budi.receive(rtp(701, 3050, VP8_KEY, ssrc=0xB1, marker=True))
    ani.receive(rtp(12, 15000, VP8_DELTA, ssrc=0xA1, marker=True))  # Ani is cut off now
    packets = [fields(p) for p in received(reader, 3)]
    assert [p[2] for p in packets] == [(packets[0][2] + i) & 0xFFFF for i in range(3)]
    assert {p[4] for p in packets} == {sink.ssrc}
    # The RTP clock moved on by the half second that passed, not by Budi's own clock.
    assert (packets[2][3] - packets[1][3]) & 0xFFFFFFFF == 45000
    assert nothing_more(reader) and sink.switches == 1 and not ani.consumers
    sink.close()
    assert not budi.consumers


def test_an_audio_sink_sends_red_as_plain_opus(reader: socket.socket) -> None:
    sink = sink_to(reader, AUDIO, Clock())
    voice = Producer(ProducerId("ani/audio/1"), "ani", AUDIO, 0xA2, 63, 48000, None, Requests())
    voice.red = True
    sink.follow(voice)
    voice.receive(rtp(5, 960, red_payload(b"NEW", (960, b"old")), pt=63, ssrc=0xA2))
    (packet,) = received(reader, 1)
    assert fields(packet)[1] == OPUS_PT and packet[12:] == b"NEW"
    sink.close()


def test_a_sink_refuses_the_other_kind_and_stops_on_none(reader: socket.socket) -> None:
    sink = sink_to(reader, AUDIO, Clock())
    ani, _ = camera("ani", 0xA1)
    with pytest.raises(ValueError, match="audio sink cannot send a video"):
        sink.follow(ani)
    sink.close()
    sink.close()  # idempotent
    assert sink.closed


def test_the_sdp_names_every_picture_and_every_voice() -> None:
    text = ffmpeg_sdp([5000, 5006], [5002, 5004])
    assert "m=video 5000 RTP/AVP 96\r\na=rtpmap:96 VP8/90000" in text
    assert "m=video 5006 RTP/AVP 96\r\na=rtpmap:96 VP8/90000" in text
    assert text.index("m=video 5000") < text.index("m=video 5006") < text.index("m=audio")
    assert "m=audio 5002 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2" in text
    assert text.index("m=audio 5002") < text.index("m=audio 5004")
    assert "c=IN IP4 127.0.0.1" in text


def test_a_quiet_voice_is_filled_with_silence_and_numbers_on(reader: socket.socket) -> None:
    clock = Clock()
    sink = sink_to(reader, AUDIO, clock)
    sink.fill_silence()  # nobody to follow yet: silence at once, so the mixer never waits
    voice = Producer(ProducerId("ani/audio/1"), "ani", AUDIO, 0xA2, 111, 48000, None, Requests())
    sink.follow(voice)
    clock.now += 0.02
    voice.receive(rtp(5, 960, b"speech", pt=111, ssrc=0xA2))
    clock.now += 0.03
    sink.fill_silence()  # 30 ms since the last packet: not yet
    clock.now += 0.05
    sink.fill_silence()  # 80 ms: a frame of silence
    clock.now += 0.02
    voice.receive(rtp(9, 4800, b"again", pt=111, ssrc=0xA2))  # packets 6-8 never came
    packets = [(fields(p), p[12:]) for p in received(reader, 4)]
    assert [payload for _f, payload in packets] == [OPUS_SILENCE, b"speech", OPUS_SILENCE, b"again"]
    seqs = [f[2] for f, _payload in packets]
    assert seqs == [(seqs[0] + i) & 0xFFFF for i in range(4)]
    stamps = [f[3] for f, _payload in packets]
    assert [(b - a) & 0xFFFFFFFF for a, b in zip(stamps, stamps[1:], strict=False)] == [
        960, 3840, 960,
    ]  # fmt: skip
    assert sink.silence_sent == 2 and nothing_more(reader)
    sink.close()


def test_a_free_port_pair_is_even_with_its_rtcp_port_free() -> None:
    port = free_port_pair()
    assert port % 2 == 0
    for taken in (port, port + 1):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", taken))


def test_late_packets_keep_their_place_without_moving_the_numbering(
    reader: socket.socket,
) -> None:
    sink = sink_to(reader, AUDIO, Clock())
    voice = Producer(ProducerId("ani/audio/1"), "ani", AUDIO, 0xA2, 111, 48000, None, Requests())
    sink.follow(voice)
    for seq in (5, 6):
        voice.receive(rtp(seq, seq * 960, b"x", pt=111, ssrc=0xA2))
    a, b = (fields(p) for p in received(reader, 2))
    assert struct.pack("!H", b[2]) == struct.pack("!H", (a[2] + 1) & 0xFFFF)
    sink.close()
