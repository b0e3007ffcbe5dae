"""The few facts the SFU needs from an SDP (RFC 8866), read without aiortc.

Decided once per negotiation, never per packet: which payload type carries the codec, which
SSRC a publisher sends on, which header-extension id means what.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")
# RFC 8852: the RTP stream id (rid) of each simulcast layer, and of its RTX repair stream.
RID_URI = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
REPAIRED_RID_URI = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
TRANSPORT_CC_URI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
# Chromium sends at most three simulcast layers; more would only cost the publisher's uplink.
MAX_SIMULCAST_LAYERS = 3
# RFC 8851 section 10: rid-id = 1*(alpha-numeric / "-" / "_"); RFC 8852 carries it in at most
# 16 bytes of a one-byte header extension element.
MAX_RID_LENGTH = 16


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
    # The same, to look up: a list scan per a=ssrc line made 25,000 of them cost 30 s of CPU.
    ssrc_set: set[int] = field(default_factory=set, repr=False, compare=False)
    fid_groups: list[tuple[int, int]] = field(default_factory=list)  # (media ssrc, rtx ssrc)
    rids: dict[str, str] = field(default_factory=dict)  # rid -> direction (RFC 8851 a=rid)
    # RFC 8853 a=simulcast: the rids this side sends, one per layer, in the order listed.
    simulcast_send: list[str] = field(default_factory=list)
    # RFC 4585 a=rtcp-fb: payload type (-1 for "*") -> the feedback types listed for it.
    feedback: dict[int, set[str]] = field(default_factory=dict)

    def accepts_feedback(self, payload_type: int, kind: str) -> bool:
        return any(kind in self.feedback.get(pt, ()) for pt in (payload_type, -1))

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
            if ssrc not in section.ssrc_set:
                section.ssrc_set.add(ssrc)
                section.ssrcs.append(ssrc)
        elif name == "rid":
            rid, _, rest = value.partition(" ")
            section.rids[rid] = rest.split()[0]
        elif name == "rtcp-fb":
            pt, _, kind = value.partition(" ")
            section.feedback.setdefault(-1 if pt == "*" else int(pt), set()).add(kind.strip())
        elif name == "simulcast":
            section.simulcast_send = _simulcast_send(value)
        elif name == "ssrc-group":
            parts = value.split()
            if parts[0] == "FID" and len(parts) == 3:
                section.fid_groups.append((int(parts[1]), int(parts[2])))
    except (ValueError, IndexError) as exc:
        raise ValueError(f"malformed a={attr!r}") from exc


def _simulcast_send(value: str) -> list[str]:
    """The send rids of an RFC 8853 `a=simulcast` value, e.g. "send q;h;~f recv x".

    Each `;`-separated entry is one layer, its `,`-separated alternatives rids in order of
    preference: the first is taken. A leading `~` marks a layer paused at the start; it is
    still a layer, so it is kept (without the `~`).
    """
    parts = value.split()
    for direction, streams in zip(parts[::2], parts[1::2], strict=False):
        if direction == "send":
            return [entry.split(",")[0].lstrip("~") for entry in streams.split(";")]
    return []


def simulcast_problem(section: MediaSection) -> str | None:
    """Why a section's simulcast offer cannot be accepted, or None when it can (or has none)."""
    rids = section.simulcast_send
    if not rids:
        return None
    if section.kind != "video":
        return "simulcast is only accepted on video"
    if len(rids) > MAX_SIMULCAST_LAYERS:
        return f"at most {MAX_SIMULCAST_LAYERS} simulcast layers can be published"
    if len(set(rids)) != len(rids):
        return "a=simulcast names a rid twice"
    for rid in rids:
        if (
            not rid
            or len(rid) > MAX_RID_LENGTH
            or not rid.replace("-", "").replace("_", "").isalnum()
            or not rid.isascii()
        ):
            return f"rid {rid!r} is not a valid RTP stream id (RFC 8851)"
        if section.rids.get(rid) != "send":
            return f"a=simulcast names rid {rid!r} without an a=rid:{rid} send line"
    if RID_URI not in section.extensions:
        return f"simulcast needs the {RID_URI} header extension"
    return None


def extension_id(text: str, uri: str) -> int:
    """The id an SDP gives header extension `uri` (RFC 8285: one per BUNDLE group), 0 if none."""
    for section in parse(text):
        if uri in section.extensions:
            return section.extensions[uri]
    return 0


def answer_simulcast(offered: list[MediaSection], answer: str) -> str:
    """Accept the offer's simulcast in an answer that lacks it (aiortc's SDP has no a=rid).

    For each offered video section with `a=simulcast:send`, the answer's section of the same
    mid gets `a=rid:<id> recv` per layer, `a=simulcast:recv` listing them (RFC 8853 section
    5.2: the answer mirrors the direction) and the rid header extensions with the offer's ids
    (RFC 8285 section 6: an answer keeps offered ids). Without these Chromium sends one layer.
    """
    answered = {section.mid: section for section in parse(answer)}
    wanted: dict[str, list[str]] = {}
    for section in offered:
        if not section.simulcast_send or section.mid not in answered:
            continue
        has = answered[section.mid].extensions
        extra = [
            f"a=extmap:{section.extensions[uri]} {uri}"
            for uri in (RID_URI, REPAIRED_RID_URI)
            if uri in section.extensions and uri not in has
        ]
        extra += [f"a=rid:{rid} recv" for rid in section.simulcast_send]
        extra.append("a=simulcast:recv " + ";".join(section.simulcast_send))
        wanted[str(section.mid)] = extra
    return add_to_sections(answer, wanted)


def answer_transport_cc(offered: list[MediaSection], answer: str) -> str:
    """Accept transport-wide congestion control feedback for offered video (aiortc's answer
    lacks it): the transport-wide sequence number extension with the offer's id (RFC 8285
    section 6) and `a=rtcp-fb:<pt> transport-cc` for the VP8 the answer kept, where the offer
    asked for both. The browser then estimates its uplink itself from the SFU's reports of
    when each packet arrived (sfu/transport_feedback.py)."""
    answered = {section.mid: section for section in parse(answer)}
    wanted: dict[str, list[str]] = {}
    for section in offered:
        mine = answered.get(section.mid)
        if section.kind != "video" or mine is None or TRANSPORT_CC_URI in mine.extensions:
            continue
        codec = mine.codec("vp8")
        ext_id = section.extensions.get(TRANSPORT_CC_URI)
        if codec is None or ext_id is None:
            continue
        if not section.accepts_feedback(codec.payload_type, "transport-cc"):
            continue
        wanted[str(section.mid)] = [
            f"a=extmap:{ext_id} {TRANSPORT_CC_URI}",
            f"a=rtcp-fb:{codec.payload_type} transport-cc",
        ]
    return add_to_sections(answer, wanted)


# Opus parameters the SFU asks a publisher for (RFC 7587 section 7): in-band FEC, so a lost
# packet's audio comes back from the next one (the browser adds it as it sees loss in our
# receiver reports), and DTX, so silence costs almost no data; 10 ms is the shortest packet.
OPUS_RECEIVE_PARAMETERS = {"minptime": "10", "useinbandfec": "1", "usedtx": "1"}


def answer_opus(offered: list[MediaSection], answer: str, max_bitrate: int | None = None) -> str:
    """Ask a publisher for Opus in-band FEC and DTX (aiortc's answer has no Opus `a=fmtp`),
    and at most `max_bitrate` bit/s (`maxaveragebitrate`, RFC 7587 6.1) when given.

    Only for audio sections whose offer could send Opus; an fmtp line the answer already has
    for that payload type keeps its parameters and gains the missing ones."""
    wanted_params = dict(OPUS_RECEIVE_PARAMETERS)
    if max_bitrate is not None:
        wanted_params["maxaveragebitrate"] = str(max_bitrate)
    answered = {section.mid: section for section in parse(answer)}
    targets: dict[int, str] = {}  # opus payload type -> mid
    for section in offered:
        mine = answered.get(section.mid)
        codec = mine.codec("opus") if mine is not None and section.kind == "audio" else None
        if codec is not None and section.codec("opus") is not None:
            targets[codec.payload_type] = str(section.mid)
    if not targets:
        return answer
    newline = "\r\n" if "\r\n" in answer else "\n"
    lines = answer.split(newline)
    done: set[int] = set()
    for index, line in enumerate(lines):
        pt_text, _, params = line[len("a=fmtp:") :].partition(" ")
        if line.startswith("a=fmtp:") and pt_text.isdigit() and int(pt_text) in targets:
            lines[index] = f"a=fmtp:{pt_text} {_merge_parameters(params, wanted_params)}"
            done.add(int(pt_text))
    answer = newline.join(lines)
    wanted: dict[str, list[str]] = {}
    for pt, mid in targets.items():
        if pt not in done:
            wanted.setdefault(mid, []).append(f"a=fmtp:{pt} {_merge_parameters('', wanted_params)}")
    return add_to_sections(answer, wanted)


def _merge_parameters(params: str, wanted: dict[str, str]) -> str:
    kept = [part.strip() for part in params.split(";") if part.strip()]
    names = {part.partition("=")[0] for part in kept}
    kept += [f"{k}={v}" for k, v in wanted.items() if k not in names]
    return ";".join(kept)


def add_to_sections(answer: str, wanted: dict[str, list[str]]) -> str:
    """`answer` with the lines `wanted[mid]` at the end of the media section of each mid."""
    if not wanted:
        return answer
    return edit_sections(answer, lambda m_line, mid: (m_line, wanted.get(mid, [])))


# Given a media section's m-line and mid: its new m-line and the lines to add at its end.
SectionEdit = Callable[[str, str], tuple[str, list[str]]]


def edit_sections(text: str, edit: SectionEdit) -> str:
    """`text` with every media section that has a mid edited as `edit` says; the rest, and
    the line endings, as they were."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.split(newline)
    trailing = bool(lines) and lines[-1] == ""
    if trailing:
        lines.pop()
    sections: list[list[str]] = [[]]
    for line in lines:
        if line.startswith("m="):
            sections.append([])
        sections[-1].append(line)
    out = sections[0]
    for section in sections[1:]:
        mid = next((line[6:] for line in section if line.startswith("a=mid:")), None)
        if mid is not None:
            m_line, extra = edit(section[0], mid)
            section = [m_line, *section[1:], *extra]
        out.extend(section)
    return newline.join(out) + (newline if trailing else "")


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
