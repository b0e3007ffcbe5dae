"""When transport-wide feedback goes out (sfu/arrival_reports.py): with the first arrival once
due, by a timer when packets stop, and the same from the Python path and the native ingress.
Time moves only when a test moves it (tests/manual_clock.py), the native ingress's clock too;
one test keeps the event loop's real clock and timer, as the server runs them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sfu import native
from sfu.arrival_reports import ArrivalReporter
from sfu.transport_feedback import FEEDBACK_INTERVAL, ArrivalLog
from tests.conftest import eventually
from tests.manual_clock import ManualClock
from tests.sfu.test_native_ingress import TRANSPORT_CC_ID, Ingress, Publisher, numbered
from tests.sfu.test_transport_feedback import decode

MEDIA_SSRC = 0x5EED


class Reported:
    """The sequence numbers of each feedback sent, as the publisher would read them."""

    def __init__(self) -> None:
        self.feedbacks: list[list[int]] = []
        self.media_ssrcs: list[int] = []

    def send(self, log: ArrivalLog, media_ssrc: int) -> None:
        sequences = [s for p in log.feedback(1, media_ssrc) for s in decode(p).arrivals]
        self.feedbacks.append(sequences)
        self.media_ssrcs.append(media_ssrc)


Arrive = Callable[[int], None]
Path = Callable[[ArrivalReporter, ManualClock | None], Arrive]


def python_path(reporter: ArrivalReporter, clock: ManualClock | None) -> Arrive:
    def arrive(sequence: int) -> None:
        reporter.note(numbered(sequence, ssrc=MEDIA_SSRC), MEDIA_SSRC)

    return arrive


def native_ingress(reporter: ArrivalReporter, clock: ManualClock | None) -> Ingress:
    """A native ingress noting arrivals for `reporter`, on `clock` when one is given."""
    if native.rtpsend is None:
        pytest.skip("needs sfu/_rtpsend.c")
    ingress = Ingress(reporter.on_noted)
    reporter.use_ingress(ingress.native)
    if clock is not None:
        ingress.native.now = clock.now
        clock.on_move.append(lambda now: setattr(ingress.native, "now", now))
    return ingress


def native_path(reporter: ArrivalReporter, clock: ManualClock | None) -> Arrive:
    ingress = native_ingress(reporter, clock)
    publisher = Publisher()

    def arrive(sequence: int) -> None:
        ingress.native(publisher.send(numbered(sequence, sequence + 1, MEDIA_SSRC)), 1)

    return arrive


@pytest.fixture(params=[python_path, native_path], ids=["python", "native"])
def path(request: pytest.FixtureRequest) -> Path:
    return request.param  # type: ignore[no-any-return]


def manual_reporter() -> tuple[Reported, ArrivalReporter, ManualClock]:
    """A reporter for the transport-wide extension on a manual clock, and what it sends."""
    reported = Reported()
    clock = ManualClock()
    reporter = ArrivalReporter(reported.send, clock, clock.call_later)
    reporter.extension_id = TRANSPORT_CC_ID
    return reported, reporter, clock


def reporting(path: Path) -> tuple[Reported, ArrivalReporter, ManualClock, Arrive]:
    reported, reporter, clock = manual_reporter()
    return reported, reporter, clock, path(reporter, clock)


def test_feedback_goes_out_with_the_first_arrival_once_due(path: Path) -> None:
    reported, reporter, clock, arrive = reporting(path)
    arrive(0)  # nothing was ever sent: due at once
    assert reported.feedbacks == [[0]]
    for sequence in range(1, 5):
        arrive(sequence)
    clock.advance(FEEDBACK_INTERVAL * 0.99)
    arrive(5)
    assert reported.feedbacks == [[0]]  # within the interval: held
    clock.advance(FEEDBACK_INTERVAL * 0.02)
    arrive(6)  # due since a moment ago
    assert reported.feedbacks == [[0], [1, 2, 3, 4, 5, 6]]
    assert reported.media_ssrcs == [MEDIA_SSRC, MEDIA_SSRC]
    reporter.close()


def test_the_last_arrivals_are_reported_by_a_timer_when_packets_stop(path: Path) -> None:
    reported, reporter, clock, arrive = reporting(path)
    start = clock.now
    arrive(0)
    arrive(1)
    arrive(2)
    # One timer, for when the next feedback is due plus an interval with no arrival to send it.
    assert [timer.when for timer in clock.pending] == [pytest.approx(start + 2 * FEEDBACK_INTERVAL)]
    clock.advance(2 * FEEDBACK_INTERVAL * 0.99)
    assert reported.feedbacks == [[0]]
    clock.advance(2 * FEEDBACK_INTERVAL * 0.02)
    assert reported.feedbacks == [[0], [1, 2]]
    assert clock.pending == []  # nothing arrived since: no more timers
    clock.advance(FEEDBACK_INTERVAL * 10)
    assert reported.feedbacks == [[0], [1, 2]]
    reporter.close()


def test_nothing_is_sent_after_close(path: Path) -> None:
    reported, reporter, clock, arrive = reporting(path)
    arrive(0)
    arrive(1)
    reporter.close()
    assert clock.pending == []  # the timer went with it
    clock.advance(FEEDBACK_INTERVAL * 2.5)
    arrive(2)
    assert reported.feedbacks == [[0]]


def test_the_native_ingress_calls_python_twice_per_feedback_not_per_packet() -> None:
    reported, reporter, clock = manual_reporter()
    ingress = native_ingress(reporter, clock)
    publisher = Publisher()
    for sequence in range(50):
        ingress.native(publisher.send(numbered(sequence, sequence + 1)), 1)
        clock.advance(0.001)
    # The first sends, the second arms the timer; the other 48 wait in C.
    assert ingress.calls == 2 and reported.feedbacks == [[0]] and ingress.native.held == 48
    clock.advance(2 * FEEDBACK_INTERVAL)
    assert reported.feedbacks == [[0], list(range(1, 50))]
    reporter.close()


async def test_on_the_event_loops_clock_a_timer_reports_when_packets_stop(path: Path) -> None:
    """The server's set-up: time.monotonic(), the loop's timers and, natively, C's clock."""
    reported = Reported()
    reporter = ArrivalReporter(reported.send)
    reporter.extension_id = TRANSPORT_CC_ID
    arrive = path(reporter, None)
    arrive(0)
    arrive(1)
    arrive(2)
    # [[0], [1, 2]] unless the machine stalled for an interval between arrivals: all reported.
    await eventually(
        lambda: sum(reported.feedbacks, []) == [0, 1, 2], timeout=2, what="the timer's report"
    )
    reporter.close()
