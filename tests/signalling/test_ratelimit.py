"""Per-socket frame limits (signalling/ratelimit.py): pure, with `now` passed in."""

from __future__ import annotations

import pytest

from signalling.errors import ProtocolError
from signalling.ratelimit import (
    FRAMES,
    KINDS,
    REFUSALS,
    Dropped,
    FrameLimits,
)


def outcome(limits: FrameLimits, kind: str, now: float) -> str:
    try:
        limits.frame(now)
        limits.message(kind, now)
    except Dropped:
        return "dropped"
    except ProtocolError as exc:
        return exc.code
    return "ok"


def test_toggles_past_their_burst_are_answered_once_a_second_then_dropped() -> None:
    limits = FrameLimits()
    rate, burst = KINDS["mute"]
    results = [outcome(limits, "mute", 0.0) for _ in range(int(burst) + 5)]
    assert results[: int(burst)] == ["ok"] * int(burst)
    assert results[int(burst) :] == ["rate_limited"] + ["dropped"] * 4
    assert outcome(limits, "ping", 0.0) == "ok"  # other kinds have buckets of their own
    assert outcome(limits, "mute", 1.0 / rate) == "ok"  # one token back
    assert outcome(limits, "mute", 1.0 / rate) == "dropped"  # answered less than 1 s ago
    refilled = [outcome(limits, "mute", 1.0) for _ in range(int(0.75 * rate) + 1)]
    assert refilled == ["ok"] * int(0.75 * rate) + ["rate_limited"]  # a second later: told again


def test_the_refusal_names_the_kind_it_refused() -> None:
    limits = FrameLimits()
    for _ in range(int(KINDS["raise_hand"][1])):
        limits.message("raise_hand", 0.0)
    with pytest.raises(ProtocolError) as caught:
        limits.message("raise_hand", 0.0)
    assert caught.value.in_reply_to == "raise_hand" and not caught.value.closes


def test_every_frame_counts_against_the_overall_limit_whatever_its_kind() -> None:
    limits = FrameLimits()
    results = [outcome(limits, "comment", 0.0) for _ in range(int(FRAMES[1]) + 2)]
    assert results.count("ok") == int(FRAMES[1])
    assert results[-2:] == ["rate_limited", "dropped"]


def test_a_socket_that_keeps_flooding_is_closed_with_flooding() -> None:
    limits = FrameLimits()
    results = [outcome(limits, "mute", 0.0) for _ in range(int(FRAMES[1] + REFUSALS[1]) + 1)]
    assert results[-1] == "flooding"
    assert ProtocolError("flooding", "").closes
    assert results.count("ok") == int(KINDS["mute"][1])


def test_a_client_within_its_limits_is_never_refused() -> None:
    limits = FrameLimits()
    now = 0.0
    for step in range(2000):  # 4 mutes, a vote and 2 pings a second, for 5 minutes
        now = step * 0.25
        assert outcome(limits, "mute", now) == "ok"
        if step % 4 == 0:
            assert outcome(limits, "vote", now) == "ok"
        if step % 2 == 0:
            assert outcome(limits, "ping", now) == "ok"
