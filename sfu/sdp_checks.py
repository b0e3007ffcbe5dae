"""What any SDP a client sends must satisfy before aiortc reads it (RFC 8866 and the WebRTC
profile of it): a refusal here names the problem; aiortc's own parser would raise whatever
Python error the malformed line led it to.

Checked on publish offers (sfu/publish_offer.py) and subscribe answers (sfu/subscriber.py).
"""

from __future__ import annotations

import re

# RFC 8122 section 5 hash functions still in use, with the length of their digests (bytes);
# md2 and md5 are not: RFC 8122 says they "SHOULD NOT" be used, and browsers never do.
FINGERPRINT_DIGEST_BYTES = {"sha-1": 20, "sha-224": 28, "sha-256": 32, "sha-384": 48, "sha-512": 64}
_HEX_PAIRS = re.compile(r"[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})*")
# RFC 8842 section 5: an offer says actpass; an answer says who it is, active or passive.
OFFER_SETUP = frozenset({"actpass", "active", "passive"})
ANSWER_SETUP = frozenset({"active", "passive"})
# RFC 8285 section 5: ids 1-14 fit the one-byte form, 1-255 the two-byte form (which browsers
# may use after a=extmap-allow-mixed). The SFU's id tables (sfu/rtp.py build_id_map) rewrite
# both forms, so both ranges are accepted; 0, and 256 and above, are no id at all.
EXTMAP_IDS = range(1, 256)
# RFC 5888 identification-tag is a token (RFC 8866 section 9); RFC 8843 sends it in the SDES
# MID header extension, whose one-byte element carries at most 16 bytes.
_DIGITS = re.compile(r"[0-9]{1,5}")
_MID = re.compile(r"[A-Za-z0-9!#$%&'*+\-.^_`{|}~]{1,16}")
# RFC 8866 section 9: no line may hold NUL, and CR and LF only end lines. No other control
# character has a place in a session description either.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# How much of each kind one media section (or the session part) may hold. aiortc's parser
# takes time quadratic in a section's lines: 900 a=rtpmap lines cost 0.3 s of the event loop,
# 25,000 a=ssrc lines 57 s. Chromium 156's video m-line with three simulcast layers has 125
# lines (its audio 31), at most 5 a=ssrc lines, and a few candidates per m-line.
MAX_SECTION_LINES = 400
MAX_SECTION_SSRC_LINES = 32  # a=ssrc and a=ssrc-group: simulcast with RTX needs about 12
MAX_SECTION_CANDIDATES = 32  # each is an address the server sends ICE checks to


def description_problem(text: str, *, offer: bool) -> str | None:
    """Why the SDP `text` cannot be accepted, or None. `offer`: an offer (else an answer).
    Linear in the size of `text`: a client chooses it (up to a websocket message)."""
    if not isinstance(text, str):
        return "the SDP must be text"
    control = _CONTROL.search(text)
    if control is not None:
        return f"the SDP holds a control character ({ord(control.group()):#04x})"
    reader = _Reader(offer)
    for raw in text.splitlines():
        problem = reader.line(raw.strip())
        if problem is not None:
            return problem
    return reader.problem_at_end()


class _Reader:
    """The state of `description_problem` while it reads an SDP line by line."""

    def __init__(self, offer: bool) -> None:
        self.setups = OFFER_SETUP if offer else ANSWER_SETUP
        self.offer = offer
        self.session = _Section()  # the lines before the first m= line
        self.sections: list[_Section] = []
        self.mids: set[str] = set()
        self.bundled: list[str] = []  # the mids of a=group:BUNDLE lines

    def line(self, line: str) -> str | None:
        if line.startswith("m="):
            self.sections.append(_Section())
            return None
        section = self.sections[-1] if self.sections else self.session
        section.lines += 1
        if section.lines > MAX_SECTION_LINES:
            return f"an m-line (or the session part) holds more than {MAX_SECTION_LINES} lines"
        if not line.startswith("a="):
            return None
        name, _, value = line[2:].partition(":")
        return section.attribute(name, value, self)

    def problem_at_end(self) -> str | None:
        # RFC 8843 section 7: every mid of a BUNDLE group names an m-line, once (aiortc would
        # bundle the tracks onto the transport of an m-line that is not there).
        grouped: set[str] = set()
        for mid in self.bundled:
            if mid not in self.mids or mid in grouped:
                return f"a=group:BUNDLE names mid {mid!r} that is not one m-line's"
            grouped.add(mid)
        for name, why in (
            ("fingerprint", "(RFC 8122): DTLS could not be authenticated"),
            ("setup", "(RFC 8842): the DTLS roles are not known"),
        ):
            if name not in self.session.seen and not all(name in s.seen for s in self.sections):
                return f"the SDP has no a={name} for every m-line {why}"
        # An answer may leave a rejected m-line out of the group; an offer to the SFU may not.
        sections = self.sections
        if self.offer and len(sections) > 1 and len(self.mids) == len(sections):
            if grouped != self.mids:
                return "every m-line must be in the a=group:BUNDLE group (RFC 8843): one transport"
        return None


class _Section:
    """What one media section (or the session part) held so far."""

    def __init__(self) -> None:
        self.lines = 0
        self.seen: set[str] = set()  # "fingerprint", "setup" once present
        self.ext_ids: dict[int, str] = {}
        self.ssrc_lines = 0
        self.candidates = 0

    def attribute(self, name: str, value: str, reader: _Reader) -> str | None:
        problem = None
        if name == "fingerprint":
            problem = _fingerprint_problem(value)
        elif name == "setup" and value not in reader.setups:
            problem = f"a=setup:{value} is not one of {', '.join(sorted(reader.setups))}"
        elif name == "extmap":
            problem = _extmap_problem(value, self.ext_ids)
        elif name == "mid" and self is not reader.session:
            problem = _mid_problem(value, reader.mids)
        elif name == "group" and value.split()[:1] == ["BUNDLE"]:
            reader.bundled.extend(value.split()[1:])
        elif name in ("ssrc", "ssrc-group"):
            self.ssrc_lines += 1
            if self.ssrc_lines > MAX_SECTION_SSRC_LINES:
                problem = f"an m-line holds more than {MAX_SECTION_SSRC_LINES} a=ssrc lines"
        elif name == "candidate":
            self.candidates += 1
            if self.candidates > MAX_SECTION_CANDIDATES:
                problem = f"an m-line holds more than {MAX_SECTION_CANDIDATES} candidates"
        if problem is None and name in ("fingerprint", "setup"):
            self.seen.add(name)
        return problem


def count_m_lines(text: str) -> int:
    """How many media sections the SDP `text` has (without reading them)."""
    return text.count("\nm=") + text.startswith("m=")


def _fingerprint_problem(value: str) -> str | None:
    """RFC 8122 section 5: hash-func SP fingerprint, the digest as colon-separated hex pairs."""
    parts = value.split()
    if len(parts) != 2:
        return f"a=fingerprint:{value} is not a hash function and a digest"
    function, digest = parts[0].lower(), parts[1]
    size = FINGERPRINT_DIGEST_BYTES.get(function)
    if size is None:
        return f"a=fingerprint uses an unknown hash function {parts[0]!r}"
    if not _HEX_PAIRS.fullmatch(digest) or len(digest) != size * 3 - 1:
        return f"a=fingerprint:{parts[0]} is not {size} hex pairs separated by colons"
    return None


def _extmap_problem(value: str, ids: dict[int, str]) -> str | None:
    parts = value.split()
    ext_id = parts[0].split("/")[0] if parts else ""
    # ASCII digits only: str.isdigit() also takes "²", which int() refuses.
    if len(parts) < 2 or not _DIGITS.fullmatch(ext_id) or int(ext_id) not in EXTMAP_IDS:
        return f"a=extmap:{value} needs an id from 1 to 255 and a URI (RFC 8285)"
    number, uri = int(ext_id), parts[1]
    if ids.setdefault(number, uri) != uri:
        return f"a=extmap id {number} names two extensions"
    return None


def _mid_problem(value: str, mids: set[str]) -> str | None:
    if not _MID.fullmatch(value):
        return f"a=mid:{value!r} is not a token of 1 to 16 characters"
    if value in mids:
        return f"a=mid:{value} names two m-lines"
    mids.add(value)
    return None
