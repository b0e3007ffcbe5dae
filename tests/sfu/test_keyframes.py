"""Key-frame request rate limiting (RFC 4585 PLI, RFC 5104 FIR), driven by an injected clock."""

from __future__ import annotations

import pytest

from sfu.keyframes import DEFAULT_MIN_INTERVAL, KeyframeRequestLimiter


def test_the_first_request_is_sent_at_once() -> None:
    assert KeyframeRequestLimiter().request(now=100.0) == 0.0


def test_the_default_interval_is_half_a_second() -> None:
    limiter = KeyframeRequestLimiter()
    assert limiter.min_interval == DEFAULT_MIN_INTERVAL == 0.5
    limiter.request(10.0)
    assert limiter.request(10.2) == pytest.approx(0.3)


def test_a_request_inside_the_interval_is_deferred_to_the_end_of_it() -> None:
    limiter = KeyframeRequestLimiter(min_interval=2.0)
    assert limiter.request(10.0) == 0.0
    assert limiter.request(10.5) == pytest.approx(1.5)


def test_requests_while_one_is_deferred_are_coalesced_into_it() -> None:
    limiter = KeyframeRequestLimiter(min_interval=2.0)
    limiter.request(10.0)
    assert limiter.request(10.5) == pytest.approx(1.5)
    assert limiter.request(11.0) is None
    assert limiter.request(11.9) is None
    # Even after the interval: the deferred one has not been reported sent yet.
    assert limiter.request(15.0) is None


def test_a_request_exactly_one_interval_later_is_sent_at_once() -> None:
    limiter = KeyframeRequestLimiter(min_interval=2.0)
    limiter.request(10.0)
    assert limiter.request(12.0) == 0.0
    assert limiter.request(13.0) == pytest.approx(1.0)


def test_a_request_just_inside_the_interval_is_deferred_by_the_remainder() -> None:
    limiter = KeyframeRequestLimiter(min_interval=2.0)
    limiter.request(10.0)
    assert limiter.request(11.75) == pytest.approx(0.25)


def test_sending_the_deferred_request_restarts_the_interval() -> None:
    limiter = KeyframeRequestLimiter(min_interval=2.0)
    limiter.request(10.0)
    limiter.request(10.5)
    limiter.deferred_due(12.0)
    assert limiter.request(13.0) == pytest.approx(1.0)  # measured from 12.0, not 10.0
    limiter.deferred_due(14.0)
    assert limiter.request(16.0) == 0.0


def test_after_the_deferred_request_a_quiet_interval_allows_an_immediate_one() -> None:
    limiter = KeyframeRequestLimiter(min_interval=1.0)
    limiter.request(0.0)
    limiter.request(0.1)
    limiter.deferred_due(1.0)
    assert limiter.request(5.0) == 0.0
    assert limiter.request(5.0) == pytest.approx(1.0)


def test_limiters_do_not_share_state() -> None:
    first, second = KeyframeRequestLimiter(), KeyframeRequestLimiter()
    first.request(1.0)
    assert first.request(1.1) is not None and first.request(1.2) is None
    assert second.request(1.2) == 0.0


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        ([0.0, 0.5, 1.0, 1.5], [0.0, 0.0, 0.0, 0.0]),  # one per interval: each goes out at once
        ([0.0, 0.1, 0.2, 0.3], [0.0, 0.4, None, None]),  # one now, one deferred, rest coalesced
        ([0.0, 0.49, 0.99], [0.0, 0.01, None]),  # 0.99 is past the interval, but one is pending
    ],
)
def test_a_burst_sends_at_most_one_request_per_interval(
    times: list[float], expected: list[float | None]
) -> None:
    limiter = KeyframeRequestLimiter(min_interval=0.5)
    decisions = [limiter.request(t) for t in times]
    assert decisions == [e if e is None else pytest.approx(e) for e in expected]
