"""What a participant may offer on its publish connection: checked before aiortc sees it, so a
bad offer gets a clear refusal and changes nothing."""

from __future__ import annotations

from sfu import peer, sdp
from sfu.errors import NegotiationError
from sfu.forwarding import AUDIO, VIDEO
from sfu.sdp_checks import count_m_lines, description_problem

# A camera (audio and video) or a screen (video, and audio for a shared tab's sound).
MAX_PUBLISH_M_LINES = 2


def section_by_mid(sections: list[sdp.MediaSection], mid: str | None) -> sdp.MediaSection:
    """The section with `mid`; NegotiationError when the SDP has none."""
    for section in sections:
        if section.mid == mid:
            return section
    raise NegotiationError(f"no m-line with mid {mid!r}")


def validate_publish_offer(offer: str) -> list[sdp.MediaSection]:
    """The offer's media sections, or NegotiationError saying what is wrong with it."""
    if not isinstance(offer, str):
        raise NegotiationError("the offer must be SDP text")
    m_lines = count_m_lines(offer)
    if m_lines > MAX_PUBLISH_M_LINES:  # said before reading them all
        raise NegotiationError(
            f"a publish offer holds at most one audio and one video m-line, not {m_lines}"
        )
    problem = description_problem(offer, offer=True)
    if problem is not None:
        raise NegotiationError(problem)
    try:
        sections = sdp.parse(offer)
    except ValueError as exc:
        raise NegotiationError(f"the offer is not a valid SDP: {exc}") from exc
    media = [s for s in sections if s.kind in (AUDIO, VIDEO)]
    if not media or len(media) != len(sections):
        raise NegotiationError(
            "the offer must hold one audio and/or one video m-line, nothing else"
        )
    for kind in (AUDIO, VIDEO):
        of_kind = [s for s in media if s.kind == kind]
        if not of_kind:
            continue
        if len(of_kind) > 1:
            raise NegotiationError(f"at most one {kind} track can be published")
        section = of_kind[0]
        if section.codec(peer.CODEC_OF_KIND[kind]) is None:
            raise NegotiationError(f"the {kind} track must offer {peer.CODEC_OF_KIND[kind]}")
        if section.direction not in ("sendonly", "sendrecv"):
            raise NegotiationError(f"the {kind} m-line must be sendonly")
        if section.mid is None:
            raise NegotiationError(f"the {kind} m-line has no a=mid")
        problem = sdp.simulcast_problem(section)
        if problem is not None:
            raise NegotiationError(problem)
    return sections
