"""Fixtures for the community domain: a Community on each database, a settable clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher

from rooms.community.account_rules import Registration
from rooms.community.accounts import User
from rooms.community.bus import LocalBus
from rooms.community.community import Community, open_community
from signalling.events import encode

# Cheap argon2 parameters: tests hash dozens of passwords; production uses the library's.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
START = 1_795_000_000.0  # 2026-11-18 11:06:40 UTC, a fixed "now"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def community(database_url: str, tmp_path: Path, clock: Clock) -> AsyncIterator[Community]:
    opened = await open_community(
        database_url, tmp_path, clock, bus=LocalBus(encode), hasher=CHEAP_HASHER
    )
    try:
        yield opened
    finally:
        await opened.close()


async def register(community: Community, name: str, **kwargs: Any) -> User:
    form = Registration(password="rahasia-123", display_name=name.title(), username=name, **kwargs)
    return await community.accounts.register(form)
