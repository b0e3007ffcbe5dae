"""When transport-wide feedback goes out (sfu/arrival_reports.py): with the first arrival once
due, by a timer when packets stop, and the same from the Python path and the native ingress."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from sfu import native
from sfu.arrival_reports import ArrivalReporter
from sfu.transport_feedback import FEEDBACK_INTERVAL, ArrivalLog
from tests.conftest import eventually
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


def python_path(reporter: ArrivalReporter) -> Callable[[int], None]:
    def arrive(sequence: int) -> None:
        reporter.note(numbered(sequence, ssrc=MEDIA_SSRC), MEDIA_SSRC)

    return arrive


def native_path(reporter: ArrivalReporter) -> Callable[[int], None]:
    if native.rtpsend is None:
        pytest.skip("needs sfu/_rtpsend.c")
    ingress = Ingress(reporter.on_noted)
    reporter.use_ingress(ingress.native)
    publisher = Publisher()

    def arrive(sequence: int) -> None:
        ingress.native(publisher.send(numbered(sequence, sequence + 1, MEDIA_SSRC)), 1)

    return arrive


Arrive = Callable[[int], None]


@pytest.fixture(params=[python_path, native_path], ids=["python", "native"])
def path(request: pytest.FixtureRequest) -> Callable[[ArrivalReporter], Arrive]:
    return request.param  # type: ignore[no-any-return]


def reporting(
    path: Callable[[ArrivalReporter], Arrive],
) -> tuple[Reported, ArrivalReporter, Arrive]:
    """A reporter for the transport-wide extension, what it sends, and how packets arrive."""
    reported = Reported()
    reporter = ArrivalReporter(reported.send)
    reporter.extension_id = TRANSPORT_CC_ID
    return reported, reporter, path(reporter)


async def test_feedback_goes_out_with_the_first_arrival_once_due(
    path: Callable[[ArrivalReporter], Arrive],
) -> None:
    reported, reporter, arrive = reporting(path)
    arrive(0)  # nothing was ever sent: due at once
    assert reported.feedbacks == [[0]]
    for sequence in range(1, 5):
        arrive(sequence)
    assert reported.feedbacks == [[0]]  # within the interval: held
    await asyncio.sleep(FEEDBACK_INTERVAL * 1.2)  # the clock must pass the due time
    arrive(5)
    assert reported.feedbacks == [[0], [1, 2, 3, 4, 5]]
    assert reported.media_ssrcs == [MEDIA_SSRC, MEDIA_SSRC]
    reporter.close()


async def test_the_last_arrivals_are_reported_by_a_timer_when_packets_stop(
    path: Callable[[ArrivalReporter], Arrive],
) -> None:
    reported, reporter, arrive = reporting(path)
    arrive(0)
    arrive(1)
    arrive(2)
    await eventually(lambda: len(reported.feedbacks) == 2, timeout=2, what="the timer's report")
    assert reported.feedbacks == [[0], [1, 2]]
    await asyncio.sleep(FEEDBACK_INTERVAL * 2.5)  # nothing arrived: no more timers
    assert reported.feedbacks == [[0], [1, 2]]
    reporter.close()


async def test_nothing_is_sent_after_close(
    path: Callable[[ArrivalReporter], Arrive],
) -> None:
    reported, reporter, arrive = reporting(path)
    arrive(0)
    arrive(1)
    reporter.close()
    await asyncio.sleep(FEEDBACK_INTERVAL * 2.5)
    arrive(2)
    assert reported.feedbacks == [[0]]


async def test_the_native_ingress_calls_python_twice_per_feedback_not_per_packet() -> None:
    if native.rtpsend is None:
        pytest.skip("needs sfu/_rtpsend.c")
    reported = Reported()
    reporter = ArrivalReporter(reported.send)
    reporter.extension_id = TRANSPORT_CC_ID
    ingress = Ingress(reporter.on_noted)
    reporter.use_ingress(ingress.native)
    publisher = Publisher()
    for sequence in range(50):
        ingress.native(publisher.send(numbered(sequence, sequence + 1)), 1)
    # The first sends, the second arms the timer; the other 48 wait in C.
    assert ingress.calls == 2 and reported.feedbacks == [[0]] and ingress.native.held == 48
    await eventually(lambda: len(reported.feedbacks) == 2, timeout=2, what="the timer's report")
    assert reported.feedbacks == [[0], list(range(1, 50))]
    reporter.close()
