"""Session, calendar and meeting join tokens: each opens only its own door; sessions expire."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from rooms.community import sessions
from rooms.meeting import grants

SECRET = "a test secret that is long enough for HS256"
NOW = 1_795_000_000

SESSION = sessions.mint_session(7, SECRET, NOW)
CALENDAR = sessions.mint_calendar(7, SECRET)
JOIN = grants.mint(grants.JoinGrant("kamar-1", "user-7", "Ani"), SECRET, NOW)


@pytest.mark.parametrize(
    ("token", "kinds", "user_id"),
    [
        (SESSION, ("session",), 7),
        (SESSION, ("calendar", "session"), 7),
        (CALENDAR, ("calendar",), 7),
        (CALENDAR, ("calendar", "session"), 7),
    ],
)
def test_each_token_opens_its_own_door(token: str, kinds: tuple[str, ...], user_id: int) -> None:
    assert sessions.verify(token, SECRET, NOW, kinds) == user_id


@pytest.mark.parametrize(
    ("token", "kinds"),
    [
        (CALENDAR, ("session",)),  # a calendar link does not sign anyone in
        (JOIN, ("session",)),  # nor does a meeting join token
        (JOIN, ("calendar", "session")),
        (SESSION[:-2], ("session",)),
        (sessions.mint_session(7, "another secret, also long enough", NOW), ("session",)),
        ("", ("session",)),
        (None, ("session",)),
        ("not.a.jwt", ("session",)),
    ],
)
def test_tokens_cannot_be_swapped_or_forged(token: Any, kinds: tuple[str, ...]) -> None:
    with pytest.raises(sessions.TokenError):
        sessions.verify(token, SECRET, NOW, kinds)


@pytest.mark.parametrize("token", [SESSION, CALENDAR])
def test_session_and_calendar_tokens_are_not_join_tokens(token: str) -> None:
    with pytest.raises(grants.GrantError):
        grants.verify(token, SECRET, NOW)


@pytest.mark.parametrize(
    ("later", "valid"),
    [(0, True), (sessions.SESSION_TTL, True), (sessions.SESSION_TTL + 60, True)]
    + [(sessions.SESSION_TTL + 61, False), (10 * sessions.SESSION_TTL, False)],
)
def test_a_session_expires_after_its_ttl_and_a_minute_of_leeway(later: int, valid: bool) -> None:
    if valid:
        assert sessions.verify(SESSION, SECRET, NOW + later) == 7
    else:
        with pytest.raises(sessions.TokenError, match="expired"):
            sessions.verify(SESSION, SECRET, NOW + later)


def test_a_calendar_token_never_expires() -> None:
    assert sessions.verify(CALENDAR, SECRET, NOW + 10**9, ("calendar",)) == 7


def test_a_calendar_token_names_its_generation_and_old_links_stay_byte_identical() -> None:
    assert sessions.mint_calendar(7, SECRET, 0) == CALENDAR  # links made before generations
    assert sessions.decode(CALENDAR, SECRET, NOW, ("calendar",)).generation == 0
    third = sessions.mint_calendar(7, SECRET, 3)
    assert sessions.decode(third, SECRET, NOW, ("calendar",)).generation == 3


@pytest.mark.parametrize("generation", [-1, "2", True, 1.5, None])
def test_a_calendar_token_with_a_bad_generation_is_refused(generation: object) -> None:
    token = jwt.encode({"typ": "calendar", "sub": "7", "gen": generation}, SECRET, "HS256")
    with pytest.raises(sessions.TokenError, match="generation"):
        sessions.decode(token, SECRET, NOW, ("calendar",))
