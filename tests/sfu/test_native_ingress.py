"""The native ingress (sfu/_ingress.c): a publisher's datagrams sorted, unprotected with the SRTP
session aiortc keyed, and their transport-wide arrivals noted, as the Python path does."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pylibsrtp
import pytest

from sfu import native, packet_output, rtp
from tests.sfu.test_native import session
from tests.sfu.test_rtp import extension, one_byte_element, packet, two_byte_element

pytestmark = pytest.mark.skipif(
    native.rtpsend is None, reason="needs sfu/_rtpsend.c (tests/sfu/test_native.py insists)"
)

TRANSPORT_CC_ID = 5
ONE_BYTE = 0xBEDE


class Publisher:
    """The publisher's end: protects RTP with the keys the ingress unprotects with."""

    def __init__(self) -> None:
        self.session = session(pylibsrtp.Policy.SSRC_ANY_OUTBOUND)

    def send(self, plain: bytes) -> bytes:
        return self.session.protect(plain)


class Ingress:
    """An ingress on a stand-in DTLS transport, recording what it hands on and counting its
    calls for the arrivals (`calls`), which go on to `on_arrivals` when one is given."""

    def __init__(self, on_arrivals: Callable[[], None] | None = None) -> None:
        self.dtls = SimpleNamespace(_rx_srtp=session(pylibsrtp.Policy.SSRC_ANY_INBOUND))
        self.handled: list[bytes] = []
        self.passed: list[tuple[bytes, int]] = []
        self.resolved = 0
        self.calls = 0
        self._then = on_arrivals
        assert native.rtpsend is not None
        self.native = native.rtpsend.Ingress(
            self.dtls, self.handled.append, self._pass, self._resolve, self._on_arrivals
        )

    def _pass(self, data: bytes, component: int) -> None:
        self.passed.append((data, component))

    def _resolve(self, srtp: pylibsrtp.Session) -> int:
        self.resolved += 1
        return packet_output.srtp_session_address(srtp)

    def _on_arrivals(self) -> None:
        self.calls += 1
        if self._then is not None:
            self._then()


@pytest.fixture
def ingress() -> Ingress:
    return Ingress()


def numbered(sequence: int, rtp_seq: int = 1, ssrc: int = 0x11223344) -> bytes:
    """A packet carrying a transport-wide sequence number as browsers send it."""
    ext = extension(ONE_BYTE, one_byte_element(TRANSPORT_CC_ID, sequence.to_bytes(2, "big")))
    return packet(seq=rtp_seq, ssrc=ssrc, ext=ext)


def test_rtp_is_unprotected_and_handed_on_as_sent(ingress: Ingress) -> None:
    publisher = Publisher()
    sent = [packet(seq=s, payload=bytes([s]) * (s * 50)) for s in range(1, 20)]
    for plain in sent:
        ingress.native(publisher.send(plain), 1)
    assert ingress.handled == sent
    assert ingress.passed == [] and ingress.native.rejected == 0
    assert ingress.resolved == 1  # once per session, not per packet


@pytest.mark.parametrize(
    "datagram",
    [
        bytes([200, 201]) + bytes(30),  # RTCP receiver report (RFC 5761: 192..223)
        bytes([128, 223]) + bytes(30),  # the last RTCP packet type
        bytes([22, 254, 253]) + bytes(30),  # DTLS (RFC 7983: 20..63)
        bytes([0, 1, 0, 0]) + bytes(16),  # STUN
        bytes([128, 96]) + bytes(9),  # too short for an RTP header
        b"",
    ],
)
def test_everything_but_rtp_goes_the_other_way_untouched(ingress: Ingress, datagram: bytes) -> None:
    ingress.native(datagram, 1)
    assert ingress.passed == [(datagram, 1)] and ingress.handled == []


def test_rtp_before_the_keys_goes_the_other_way(ingress: Ingress) -> None:
    ingress.dtls._rx_srtp = None
    datagram = Publisher().send(packet())
    ingress.native(datagram, 1)
    assert ingress.passed == [(datagram, 1)] and ingress.handled == []


def test_a_new_session_is_followed(ingress: Ingress) -> None:
    publisher = Publisher()
    ingress.native(publisher.send(packet(seq=1)), 1)
    ingress.dtls._rx_srtp = session(pylibsrtp.Policy.SSRC_ANY_INBOUND)
    ingress.native(Publisher().send(packet(seq=2)), 1)
    assert [rtp.FIXED_HEADER.unpack_from(p)[2] for p in ingress.handled] == [1, 2]
    assert ingress.resolved == 2


def test_forged_and_replayed_packets_are_dropped_and_counted(ingress: Ingress) -> None:
    publisher = Publisher()
    protected = publisher.send(packet(seq=7))
    forged = protected[:-1] + bytes([protected[-1] ^ 1])  # the tag no longer matches
    ingress.native(forged, 1)
    ingress.native(protected, 1)
    ingress.native(protected, 1)  # RFC 3711 3.3.2: a replay
    assert ingress.handled == [packet(seq=7)]
    assert ingress.native.rejected == 2 and ingress.passed == []


def test_a_datagram_larger_than_any_packet_is_dropped(ingress: Ingress) -> None:
    ingress.native(bytes([128, 96]) + bytes(1500), 1)
    assert ingress.handled == [] and ingress.passed == []


@pytest.mark.parametrize(
    ("ext", "expected"),
    [
        (extension(ONE_BYTE, one_byte_element(TRANSPORT_CC_ID, b"\x12\x34")), 0x1234),
        # Other elements and padding before it (RFC 8285 4.2).
        (
            extension(
                ONE_BYTE,
                one_byte_element(1, b"\x7f")
                + b"\x00\x00"
                + one_byte_element(3, b"abc")
                + one_byte_element(TRANSPORT_CC_ID, b"\xff\xfe"),
            ),
            0xFFFE,
        ),
        (extension(ONE_BYTE, one_byte_element(4, b"\x12\x34")), None),  # another id
        (extension(ONE_BYTE, one_byte_element(TRANSPORT_CC_ID, b"\x12\x34\x56")), None),
        # Id 15 stops the walk (RFC 8285 4.2).
        (
            extension(
                ONE_BYTE, b"\xf0" + bytes(1) + one_byte_element(TRANSPORT_CC_ID, b"\x00\x01")
            ),
            None,
        ),
        # The two-byte form (RFC 8285 4.3) is not read, as in sfu/rtp.py.
        (extension(0x1000, two_byte_element(TRANSPORT_CC_ID, b"\x12\x34")), None),
        (None, None),
    ],
)
def test_transport_wide_numbers_are_read_as_the_python_path_reads_them(
    ingress: Ingress, ext: bytes | None, expected: int | None
) -> None:
    plain = packet(ext=ext)
    assert rtp.transport_sequence(plain, TRANSPORT_CC_ID) == expected
    ingress.native.transport_cc_id = TRANSPORT_CC_ID
    ingress.native.call_at = float("inf")
    before = int(time.monotonic() * 1_000_000)
    ingress.native(Publisher().send(plain), 1)
    after = int(time.monotonic() * 1_000_000)
    arrivals = ingress.native.take_arrivals()
    if expected is None:
        assert arrivals == []
    else:
        [(sequence, arrival_us)] = arrivals
        assert sequence == expected and before <= arrival_us <= after
    assert ingress.handled == [plain]  # noted or not, the packet goes on


def test_a_tests_clock_sets_the_arrival_time_and_when_python_is_called(
    ingress: Ingress,
) -> None:
    ingress.native.transport_cc_id = TRANSPORT_CC_ID
    ingress.native.now = 2000.25
    ingress.native.call_at = 2000.5
    publisher = Publisher()
    ingress.native(publisher.send(numbered(1, 1)), 1)
    assert ingress.calls == 0  # before call_at on the test's clock, whatever the real time
    ingress.native.now = 2000.5
    ingress.native(publisher.send(numbered(2, 2)), 1)
    assert ingress.calls == 1
    assert ingress.native.take_arrivals() == [(1, 2_000_250_000), (2, 2_000_500_000)]


def test_an_element_running_past_the_extension_block_is_not_read(ingress: Ingress) -> None:
    # Padding, then id 5 announcing two bytes where the block ends: the payload follows.
    ext = extension(ONE_BYTE, b"\x00\x00\x00" + bytes([(TRANSPORT_CC_ID << 4) | 1]))
    plain = packet(ext=ext, payload=b"\x12\x34rest")
    assert rtp.transport_sequence(plain, TRANSPORT_CC_ID) is None
    ingress.native.transport_cc_id = TRANSPORT_CC_ID
    ingress.native(Publisher().send(plain), 1)
    assert ingress.native.held == 0 and ingress.handled == [plain]


def test_nothing_is_noted_without_an_extension_id(ingress: Ingress) -> None:
    ingress.native(Publisher().send(numbered(1)), 1)
    assert ingress.native.held == 0 and ingress.calls == 0


def test_python_is_called_from_call_at_on_and_takes_the_arrivals_in_order(
    ingress: Ingress,
) -> None:
    publisher = Publisher()
    ingress.native.transport_cc_id = TRANSPORT_CC_ID
    ingress.native.call_at = time.monotonic() + 3600
    for sequence in range(10):
        ingress.native(publisher.send(numbered(sequence, rtp_seq=sequence + 1)), 1)
    assert ingress.calls == 0 and ingress.native.held == 10
    ingress.native.call_at = 0.0
    ingress.native(publisher.send(numbered(10, rtp_seq=11, ssrc=0xABCD)), 1)
    assert ingress.calls == 1
    arrivals = ingress.native.take_arrivals()
    assert [sequence for sequence, _ in arrivals] == list(range(11))
    times = [arrival for _, arrival in arrivals]
    assert times == sorted(times)
    assert ingress.native.media_ssrc == 0xABCD and ingress.native.held == 0


def test_full_notes_call_python_even_before_call_at() -> None:
    """1,500 arrivals against room for 1,024: Python takes them when the notes fill."""
    publisher = Publisher()
    taken: list[tuple[int, int]] = []
    ingress = Ingress(lambda: taken.extend(ingress.native.take_arrivals()))
    ingress.native.transport_cc_id = TRANSPORT_CC_ID
    ingress.native.call_at = float("inf")
    for sequence in range(1500):
        ingress.native(publisher.send(numbered(sequence & 0xFFFF, rtp_seq=sequence + 1)), 1)
    taken.extend(ingress.native.take_arrivals())
    assert [sequence for sequence, _ in taken] == list(range(1500))


@pytest.fixture
def unraisable(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    seen: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    yield seen


def test_a_failing_handler_is_reported_and_the_next_packet_still_arrives(
    unraisable: list[Any],
) -> None:
    dtls = SimpleNamespace(_rx_srtp=session(pylibsrtp.Policy.SSRC_ANY_INBOUND))
    handled: list[bytes] = []

    def handler(data: bytes) -> None:
        handled.append(data)
        if len(handled) == 1:
            raise RuntimeError("a bug in the SFU")

    assert native.rtpsend is not None
    ingress = native.rtpsend.Ingress(
        dtls, handler, print, packet_output.srtp_session_address, print
    )
    publisher = Publisher()
    ingress(publisher.send(packet(seq=1)), 1)
    ingress(publisher.send(packet(seq=2)), 1)
    assert len(handled) == 2
    [report] = unraisable
    assert isinstance(report.exc_value, RuntimeError)


def test_arguments_it_cannot_use_are_refused(ingress: Ingress) -> None:
    assert native.rtpsend is not None
    with pytest.raises(TypeError):
        native.rtpsend.Ingress(ingress.dtls, None, print, print, print)
    with pytest.raises(TypeError):
        ingress.native(b"\x80")
    with pytest.raises(RuntimeError):
        ingress.native.__init__(ingress.dtls, print, print, print, print)
    ingress.dtls._rx_srtp = object()  # resolve() fails on what is not a Session
    with pytest.raises(AttributeError):
        ingress.native(Publisher().send(packet()), 1)


def test_a_registered_stream_gets_its_packets_with_their_arrival(ingress: Ingress) -> None:
    """Once Python registers an SSRC, its packets skip the handler (sfu/publisher.py)."""
    publisher = Publisher()
    received: list[tuple[bytes, float]] = []
    ingress.native.receivers[0xAAAA] = lambda data, arrival: received.append((data, arrival))
    before = time.monotonic()
    ingress.native(publisher.send(packet(seq=1, ssrc=0xAAAA)), 1)
    ingress.native(publisher.send(packet(seq=2, ssrc=0xBBBB)), 1)
    after = time.monotonic()
    [(data, arrival)] = received
    assert data == packet(seq=1, ssrc=0xAAAA) and before <= arrival <= after
    assert ingress.handled == [packet(seq=2, ssrc=0xBBBB)]


def test_a_failing_receiver_is_reported_and_its_next_packet_still_arrives(
    ingress: Ingress, unraisable: list[Any]
) -> None:
    calls: list[bytes] = []

    def receive(data: bytes, arrival: float) -> None:
        calls.append(data)
        if len(calls) == 1:
            raise ValueError("a bug in the SFU")

    ingress.native.receivers[0x11223344] = receive
    publisher = Publisher()
    ingress.native(publisher.send(packet(seq=1)), 1)
    ingress.native(publisher.send(packet(seq=2)), 1)
    assert len(calls) == 2 and ingress.handled == []
    [report] = unraisable
    assert isinstance(report.exc_value, ValueError)


def test_an_ingress_that_was_never_made_refuses_to_run() -> None:
    assert native.rtpsend is not None
    unmade = native.rtpsend.Ingress.__new__(native.rtpsend.Ingress)
    with pytest.raises(RuntimeError):
        unmade(Publisher().send(packet()), 1)
