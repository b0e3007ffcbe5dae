"""The few facts the SFU needs from an SDP (RFC 8866), read without aiortc.

Decided once per negotiation, never per packet: which payload type carries the codec, which
SSRC a publisher sends on, which header-extension id means what.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


@dataclass
class Codec:
    payload_type: int
    name: str  # lower case, e.g. "vp8", "opus", "rtx"
    clock_rate: int
    apt: int | None = None  # RTX: the payload type it repairs (RFC 4588)


@dataclass
class MediaSection:
    kind: str
    port: int
    mid: str | None = None
    direction: str = "sendrecv"
    codecs: list[Codec] = field(default_factory=list)  # in preference order
    extensions: dict[str, int] = field(default_factory=dict)  # uri -> id
    ssrcs: list[int] = field(default_factory=list)  # in order of first appearance
    fid_groups: list[tuple[int, int]] = field(default_factory=list)  # (media ssrc, rtx ssrc)

    def codec(self, name: str) -> Codec | None:
        for codec in self.codecs:
            if codec.name == name:
                return codec
        return None

    @property
    def media_ssrc(self) -> int | None:
        """The SSRC carrying media: the first of a FID group, else the first listed."""
        if self.fid_groups:
            return self.fid_groups[0][0]
        return self.ssrcs[0] if self.ssrcs else None

    @property
    def rtx_ssrcs(self) -> set[int]:
        return {rtx for _media, rtx in self.fid_groups}


def parse(text: str) -> list[MediaSection]:
    """Media sections of an SDP; ValueError when it is not a session description."""
    if not isinstance(text, str) or not text.lstrip().startswith("v=0"):
        raise ValueError("SDP must start with v=0")
    sections: list[MediaSection] = []
    current: MediaSection | None = None
    fmtp_apt: dict[int, int] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            if current is not None:
                _apply_apt(current, fmtp_apt)
            current = _parse_m_line(line)
            fmtp_apt = {}
            sections.append(current)
        elif current is not None and line.startswith("a="):
            _parse_attribute(current, line[2:], fmtp_apt)
    if current is not None:
        _apply_apt(current, fmtp_apt)
    return sections


def _parse_m_line(line: str) -> MediaSection:
    parts = line[2:].split()
    if len(parts) < 3:
        raise ValueError(f"malformed m= line: {line!r}")
    try:
        port = int(parts[1].split("/")[0])
    except ValueError as exc:
        raise ValueError(f"malformed port in m= line: {line!r}") from exc
    return MediaSection(kind=parts[0], port=port)


def _parse_attribute(section: MediaSection, attr: str, fmtp_apt: dict[int, int]) -> None:
    name, _, value = attr.partition(":")
    try:
        if name == "mid":
            section.mid = value
        elif name in DIRECTIONS:
            section.direction = name
        elif name == "rtpmap":
            pt, _, encoding = value.partition(" ")
            codec_name, _, rest = encoding.partition("/")
            clock = rest.split("/")[0]
            section.codecs.append(Codec(int(pt), codec_name.lower(), int(clock)))
        elif name == "fmtp":
            pt, _, params = value.partition(" ")
            for param in params.split(";"):
                key, _, val = param.strip().partition("=")
                if key == "apt":
                    fmtp_apt[int(pt)] = int(val)
        elif name == "extmap":
            ext_id, _, rest = value.partition(" ")
            uri = rest.split()[0]
            section.extensions[uri] = int(ext_id.split("/")[0])
        elif name == "ssrc":
            ssrc = int(value.split()[0])
            if ssrc not in section.ssrcs:
                section.ssrcs.append(ssrc)
        elif name == "ssrc-group":
            parts = value.split()
            if parts[0] == "FID" and len(parts) == 3:
                section.fid_groups.append((int(parts[1]), int(parts[2])))
    except (ValueError, IndexError) as exc:
        raise ValueError(f"malformed a={attr!r}") from exc


def _apply_apt(section: MediaSection, fmtp_apt: dict[int, int]) -> None:
    for codec in section.codecs:
        codec.apt = fmtp_apt.get(codec.payload_type)


def announce_addresses(text: str, replacements: dict[str, str]) -> str:
    """Replace local addresses in candidates and c= lines with announced ones (1:1 NAT).

    The ICE agent keeps using its real sockets; only what the remote side is told changes.
    The key "*" stands for every address not named otherwise.
    """
    if not replacements:
        return text
    newline = "\r\n" if "\r\n" in text else "\n"  # RFC 8866 asks for CRLF; accept bare LF
    out = []
    for line in text.split(newline):
        if line.startswith("a=candidate:"):
            parts = line.split(" ")
            if len(parts) > 7:
                # "*" covers host candidates only: reflexive and relay ones are public already.
                default = replacements.get("*", parts[4]) if parts[7] == "host" else parts[4]
                parts[4] = replacements.get(parts[4], default)
            line = " ".join(parts)
        elif line.startswith("c=IN "):
            parts = line.split(" ")
            if len(parts) == 3:
                parts[2] = replacements.get(parts[2], replacements.get("*", parts[2]))
            line = " ".join(parts)
        out.append(line)
    return newline.join(out)


def drop_mdns_candidates(text: str) -> str:
    """Remove candidates whose address is an mDNS name (`*.local`).

    Browsers hide host addresses behind mDNS names; resolving them would send multicast queries.
    The SFU learns such a peer's address from its connectivity checks instead (RFC 8445 7.3.1.3,
    peer-reflexive candidates), so nothing is lost, as long as the ICE agent is not told that
    the candidates it got are all there are: with no candidate left in a media section, its
    `a=end-of-candidates` goes too (aioice would otherwise give up on that component before
    the first check arrives).
    """
    newline = "\r\n" if "\r\n" in text else "\n"
    sections: list[list[str]] = [[]]
    for line in text.split(newline):
        if line.startswith("m="):
            sections.append([])
        if not (line.startswith("a=candidate:") and _candidate_host(line).endswith(".local")):
            sections[-1].append(line)
    kept: list[str] = []
    for section in sections:
        if not any(line.startswith("a=candidate:") for line in section):
            section = [line for line in section if line != "a=end-of-candidates"]
        kept.extend(section)
    return newline.join(kept)


def _candidate_host(line: str) -> str:
    parts = line.split(" ")
    return parts[4] if len(parts) > 4 else ""
