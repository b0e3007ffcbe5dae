"""Text that can travel: the one rule for strings that end up in events sent to sockets.

JSON lets a client (or a token's claims) carry a lone UTF-16 surrogate such as "\\ud800": it
parses into a Python str, but has no UTF-8 form, so any event that holds it fails to encode for
every recipient. Control characters other than tab, line feed and carriage return (SDP lines
end in CR LF) mean nothing to a person and confuse logs and terminals (NUL above all).
"""

from __future__ import annotations

import re

_UNSENDABLE = re.compile("[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f\\ud800-\\udfff]")
_SURROGATE = re.compile("[\\ud800-\\udfff]")
_CONTROL = re.compile("[\\x00-\\x1f\\x7f]")
REPLACEMENT = "\ufffd"  # U+FFFD, what a decoder shows for bytes it cannot read


def unsendable(text: str) -> bool:
    """True when `text` holds a lone surrogate or a control character (see above)."""
    return _UNSENDABLE.search(text) is not None


def surrogates_replaced(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD, so it has a UTF-8 form."""
    return _SURROGATE.sub(REPLACEMENT, text)


def printable(text: str) -> str:
    """`text` fit for a display name in events: lone surrogates become U+FFFD, control
    characters (tab and line ends included: names are one line) are dropped."""
    return _CONTROL.sub("", surrogates_replaced(text))
