"""Join tokens: HS256 JWTs checked against an injected `now`, never the wall clock."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from rooms.meeting import grants
from rooms.meeting.grants import GrantError, JoinGrant

SECRET = "s" * 48
NOW = 1_700_000_000  # a fixed past instant: nothing here may depend on today's date


def claims_token(claims: dict[str, Any], secret: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


def base_claims(**changes: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "room": "standup",
        "sub": "user-42",
        "name": "Ada",
        "can_publish": True,
        "can_subscribe": True,
        "iat": NOW,
        "exp": NOW + 600,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not ...}


def test_a_minted_grant_verifies_to_the_same_grant() -> None:
    grant = JoinGrant("standup", "user-42", "Ada", can_publish=False, can_subscribe=True)
    assert grants.verify(grants.mint(grant, SECRET, NOW), SECRET, NOW + 1) == grant


def test_the_token_carries_issue_time_expiry_and_the_grants() -> None:
    token = grants.mint(JoinGrant("standup", "user-42", ""), SECRET, NOW, ttl=120)
    claims = jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})
    assert claims == {
        "room": "standup",
        "sub": "user-42",
        "name": "user-42",
        "can_publish": True,
        "can_subscribe": True,
        "iat": NOW,
        "exp": NOW + 120,
    }


@pytest.mark.parametrize(
    ("later", "valid"),
    [(0, True), (grants.DEFAULT_TTL - 1, True), (grants.DEFAULT_TTL, False), (10**9, False)],
)
def test_a_token_expires_exactly_ttl_seconds_after_minting(later: int, valid: bool) -> None:
    token = grants.mint(JoinGrant("standup", "user-42", "Ada"), SECRET, NOW)
    if valid:
        assert grants.verify(token, SECRET, NOW + later).identity == "user-42"
    else:
        with pytest.raises(GrantError) as caught:
            grants.verify(token, SECRET, NOW + later)
        assert caught.value.code == "token_expired"
        assert "expired" in str(caught.value)


def test_a_token_signed_with_another_secret_is_unauthorized() -> None:
    token = grants.mint(JoinGrant("standup", "user-42", "Ada"), "t" * 48, NOW)
    with pytest.raises(GrantError, match="not valid") as caught:
        grants.verify(token, SECRET, NOW)
    assert caught.value.code == "unauthorized"


@pytest.mark.parametrize("token", [None, "", 42, b"abc", "not-a-jwt", "a.b.c", ["x"]])
def test_things_that_are_not_tokens_are_unauthorized(token: object) -> None:
    with pytest.raises(GrantError) as caught:
        grants.verify(token, SECRET, NOW)
    assert caught.value.code == "unauthorized"
    assert isinstance(caught.value, ValueError)


def test_an_unsigned_token_is_refused() -> None:
    with pytest.raises(GrantError) as caught:
        grants.verify(claims_token(base_claims(), secret="", algorithm="none"), SECRET, NOW)
    assert caught.value.code == "unauthorized"


@pytest.mark.parametrize("missing", ["exp", "sub", "room"])
def test_a_token_without_a_required_claim_is_unauthorized(missing: str) -> None:
    token = claims_token(base_claims(**{missing: ...}))
    with pytest.raises(GrantError) as caught:
        grants.verify(token, SECRET, NOW)
    assert caught.value.code == "unauthorized"
    # PyJWT's explanation is kept for the server's log, never put in the member's message.
    assert missing in str(caught.value.__cause__)
    assert str(caught.value) == "the join token is not valid"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"room": "../etc"}, "no valid room"),
        ({"room": ""}, "no valid room"),
        ({"room": 7}, "no valid room"),
        ({"sub": ""}, "no valid identity"),
        ({"sub": "x" * 129}, "no valid identity"),
        ({"name": 5}, "name is not text"),
    ],
)
def test_tokens_with_unusable_claims_are_unauthorized(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(GrantError, match=message) as caught:
        grants.verify(claims_token(base_claims(**changes)), SECRET, NOW)
    assert caught.value.code == "unauthorized"


@pytest.mark.parametrize(
    ("exp", "code"),
    [
        (NOW, "token_expired"),
        (NOW - 1, "token_expired"),
        ("soon", "token_expired"),
        (None, "unauthorized"),  # a null claim counts as missing
    ],
)
def test_a_past_or_non_integer_expiry_is_refused(exp: object, code: str) -> None:
    with pytest.raises(GrantError) as caught:
        grants.verify(claims_token(base_claims(exp=exp)), SECRET, NOW)
    assert caught.value.code == code


def test_missing_optional_claims_get_safe_defaults() -> None:
    token = claims_token(base_claims(name=..., can_publish=..., can_subscribe=...))
    grant = grants.verify(token, SECRET, NOW)
    assert grant == JoinGrant("standup", "user-42", "user-42", False, True)


@pytest.mark.parametrize("value", [1, "true", "yes", None])
def test_only_json_true_grants_publishing(value: object) -> None:
    grant = grants.verify(claims_token(base_claims(can_publish=value)), SECRET, NOW)
    assert grant.can_publish is False


def test_a_long_display_name_from_a_foreign_token_is_cut_to_80_characters() -> None:
    grant = grants.verify(claims_token(base_claims(name="n" * 200)), SECRET, NOW)
    assert grant.name == "n" * grants.MAX_DISPLAY_NAME


@pytest.mark.parametrize("room", ["a", "A1", "room.name_with-dashes", "9" * 64, "x" + "." * 63])
def test_valid_room_names(room: str) -> None:
    assert grants.validate_meeting_name(room) == room


@pytest.mark.parametrize(
    "room", ["", "-lead", ".hidden", "_x", "a" * 65, "has space", "ümlaut", "a/b", None, 12]
)
def test_invalid_room_names_raise_a_readable_value_error(room: object) -> None:
    with pytest.raises(ValueError, match="room names are 1-64"):
        grants.validate_meeting_name(room)


def test_a_room_name_with_a_trailing_newline_is_rejected() -> None:
    with pytest.raises(ValueError):
        grants.validate_meeting_name("standup\n")


@pytest.mark.parametrize(
    ("grant", "ttl", "message"),
    [
        (JoinGrant("bad room", "u", "n"), 60, "room names"),
        (JoinGrant("r", "", "n"), 60, "identity must be 1-128"),
        (JoinGrant("r", "u" * 129, "n"), 60, "identity must be 1-128"),
        (JoinGrant("r", "u", "n" * 81), 60, "display name must be at most 80"),
        (JoinGrant("r", "u", "n"), 0, "ttl must be between 1 and"),
        (JoinGrant("r", "u", "n"), -5, "ttl must be between 1 and"),
        (JoinGrant("r", "u", "n"), grants.MAX_TTL + 1, "ttl must be between 1 and"),
    ],
)
def test_mint_refuses_bad_input(grant: JoinGrant, ttl: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        grants.mint(grant, SECRET, NOW, ttl=ttl)


def test_mint_accepts_the_limits() -> None:
    grant = JoinGrant("r", "u" * 128, "n" * 80)
    for ttl in (1, grants.MAX_TTL):
        assert grants.verify(grants.mint(grant, SECRET, NOW, ttl=ttl), SECRET, NOW) == grant


def test_verification_depends_only_on_the_injected_now() -> None:
    future = 4_000_000_000  # year 2096
    token = grants.mint(JoinGrant("standup", "user-42", "Ada"), SECRET, future)
    assert grants.verify(token, SECRET, future + 1).identity == "user-42"
