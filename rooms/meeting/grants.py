"""Join tokens: HS256 JWTs that admit one identity to one room with publish/subscribe grants.

Claims follow LiveKit's video grants in spirit: room, identity (`sub`), display name, and what
the holder may do with media. `now` is passed in so the rules are testable without a clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import jwt

from rooms.meeting.stage import MEETING_ROLES, MeetingRole
from rooms.text import printable, unsendable

ALGORITHM = "HS256"
DEFAULT_TTL = 6 * 3600  # seconds: a guest link (`kamar token`) lasts a long meeting
# A member's token is fetched from the HTTP API right before each join and rejoin
# (web/meeting/room.js), so it only has to outlive opening the camera; what admits a member is
# their membership, checked again at hello (rooms/meeting/meeting_access.py).
MEMBER_TTL = 5 * 60
MAX_TTL = 30 * 24 * 3600
MEETING_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # used with fullmatch
MAX_IDENTITY = 128
MAX_DISPLAY_NAME = 80


class GrantError(ValueError):
    """A token that does not admit its holder. `code` is the wire error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class JoinGrant:
    meeting: str  # the meeting's name; its claim on the wire keeps the old name "room"
    identity: str
    name: str
    can_publish: bool = True
    can_subscribe: bool = True
    # Meeting role (rooms/meeting/stage.py): moderator, speaker or audience. None: speaker when the
    # token may publish, audience otherwise (tokens made before roles existed).
    role: MeetingRole | None = None
    # The agenda event a town hall belongs to: its questions and comments are stored there.
    event_id: int | None = None
    # When it was minted (claim `iat`, seconds); set by verify, ignored by mint.
    issued_at: int | None = field(default=None, compare=False)

    @property
    def meeting_role(self) -> MeetingRole:
        if self.role is not None:
            return self.role
        return "speaker" if self.can_publish else "audience"


def validate_meeting_name(name: object) -> str:
    if not isinstance(name, str) or not MEETING_NAME.fullmatch(name):
        raise ValueError(
            "room names are 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def mint(grant: JoinGrant, secret: str, now: int, ttl: int = DEFAULT_TTL) -> str:
    """Sign a token for `grant`, valid from `now` for `ttl` seconds. ValueError on bad input."""
    validate_meeting_name(grant.meeting)
    if not grant.identity or len(grant.identity) > MAX_IDENTITY:
        raise ValueError(f"identity must be 1-{MAX_IDENTITY} characters")
    if unsendable(grant.identity):
        raise ValueError("identity may not hold control characters or lone surrogates")
    if len(grant.name) > MAX_DISPLAY_NAME:
        raise ValueError(f"display name must be at most {MAX_DISPLAY_NAME} characters")
    if not 0 < ttl <= MAX_TTL:
        raise ValueError(f"ttl must be between 1 and {MAX_TTL} seconds")
    claims = {
        "room": grant.meeting,
        "sub": grant.identity,
        # A display name from an account or a form: what cannot be shown is dropped here, so
        # a token of ours never carries it (verify refuses it).
        "name": printable(grant.name) or grant.identity,
        "can_publish": grant.can_publish,
        "can_subscribe": grant.can_subscribe,
        "iat": now,
        "exp": now + ttl,
    }
    if grant.role is not None:
        if grant.role not in MEETING_ROLES:
            raise ValueError(f"role must be one of {', '.join(MEETING_ROLES)}")
        claims["role"] = grant.role
    if grant.event_id is not None:
        claims["event_id"] = grant.event_id
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify(token: object, secret: str, now: int) -> JoinGrant:
    """The grant in `token`, or GrantError (`unauthorized` / `token_expired`)."""
    if not isinstance(token, str) or not token:
        raise GrantError("unauthorized", "a join token is required")
    try:
        # Time claims are checked below against `now` only, never PyJWT's wall clock, so the
        # caller (and tests) own the clock.
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "require": ["exp", "sub", "room"],
            },
        )
    except jwt.InvalidTokenError as exc:
        # PyJWT's words ("Invalid payload padding") are for the log (signalling/joining.py
        # logs the cause), never for the member holding the link.
        raise GrantError("unauthorized", "the join token is not valid") from exc
    if not isinstance(claims.get("exp"), int) or claims["exp"] <= now:
        raise GrantError("token_expired", "the join token has expired; ask for a new link")
    room, identity, name = claims.get("room"), claims.get("sub"), claims.get("name", "")
    if not isinstance(room, str) or not MEETING_NAME.fullmatch(room):
        raise GrantError("unauthorized", "the join token names no valid room")
    if not isinstance(identity, str) or not 0 < len(identity) <= MAX_IDENTITY:
        raise GrantError("unauthorized", "the join token names no valid identity")
    if not isinstance(name, str):
        raise GrantError("unauthorized", "the join token's name is not text")
    # Both go into events for everyone in the room: text no socket can carry stays out.
    if unsendable(identity) or unsendable(name):
        raise GrantError("unauthorized", "the join token's identity or name holds bad characters")
    claimed_role, event_id, iat = claims.get("role"), claims.get("event_id"), claims.get("iat")
    role = next((r for r in MEETING_ROLES if r == claimed_role), None)
    if claimed_role is not None and role is None:
        raise GrantError("unauthorized", "the join token names no valid meeting role")
    if event_id is not None and (not isinstance(event_id, int) or isinstance(event_id, bool)):
        raise GrantError("unauthorized", "the join token's event is not an id")
    return JoinGrant(
        meeting=room,
        identity=identity,
        name=(name or identity)[:MAX_DISPLAY_NAME],
        can_publish=claims.get("can_publish") is True,
        can_subscribe=claims.get("can_subscribe", True) is True,
        role=role,
        event_id=event_id,
        issued_at=iat if isinstance(iat, int) and not isinstance(iat, bool) else None,
    )
