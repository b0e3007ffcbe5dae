"""Consent freshness (RFC 7675) with retransmissions: a peer that answers late keeps consent, a
peer that stops answering loses it after the lifetime."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aioice
import pytest
from aioice import stun

from sfu import consent_freshness
from sfu.consent_freshness import Consent
from sfu.peer import gather_on
from tests.conftest import eventually


@pytest.mark.parametrize(
    "refreshed_at, now, expired",
    [(0.0, 29.9, False), (0.0, 30.0, True), (10.0, 39.0, False), (10.0, 45.0, True)],
)
def test_consent_expires_a_lifetime_after_the_last_response(
    refreshed_at: float, now: float, expired: bool
) -> None:
    assert Consent(refreshed_at=refreshed_at).expired(now) is expired


def test_a_late_response_to_an_older_check_still_refreshes_but_never_turns_the_clock_back() -> None:
    consent = Consent(refreshed_at=0.0)
    consent.refreshed(20.0)
    consent.refreshed(12.0)  # the answer to an earlier check, arriving after a later one's
    assert consent.refreshed_at == 20.0 and consent.responses == 2
    assert not consent.expired(49.0)


@pytest.mark.parametrize("uniform, delay", [(0.0, 4.0), (0.5, 5.0), (0.999, 5.998)])
def test_checks_go_out_every_four_to_six_seconds(uniform: float, delay: float) -> None:
    assert Consent(refreshed_at=0.0).next_check_in(uniform) == pytest.approx(delay)


@pytest.fixture
async def connected_pair(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[Any, Any]]:
    """Two aioice connections on loopback: the SFU's side (controlled) and a peer's."""
    gather_on(["127.0.0.1"])
    monkeypatch.setattr(consent_freshness, "CHECK_INTERVAL", 0.25)
    monkeypatch.setattr(consent_freshness, "CONSENT_LIFETIME", 3.0)
    sfu_side = aioice.Connection(ice_controlling=False, components=1)
    peer = aioice.Connection(ice_controlling=True, components=1)
    for one in (sfu_side, peer):
        await one.gather_candidates()
    for one, other in ((sfu_side, peer), (peer, sfu_side)):
        for candidate in other.local_candidates:
            await one.add_remote_candidate(candidate)
        await one.add_remote_candidate(None)
        one.remote_username, one.remote_password = other.local_username, other.local_password
    await asyncio.wait_for(asyncio.gather(sfu_side.connect(), peer.connect()), 10)
    try:
        yield sfu_side, peer
    finally:
        await peer.close()
        await sfu_side.close()


def answer_consent_checks(peer: Any, delay: float | None) -> None:
    """The peer answers binding requests `delay` seconds late, or never (None)."""
    protocol = peer._nominated[1].protocol
    send = protocol.send_stun
    loop = asyncio.get_running_loop()

    def send_stun(message: stun.Message, addr: tuple[str, int]) -> None:
        if message.message_class != stun.Class.RESPONSE:
            send(message, addr)
        elif delay is not None:
            loop.call_later(delay, send, message, addr)

    protocol.send_stun = send_stun


async def test_answers_slower_than_half_a_second_keep_consent(
    connected_pair: tuple[Any, Any],
) -> None:
    sfu_side, peer = connected_pair
    answer_consent_checks(peer, delay=0.6)  # aioice's own checks give each 0.5 s, no retry
    consent = consent_freshness.take_over(sfu_side)
    assert consent is not None
    assert consent_freshness.take_over(sfu_side) is consent
    # 16 answers at one check per 0.2-0.3 s: more than a lifetime (3 s) has passed.
    await eventually(lambda: consent.responses >= 16, timeout=20, what="16 late answers")
    assert not sfu_side._closing


async def test_a_peer_that_stops_answering_loses_consent_and_the_connection_closes(
    connected_pair: tuple[Any, Any],
) -> None:
    sfu_side, peer = connected_pair
    answer_consent_checks(peer, delay=None)
    consent = consent_freshness.take_over(sfu_side)
    assert consent is not None
    await eventually(lambda: sfu_side._closing, timeout=15, what="consent to expire")
    assert consent.responses == 0
