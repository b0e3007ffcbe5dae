"""Limits inside the community services, on SQLite and PostgreSQL: argon2 runs at most
MAX_CONCURRENT_HASHES at a time (its memory is bounded), and chat posts per member."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

from rooms.community.account_rules import Registration
from rooms.community.bus import LocalBus
from rooms.community.chat import POST_BURST
from rooms.community.community import Community, open_community
from rooms.community.password_hashing import MAX_CONCURRENT_HASHES, MAX_QUEUED_HASHES
from rooms.errors import Busy, RateLimited
from signalling.events import encode
from tests.conftest import eventually
from tests.rooms.conftest import Clock, register


class GatedHasher:
    """Stands in for argon2's PasswordHasher: each hash waits for `release` and the most
    hashes running at once is counted, as memory would be."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.running = 0
        self.most = 0
        self._lock = threading.Lock()

    def hash(self, password: str) -> str:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            self.release.wait(timeout=30)
            return "hash:" + password
        finally:
            with self._lock:
                self.running -= 1

    def verify(self, stored: str, password: str) -> bool:
        return stored == self.hash(password)

    def check_needs_rehash(self, _stored: str) -> bool:
        return False


async def test_argon2_runs_at_most_two_at_once_and_refuses_beyond_the_queue(
    database_url: str, tmp_path: Path, clock: Clock
) -> None:
    hasher = GatedHasher()
    community = await open_community(
        database_url, tmp_path, clock, bus=LocalBus(encode), hasher=hasher
    )  # type: ignore[arg-type]
    try:
        forms = [
            Registration(password="rahasia-123", display_name="Anggota", username=f"user{n}")
            for n in range(MAX_QUEUED_HASHES + 5)
        ]
        tasks = [asyncio.create_task(community.accounts.register(form)) for form in forms]
        await eventually(lambda: hasher.running == MAX_CONCURRENT_HASHES, what="two hashes")
        done = [task for task in tasks if task.done()]
        # The five past the queue are refused at once, with a time to come back...
        assert len(done) == 5
        for task in done:
            with pytest.raises(Busy) as refused:
                task.result()
            assert refused.value.retry_after is not None and refused.value.retry_after > 0
        hasher.release.set()
        users = await asyncio.gather(*(task for task in tasks if task not in done))
        # ...and everyone queued was registered, never more than two hashes at a time.
        assert len(users) == MAX_QUEUED_HASHES
        assert hasher.most == MAX_CONCURRENT_HASHES
        login = await community.accounts.login("user0", "rahasia-123")
        assert login.username == "user0"
    finally:
        hasher.release.set()
        await community.close()


async def test_a_member_posts_a_burst_then_one_message_a_second(
    community: Community, clock: Clock
) -> None:
    ani = await register(community, "ani")
    budi = await register(community, "budi")
    room = await community.directory.create(ani, "Serikat", "work", "", "public")
    await community.directory.join_public(budi, room["id"])
    posted = [
        await community.chat.post(ani, room["id"], f"m{n}", client_id=f"client-{n:03d}")
        for n in range(POST_BURST)
    ]
    with pytest.raises(RateLimited) as refused:
        await community.chat.post(ani, room["id"], "one too many")
    assert refused.value.retry_after == pytest.approx(1.0)
    # A retry of a stored message is answered from storage and spends nothing.
    again = await community.chat.post(ani, room["id"], "m0", client_id="client-000")
    assert again["id"] == posted[0]["id"]
    await community.chat.post(budi, room["id"], "another member is not held up")
    clock.now += 1
    await community.chat.post(ani, room["id"], "one a second")
    page: list[dict[str, Any]]
    page, _ = await community.chat.history(ani, room["id"], None, limit=100)
    assert len(page) == POST_BURST + 2  # nothing refused was stored
