"""Session and calendar tokens: HS256 JWTs naming one account.

`typ` keeps the three kinds of token apart: a session token (what login returns) is not a
meeting join token (rooms/grants.py, which has no `typ`) and cannot open a calendar feed's
permanent link, and a calendar token opens nothing but calendar feeds.
"""

from __future__ import annotations

import jwt

ALGORITHM = "HS256"
SESSION_TTL = 30 * 24 * 3600  # seconds: phones stay signed in for a month
_LEEWAY = 60  # seconds of clock difference tolerated between issuer and verifier


class TokenError(ValueError):
    """A token that does not identify anyone; the message says why."""


def mint_session(user_id: int, secret: str, now: int, ttl: int = SESSION_TTL) -> str:
    claims = {"typ": "session", "sub": str(user_id), "iat": now, "exp": now + ttl}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def mint_calendar(user_id: int, secret: str) -> str:
    """A feed token without expiry: calendar apps keep the link for years. Rotating the server
    secret revokes every one of them."""
    return jwt.encode({"typ": "calendar", "sub": str(user_id)}, secret, algorithm=ALGORITHM)


def verify(token: object, secret: str, now: int, kinds: tuple[str, ...] = ("session",)) -> int:
    """The account id a token of one of `kinds` names, or TokenError."""
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
    return int(subject)
