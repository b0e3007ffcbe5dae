"""Errors by audience, and the one function that maps any of them to a wire `error` message."""

from __future__ import annotations

from rooms.meeting.events import Error
from signalling.events import error

# Wire codes after which the server closes the socket (docs/protocol.md, error table).
CLOSING_CODES = frozenset(
    {
        "too_large",
        "version_unsupported",
        "unauthorized",
        "token_expired",
        "wrong_room",
        "hello_timeout",
        "server_full",
        "flooding",
        "not_a_member",
        "wrong_node",
        "draining",
    }
)

# A session's own close reasons that say what happened to the participant (the others see it
# in `participant_left`); anything else is a plain disconnection.
TELLING_REASONS = ("left", "replaced", "removed", "banned", "ended", "moved")


class ProtocolError(Exception):
    """The client sent something the protocol does not allow. Nothing was changed."""

    def __init__(self, code: str, message: str, in_reply_to: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.in_reply_to = in_reply_to

    @property
    def closes(self) -> bool:
        return self.code in CLOSING_CODES


def error_event(exc: BaseException, in_reply_to: str | None = None) -> Error:
    """The `error` message for `exc`. Unexpected exceptions say nothing about internals."""
    if isinstance(exc, ProtocolError):
        code, message = exc.code, exc.message
        in_reply_to = exc.in_reply_to or in_reply_to
    else:
        code, message = "internal", "the server failed to handle this message; it has been logged"
    return error(code, message, in_reply_to)
