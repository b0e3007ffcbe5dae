"""Errors of the community domain, each with the wire code the API and websocket report.

The HTTP edge maps `code` to a status (server/api/routing.py); `field` names the request field
at fault when there is one; `reason` is a stable key for one situation a member meets (e.g.
"wrong_login"), so the web client can say it in the member's language (web/strings/errors.js)
instead of showing `message`, which is English for developers and logs. Every code and reason
must have a text there: tests/web/test_error_texts.py walks the source for them.
Raising one of these means nothing was changed.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "bad_request"

    def __init__(
        self,
        message: str,
        field: str | None = None,
        retry_after: float | None = None,
        *,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.retry_after = retry_after  # seconds until trying again may succeed
        self.reason = reason


class Invalid(DomainError):
    code = "bad_request"


class Unauthorized(DomainError):
    code = "unauthorized"


class Forbidden(DomainError):
    code = "forbidden"


class NotFound(DomainError):
    code = "not_found"


class Conflict(DomainError):
    code = "conflict"


class TooLarge(DomainError):
    code = "too_large"


class UnsupportedMedia(DomainError):
    code = "unsupported_media_type"


class RateLimited(DomainError):
    """Too many requests from one member, account or address: `retry_after` says when."""

    code = "rate_limited"


class Busy(DomainError):
    """The server is at a capacity limit for everyone (not this caller's fault)."""

    code = "busy"
