"""Session and calendar tokens: HS256 JWTs naming one account.

`typ` keeps the three kinds of token apart: a session token (what login returns) is not a
meeting join token (rooms/meeting/grants.py, which has no `typ`) and cannot open a calendar feed's
permanent link, and a calendar token opens nothing but calendar feeds.
"""

from __future__ import annotations

from dataclasses import dataclass

import jwt

ALGORITHM = "HS256"
SESSION_TTL = 30 * 24 * 3600  # seconds: phones stay signed in for a month
_LEEWAY = 60  # seconds of clock difference tolerated between issuer and verifier


class TokenError(ValueError):
    """A token that does not identify anyone; the message says why."""


def mint_session(user_id: int, secret: str, now: float, ttl: int = SESSION_TTL) -> str:
    """`now` in seconds; kept to the millisecond (claim `ims`), so a session made right after
    a password change counts while one made just before does not."""
    claims = {
        "typ": "session",
        "sub": str(user_id),
        "iat": int(now),
        "ims": int(now * 1000),
        "exp": int(now) + ttl,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def mint_calendar(user_id: int, secret: str, generation: int = 0) -> str:
    """A feed token without expiry: calendar apps keep the link for years. An account revokes
    its links by moving to the next `generation` (rooms/community/calendar_links.py); rotating the
    server secret revokes every one of them. Generation 0 has no claim, so links made before
    generations existed stay the same and keep working until the account makes a new one."""
    claims: dict[str, str | int] = {"typ": "calendar", "sub": str(user_id)}
    if generation:
        claims["gen"] = generation
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


@dataclass(frozen=True)
class Verified:
    user_id: int
    kind: str  # "session" or "calendar"
    issued_ms: int | None  # sessions only (ms): an account can revoke the older ones
    generation: int = 0  # calendar links only: older generations were revoked


def decode(token: object, secret: str, now: int, kinds: tuple[str, ...] = ("session",)) -> Verified:
    """What a token of one of `kinds` says, or TokenError."""
    if not isinstance(token, str) or not token:
        raise TokenError("a token is required")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"verify_exp": False, "verify_iat": False, "require": ["sub", "typ"]},
        )
    except jwt.PyJWTError as exc:
        raise TokenError(f"invalid token: {exc}") from exc
    if claims["typ"] not in kinds:
        raise TokenError(f"a {claims['typ']} token cannot be used here")
    exp = claims.get("exp")
    if claims["typ"] == "session" and (not isinstance(exp, int) or exp + _LEEWAY < now):
        raise TokenError("the session has expired; please sign in again")
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject.isdigit():
        raise TokenError("invalid token: bad subject")
    issued_ms = claims.get("ims")
    if not isinstance(issued_ms, int) or isinstance(issued_ms, bool):
        issued_ms = None
    generation = claims.get("gen", 0)
    if not isinstance(generation, int) or isinstance(generation, bool) or generation < 0:
        raise TokenError("invalid token: bad generation")
    return Verified(int(subject), claims["typ"], issued_ms, generation)


def verify(token: object, secret: str, now: int, kinds: tuple[str, ...] = ("session",)) -> int:
    """The account id a token of one of `kinds` names, or TokenError."""
    return decode(token, secret, now, kinds).user_id


def still_valid(verified: Verified, sessions_valid_after_ms: int) -> bool:
    """A session issued before the account revoked its sessions (a password change, "sign out
    everywhere") is over; calendar links are not sessions and stay."""
    if verified.kind != "session" or sessions_valid_after_ms == 0:
        return True
    return verified.issued_ms is not None and verified.issued_ms >= sessions_valid_after_ms
