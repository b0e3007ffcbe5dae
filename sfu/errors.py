"""Errors the media core reports to the signalling layer; messages are safe to show a client."""


class NegotiationError(ValueError):
    """An SDP the SFU cannot accept. Nothing changed; the client may send a corrected one."""


class NegotiationStateError(Exception):
    """A negotiation message that does not fit the current state (e.g. a stale answer)."""
