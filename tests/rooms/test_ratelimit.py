"""Rate limits and login back-off (rooms/ratelimit.py, rooms/community/login_throttle.py):
pure, with a stepped clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rooms.community.login_throttle import (
    ACCOUNT_FREE,
    ACCOUNT_MAX_LOCK,
    ADDRESS_FREE,
    FORGET_AFTER,
    MAX_LOCK,
    PAIR_FREE,
    LoginThrottle,
)
from rooms.ratelimit import FailureBackoff, TokenBucket, TokenBuckets


def test_one_bucket_gives_its_capacity_at_once_then_refills_at_its_rate() -> None:
    bucket = TokenBucket(capacity=3, per_second=2.0)
    assert [bucket.take(10.0) for _ in range(4)] == [0.0, 0.0, 0.0, pytest.approx(0.5)]
    assert bucket.take(10.4) == pytest.approx(0.1)  # 0.8 of a token
    assert bucket.take(10.5) == 0.0
    assert [bucket.take(100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(100.0) > 0  # never more than the capacity stored


def test_a_clock_that_steps_back_gives_one_bucket_no_tokens() -> None:
    bucket = TokenBucket(capacity=1, per_second=1.0)
    assert bucket.take(50.0) == 0.0
    assert bucket.take(10.0) > 0
    assert bucket.take(50.5) > 0
    assert bucket.take(51.0) == 0.0


def test_a_bucket_allows_its_burst_then_one_per_interval() -> None:
    buckets: TokenBuckets[str] = TokenBuckets(capacity=3, per_second=0.5)
    assert [buckets.take("a", 100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a", 100.0) == pytest.approx(2.0)
    assert buckets.take("b", 100.0) == 0.0  # each key its own bucket
    assert buckets.take("a", 101.0) == pytest.approx(1.0)  # a refusal spends nothing
    assert buckets.take("a", 102.0) == 0.0
    assert buckets.take("a", 102.0) > 0


def test_a_clock_that_steps_back_takes_no_tokens_away() -> None:
    buckets: TokenBuckets[str] = TokenBuckets(capacity=2, per_second=1.0)
    buckets.take("a", 100.0)
    assert buckets.take("a", 50.0) == 0.0
    assert buckets.take("a", 50.0) == pytest.approx(1.0)


def test_buckets_keep_at_most_max_keys_and_drop_refilled_ones() -> None:
    buckets: TokenBuckets[int] = TokenBuckets(capacity=2, per_second=1.0, max_keys=100)
    for address in range(10_000):  # an attacker spraying addresses
        buckets.take(address, 0.0)
        assert len(buckets) <= 100
    for address in range(50):  # later, ordinary traffic: the old, refilled keys fall out
        buckets.take(-address, 10.0)
    assert len(buckets) == 50


@pytest.mark.parametrize(
    ("failures", "lock"),
    [(1, 0.0), (4, 0.0), (5, 1.0), (6, 2.0), (7, 4.0), (13, 256.0), (14, 300.0), (1000, 300.0)],
)
def test_back_off_doubles_after_the_free_failures_up_to_the_cap(failures: int, lock: float) -> None:
    backoff: FailureBackoff[str] = FailureBackoff(
        free=5, first_lock=1.0, max_lock=300.0, forget_after=900.0
    )
    for _ in range(failures):
        backoff.fail("k", 0.0)
    assert backoff.wait("k", 0.0) == lock


def test_failures_are_forgotten_after_a_quiet_while_but_not_during_a_lock() -> None:
    backoff: FailureBackoff[str] = FailureBackoff(
        free=1, first_lock=2000.0, max_lock=2000.0, forget_after=900.0
    )
    backoff.fail("k", 0.0)
    assert backoff.failures("k", 1000.0) == 1 and backoff.wait("k", 1000.0) == 1000.0
    assert backoff.failures("k", 2000.0) == 0 and len(backoff) == 0


def test_back_off_keeps_at_most_max_keys() -> None:
    backoff: FailureBackoff[str] = FailureBackoff(1, 1.0, 10.0, 900.0, max_keys=100)
    for n in range(5000):
        backoff.fail(f"user{n}", float(n))
        assert len(backoff) <= 100


def guess(throttle: LoginThrottle, account: str, address: str, now: float) -> float:
    """One wrong password: the wait it was refused with, or 0.0 when it was checked."""
    return throttle.attempt(account, address, now)


def test_a_thousand_wrong_passwords_from_one_address_are_refused_after_five() -> None:
    throttle = LoginThrottle()
    waits = [guess(throttle, "username:ani", "203.0.113.9", 1000.0) for _ in range(1000)]
    assert waits[:PAIR_FREE] == [0.0] * PAIR_FREE
    assert all(wait > 0 for wait in waits[PAIR_FREE:])


def test_the_member_signs_in_from_another_address_while_a_guesser_is_locked_out() -> None:
    throttle = LoginThrottle()
    now = 1000.0
    for n in range(200):  # one guesser, and a botnet of 200 addresses, on one account
        guess(throttle, "username:ani", "203.0.113.9", now)
        guess(throttle, "username:ani", f"198.51.{n // 250}.{n % 250}", now)
    assert throttle.attempt("username:ani", "192.0.2.1", now) == 0.0  # her phone
    throttle.succeeded("username:ani", "192.0.2.1", now)
    assert throttle.attempt("username:ani", "192.0.2.1", now) == 0.0  # and again


def test_a_botnet_gets_one_try_per_address_once_the_account_is_under_attack() -> None:
    throttle = LoginThrottle()
    addresses = [f"198.51.100.{n}" for n in range(ACCOUNT_FREE + 5)]
    for address in addresses:
        assert guess(throttle, "username:ani", address, 0.0) == 0.0  # each new address: one
    assert all(guess(throttle, "username:ani", address, 0.0) > 0 for address in addresses)
    assert guess(throttle, "username:ani", addresses[0], ACCOUNT_MAX_LOCK) == 0.0  # short


def test_one_address_spraying_accounts_is_slowed_down() -> None:
    throttle = LoginThrottle()
    waits = [guess(throttle, f"username:user{n}", "203.0.113.9", 0.0) for n in range(100)]
    assert waits[:ADDRESS_FREE] == [0.0] * ADDRESS_FREE
    assert all(wait > 0 for wait in waits[ADDRESS_FREE:])


def test_the_lock_out_expires_and_never_exceeds_the_cap() -> None:
    throttle = LoginThrottle()
    now = 0.0
    for _ in range(500):  # a patient guesser: tries again whenever the lock ends
        wait = guess(throttle, "username:ani", "203.0.113.9", now)
        assert wait <= MAX_LOCK
        now += wait
    assert guess(throttle, "username:ani", "203.0.113.9", now + MAX_LOCK) == 0.0
    assert guess(throttle, "username:ani", "203.0.113.9", now + 2 * MAX_LOCK + FORGET_AFTER) == 0


def test_a_right_password_clears_the_address_failures_for_that_account() -> None:
    throttle = LoginThrottle()
    for _ in range(PAIR_FREE - 1):
        guess(throttle, "username:ani", "192.0.2.1", 0.0)  # typos
    assert throttle.attempt("username:ani", "192.0.2.1", 0.0) == 0.0
    throttle.succeeded("username:ani", "192.0.2.1", 0.0)
    assert [guess(throttle, "username:ani", "192.0.2.1", 0.0) for _ in range(PAIR_FREE)] == [
        0.0
    ] * PAIR_FREE


def test_parallel_attempts_are_counted_before_any_has_failed() -> None:
    throttle = LoginThrottle()
    started = [throttle.attempt("username:ani", "203.0.113.9", 0.0) for _ in range(50)]
    assert started.count(0.0) == PAIR_FREE  # the rest are refused without an argon2 check


def test_an_attempt_that_never_judged_the_password_does_not_count() -> None:
    throttle = LoginThrottle()
    for _ in range(100):
        assert throttle.attempt("username:ani", "192.0.2.1", 0.0) == 0.0
        throttle.abandoned("username:ani", "192.0.2.1", 0.0)


@pytest.mark.fuzz
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["attempt", "succeeded", "abandoned"]),
            st.integers(0, 3),
            st.integers(0, 3),
            st.floats(0, 2000),
        ),
        max_size=60,
    )
)
def test_any_sequence_of_attempts_waits_within_the_caps(
    steps: list[tuple[str, int, int, float]],
) -> None:
    throttle = LoginThrottle(max_keys=4)
    now = 0.0
    for action, account, address, step in steps:
        now += step
        if action == "attempt":
            assert 0.0 <= throttle.attempt(f"a{account}", f"x{address}", now) <= MAX_LOCK
        elif action == "succeeded":
            throttle.succeeded(f"a{account}", f"x{address}", now)
        else:
            throttle.abandoned(f"a{account}", f"x{address}", now)
    assert max(len(throttle.pairs), len(throttle.addresses), len(throttle.accounts)) <= 4
