"""A media connection that is over without the SFU having ended it is told, once
(sfu/media_failure.py); the publisher's periodic reports survive a failing one."""

from __future__ import annotations

import asyncio

import pytest

from sfu import media_failure, publisher_feedback
from sfu.media_failure import FailureWatch
from sfu.owner import CAMERA
from sfu.peer import PeerSettings
from sfu.publisher import PublisherPeer
from tests.conftest import eventually


class Told:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


@pytest.fixture(autouse=True)
def short_grace(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media_failure, "CLOSE_GRACE", 0.01)


async def test_a_failed_connection_is_told_at_once_and_only_once() -> None:
    told = Told()
    watch = FailureWatch("publish alice", told)
    for state in ("connecting", "failed", "closed", "failed"):
        watch.state_changed(state)
    assert told.count == 1
    watch.fail("negotiation failed")
    assert told.count == 1


async def test_a_connection_closed_by_the_peer_is_told_after_the_grace() -> None:
    told = Told()
    watch = FailureWatch("subscribe bob", told)
    watch.state_changed("connected")
    watch.state_changed("closed")
    assert told.count == 0  # an unpublish may still explain it
    await eventually(lambda: told.count == 1, what="the closed connection to be told")


async def test_a_connection_we_close_meanwhile_is_not_told() -> None:
    told = Told()
    watch = FailureWatch("publish alice/screen", told)
    watch.state_changed("closed")
    watch.stop()  # the unpublish arrived
    other = Told()
    later = FailureWatch("marker", other)
    later.state_changed("closed")
    await eventually(lambda: other.count == 1, what="a later grace to pass")
    assert told.count == 0
    watch.state_changed("failed")
    assert told.count == 0


async def test_a_report_that_raises_does_not_end_the_publishers_reports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(publisher_feedback, "REPORT_INTERVAL", 0.005)
    calls: list[float] = []

    def report(self: PublisherPeer, now: float) -> None:
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("a bug in one report")

    monkeypatch.setattr(PublisherPeer, "_report", report)
    peer = PublisherPeer("alice", CAMERA, PeerSettings(), on_failed=lambda: None)
    try:
        task = asyncio.ensure_future(peer._report_periodically())
        await eventually(lambda: len(calls) >= 3, what="reports after the failing one")
        assert not task.done()
        task.cancel()
    finally:
        await peer.close()
