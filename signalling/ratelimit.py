"""Per-socket limits on inbound frames (docs/protocol.md, "Rate limits"). Sans-I/O: `now` in.

Every frame takes a token from the socket's overall bucket before it is even parsed, and a
parsed message one more from the bucket of its kind. A refused frame changes nothing: the first
refusal of a kind in a second is answered with `rate_limited`, the others are dropped silently
(answering each would only fill the sender's own outbox). Refusals themselves are counted in a
bucket of their own: a socket that keeps sending far past its limits is closed (`flooding`).
"""

from __future__ import annotations

from rooms.ratelimit import TokenBucket
from signalling.errors import ProtocolError

# (rate per second, burst). Every frame, valid or not, counts against FRAMES.
FRAMES = (60.0, 200.0)
# State toggles and other actions whose effect reaches other participants.
_TOGGLE = (4.0, 10.0)
# Per-tile requests: a layout change sends one per visible tile at once, and the web client
# sends each tile's size at most 4 times a second while a window is being resized.
_PER_TILE = (50.0, 200.0)
_NEGOTIATION = (4.0, 10.0)
KINDS: dict[str, tuple[float, float]] = {
    "mute": _TOGGLE,
    "data_saver": _TOGGLE,
    "raise_hand": _TOGGLE,
    "vote": _TOGGLE,
    "set_role": _TOGGLE,
    "mute_participant": _TOGGLE,
    "mute_all": _TOGGLE,
    "lock_meeting": _TOGGLE,
    "set_lobby": _TOGGLE,
    "admit": _TOGGLE,
    "answer_question": _TOGGLE,
    "hide_question": _TOGGLE,
    "remove_participant": _TOGGLE,
    "ask": (1.0, 3.0),
    # Each start spawns ffmpeg processes; a second start while one runs is refused anyway.
    "egress_start": (1.0, 3.0),
    "egress_stop": (1.0, 3.0),
    "pause_video": _PER_TILE,
    "video_size": _PER_TILE,
    "publish_offer": _NEGOTIATION,
    "subscribe_answer": _NEGOTIATION,
    "unpublish": _NEGOTIATION,
    "typing": (4.0, 8.0),
    "read": (10.0, 20.0),
    "ping": (2.0, 10.0),
}
# Refused frames a socket may send (burst, then per second) before it is closed as flooding.
REFUSALS = (20.0, 600.0)
ANSWER_INTERVAL = 1.0  # seconds: the most often one kind's refusal is answered


class Dropped(Exception):  # noqa: N818 - a verdict, not a failure
    """A refused frame that gets no answer (one was sent less than a second ago)."""


def _bucket(limit: tuple[float, float]) -> TokenBucket:
    rate, burst = limit
    return TokenBucket(capacity=burst, per_second=rate)


class FrameLimits:
    def __init__(self) -> None:
        self._frames = _bucket(FRAMES)
        self._kinds: dict[str, TokenBucket] = {}
        self._refusals = _bucket(REFUSALS)
        self._answered: dict[str, float] = {}

    def frame(self, now: float) -> None:
        """Admit one frame before parsing it, or raise (see `_refuse`)."""
        if self._frames.take(now):
            self._refuse("*", now, f"at most {FRAMES[0]:g} messages a second")

    def message(self, kind: str, now: float) -> None:
        """Admit one parsed message of wire type `kind`, or raise (see `_refuse`)."""
        limit = KINDS.get(kind)
        if limit is None:
            return
        bucket = self._kinds.get(kind)
        if bucket is None:
            bucket = self._kinds[kind] = _bucket(limit)
        if bucket.take(now):
            self._refuse(kind, now, f"at most {limit[0]:g} {kind} messages a second")

    def _refuse(self, kind: str, now: float, rule: str) -> None:
        """ProtocolError `flooding` (closes) once refusals run out, `rate_limited` for the
        first refusal of `kind` in ANSWER_INTERVAL, Dropped for the rest."""
        if self._refusals.take(now):
            raise ProtocolError(
                "flooding", "too many messages past the rate limits; the connection is closed"
            )
        if now - self._answered.get(kind, -ANSWER_INTERVAL) >= ANSWER_INTERVAL:
            self._answered[kind] = now
            in_reply_to = None if kind == "*" else kind
            raise ProtocolError("rate_limited", f"slow down: {rule}", in_reply_to=in_reply_to)
        raise Dropped
