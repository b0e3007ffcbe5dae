"""Rate limits and login back-off. Sans-I/O: every decision takes `now` (seconds on one
monotonic clock) and returns how long to wait, so tests step a clock instead of sleeping.

Memory is bounded. Each table keeps at most `max_keys` keys in least-recently-used order and
drops, as it goes, the oldest keys that no longer hold anything (a refilled bucket, a
forgotten failure): an attacker who sprays addresses or usernames makes old keys fall out,
never the table grow. A key pushed out early starts afresh, which gives nothing away: a new
key the attacker invents starts afresh too.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)

MAX_KEYS = 10_000
_TIDY_PER_CALL = 2  # stale keys dropped from the old end per call: amortised, never a sweep


class TokenBucket:
    """`capacity` takes at once, then one more every `1 / per_second` seconds; never more
    than `capacity` stored. Time only moves forward for a bucket: a clock that steps back
    neither adds tokens nor takes them away."""

    __slots__ = ("capacity", "per_second", "tokens", "stamp")

    def __init__(self, capacity: float, per_second: float) -> None:
        self.capacity = float(capacity)
        self.per_second = per_second
        self.tokens = self.capacity
        self.stamp: float | None = None

    def level(self, now: float) -> float:
        """Tokens there would be at `now`."""
        if self.stamp is None or now <= self.stamp:
            return self.tokens
        return min(self.capacity, self.tokens + (now - self.stamp) * self.per_second)

    def take(self, now: float) -> float:
        """0.0 with one token spent, or the seconds until one is back (nothing spent)."""
        self.tokens = self.level(now)
        self.stamp = now if self.stamp is None else max(self.stamp, now)
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.per_second


class TokenBuckets(Generic[Key]):
    """A TokenBucket per key, in a table of bounded size (see the module's docstring)."""

    def __init__(self, capacity: int, per_second: float, max_keys: int = MAX_KEYS) -> None:
        self.capacity = capacity
        self.per_second = per_second
        self.max_keys = max_keys
        self._buckets: OrderedDict[Key, TokenBucket] = OrderedDict()

    def take(self, key: Key, now: float) -> float:
        """0.0 with one token of `key` spent, or the seconds until one is back."""
        bucket = self._buckets.pop(key, None) or TokenBucket(self.capacity, self.per_second)
        wait = bucket.take(now)
        self._buckets[key] = bucket
        self._tidy(now)
        return wait

    def __len__(self) -> int:
        return len(self._buckets)

    def _tidy(self, now: float) -> None:
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        for _ in range(_TIDY_PER_CALL):
            oldest = next(iter(self._buckets), None)
            if oldest is None or self._buckets[oldest].level(now) < self.capacity:
                return
            del self._buckets[oldest]  # full again: the same as no bucket at all


@dataclass
class _Failures:
    count: int
    last: float
    locked_until: float


class FailureBackoff(Generic[Key]):
    """Exponential back-off after failures: the first `free` failures cost nothing; from then
    on each failure locks the key for `first_lock` seconds, doubled per further failure, at
    most `max_lock`. A key with no failure for `forget_after` seconds (and no lock) is
    forgotten, so its count starts again from zero."""

    def __init__(
        self,
        free: int,
        first_lock: float,
        max_lock: float,
        forget_after: float,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self.free = free
        self.first_lock = first_lock
        self.max_lock = max_lock
        self.forget_after = forget_after
        self.max_keys = max_keys
        self._records: OrderedDict[Key, _Failures] = OrderedDict()

    def wait(self, key: Key, now: float) -> float:
        """Seconds until `key` may try again; 0.0 if it may now."""
        record = self._current(key, now)
        return max(0.0, record.locked_until - now) if record else 0.0

    def failures(self, key: Key, now: float) -> int:
        record = self._current(key, now)
        return record.count if record else 0

    def fail(self, key: Key, now: float) -> None:
        record = self._current(key, now) or _Failures(0, now, 0.0)
        record.count += 1
        record.last = now
        record.locked_until = max(record.locked_until, now + self._lock(record.count))
        self._records.pop(key, None)
        self._records[key] = record
        self._tidy(now)

    def unfail(self, key: Key, now: float) -> None:
        """Take back one failure counted ahead of time, for an attempt that succeeded."""
        record = self._current(key, now)
        if record is None:
            return
        record.count -= 1
        if record.count <= 0:
            del self._records[key]
        elif record.count < self.free:
            record.locked_until = 0.0

    def forgive(self, key: Key) -> None:
        self._records.pop(key, None)

    def __len__(self) -> int:
        return len(self._records)

    def _lock(self, count: int) -> float:
        if count < self.free:
            return 0.0
        doublings = min(count - self.free, 32)  # 2**32 s is far past any max_lock
        return float(min(self.max_lock, self.first_lock * 2**doublings))

    def _current(self, key: Key, now: float) -> _Failures | None:
        record = self._records.get(key)
        if record is not None and self._stale(record, now):
            del self._records[key]
            return None
        return record

    def _stale(self, record: _Failures, now: float) -> bool:
        return now >= record.locked_until and now - record.last >= self.forget_after

    def _tidy(self, now: float) -> None:
        while len(self._records) > self.max_keys:
            self._records.popitem(last=False)
        for _ in range(_TIDY_PER_CALL):
            oldest = next(iter(self._records), None)
            if oldest is None or not self._stale(self._records[oldest], now):
                return
            del self._records[oldest]
