"""Organising runs on the community's database: the same fixtures, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from rooms.community.community import Community
from rooms.organising import Organising, open_organising
from tests.rooms.conftest import Clock, clock, community  # noqa: F401 (fixtures)


@pytest.fixture
def organising(community: Community, clock: Clock) -> Organising:  # noqa: F811
    return open_organising(community, clock, "test-secret")
