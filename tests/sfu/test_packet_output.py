"""The SRTP send path: protect via libsrtp directly, and drop instead of queueing without end."""

from __future__ import annotations

from types import SimpleNamespace

import pylibsrtp

from sfu import packet_output
from sfu.consumer import Consumer
from tests.sfu.test_forwarding import VP8_DELTA, VP8_KEY, fields, producer, rtp

KEY = bytes(range(30))  # AES-128 key + 14-byte salt


def session(direction: int) -> pylibsrtp.Session:
    return pylibsrtp.Session(
        pylibsrtp.Policy(
            key=KEY,
            ssrc_type=direction,
            srtp_profile=pylibsrtp.Policy.SRTP_PROFILE_AES128_CM_SHA1_80,
        )
    )


class Transport:
    def __init__(self) -> None:
        self.sent: list[tuple[bytes, tuple[str, int]]] = []
        self.queued = 0

    def sendto(self, data: bytes, addr: tuple[str, int]) -> None:
        self.sent.append((data, addr))

    def get_write_buffer_size(self) -> int:
        return self.queued


def output(transport: Transport) -> packet_output.PacketOutput:
    pair = SimpleNamespace(
        protocol=SimpleNamespace(transport=transport), remote_addr=("127.0.0.1", 9)
    )
    ice = SimpleNamespace(_nominated={1: pair})
    dtls = SimpleNamespace(
        _tx_srtp=session(pylibsrtp.Policy.SSRC_ANY_OUTBOUND),
        transport=SimpleNamespace(_connection=ice),
    )
    return packet_output.PacketOutput(dtls)


def test_a_sent_packet_decrypts_to_what_was_given_even_from_a_reused_buffer() -> None:
    transport = Transport()
    out = output(transport)
    receiver = session(pylibsrtp.Policy.SSRC_ANY_INBOUND)
    buf = bytearray(rtp(1, 0, VP8_KEY))
    assert out.send(buf)
    buf[2:4] = (2).to_bytes(2, "big")  # the producer rewrites the same buffer for the next one
    assert out.send(buf)
    first, second = (receiver.unprotect(data) for data, _addr in transport.sent)
    assert first == rtp(1, 0, VP8_KEY) and fields(second)[2] == 2
    assert transport.sent[0][1] == ("127.0.0.1", 9)


def test_a_full_socket_queue_drops_and_counts_instead_of_queueing_more() -> None:
    transport = Transport()
    out = output(transport)
    transport.queued = packet_output.MAX_QUEUED_BYTES + 1
    assert not out.send(bytearray(rtp(1, 0, VP8_KEY)))
    assert transport.sent == [] and (out.dropped, out.congested) == (1, 1)
    transport.queued = 0
    assert out.send(bytearray(rtp(2, 0, VP8_KEY))) and len(transport.sent) == 1


def test_without_a_selected_pair_nothing_is_sent() -> None:
    transport = Transport()
    out = output(transport)
    out._ice._nominated.clear()
    assert not out.send(bytearray(rtp(1, 0, VP8_KEY))) and out.dropped == 1


def test_a_dropped_video_packet_makes_the_consumer_skip_to_the_next_key_frame() -> None:
    source, requests = producer()
    accepted: list[bytes] = []
    refuse = {102}

    def send(buf: bytearray) -> bool:
        if int.from_bytes(buf[2:4], "big") in refuse:
            refuse.clear()  # the link is full once
            return False
        accepted.append(bytes(buf))
        return True

    consumer = Consumer(source, 0xBBBB0001, 100, send)
    source.add_consumer(consumer)
    for seq in (100, 101, 102, 103, 104):  # 102 is dropped: 103 and 104 cannot decode
        source.receive(rtp(seq, seq * 3000, VP8_KEY if seq == 100 else VP8_DELTA))
    asked = requests.count
    assert [fields(p)[2] for p in accepted] == [100, 101]
    assert consumer.waiting_for_keyframe and asked >= 2
    source.receive(rtp(105, 105 * 3000, VP8_KEY))
    # Numbering goes on from the last packet that really left: no gap to NACK.
    assert [fields(p)[2] for p in accepted] == [100, 101, 102]
    assert fields(accepted[-1])[3] == 105 * 3000  # the clock shows the real time
