"""Password hashes with argon2id (argon2-cffi), off the event loop and within a memory budget.

Each hash or verification runs in a worker thread, so a login never stalls the event loop that
forwards media. Each holds the hasher's memory_cost (64 MiB by default) while it runs: at most
MAX_CONCURRENT_HASHES run at once (a flood of 500 registrations once took 384 MiB, six executor
threads' worth), and past MAX_QUEUED_HASHES waiting, a request is answered `busy` rather than
queued without end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from rooms.errors import Busy

_T = TypeVar("_T")

MAX_CONCURRENT_HASHES = 2  # the machines we aim at have 2 cores: 128 MiB of argon2 at most
MAX_QUEUED_HASHES = 64  # running and waiting; a few seconds of work at ~50 ms a hash
BUSY_RETRY_AFTER = 5.0  # seconds


class PasswordHashing:
    def __init__(self, hasher: PasswordHasher) -> None:
        self._hasher = hasher
        self._dummy_hash: str | None = None
        self._hashing = asyncio.Semaphore(MAX_CONCURRENT_HASHES)
        self._queued = 0

    async def hash(self, password: str) -> str:
        return await self._argon2(self._hasher.hash, password)

    async def matches(self, stored_hash: str, password: str) -> bool:
        """argon2 verification in a worker thread: it takes tens of milliseconds."""
        try:
            return bool(await self._argon2(self._hasher.verify, stored_hash, password))
        except (VerificationError, InvalidHashError):
            return False

    async def dummy(self) -> str:
        """A hash to verify an unknown login against, so that it costs what a known one does
        and the response time does not tell whether an account exists."""
        if self._dummy_hash is None:
            self._dummy_hash = await self.hash("not a password")
        return self._dummy_hash

    def needs_rehash(self, stored_hash: str) -> bool:
        """Hashed with other parameters than the hasher's own (a login then stores anew)."""
        return self._hasher.check_needs_rehash(stored_hash)

    async def _argon2(self, work: Callable[..., _T], *args: str) -> _T:
        """One argon2 hash or verification in a worker thread, at most MAX_CONCURRENT_HASHES
        at a time; Busy when MAX_QUEUED_HASHES are already running or waiting."""
        if self._queued >= MAX_QUEUED_HASHES:
            raise Busy(
                "the server is busy checking passwords; try again in a few seconds",
                retry_after=BUSY_RETRY_AFTER,
                reason="password_check_busy",
            )
        self._queued += 1
        try:
            async with self._hashing:
                return await asyncio.to_thread(work, *args)
        finally:
            self._queued -= 1
