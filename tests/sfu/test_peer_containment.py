"""What runs inside aiortc's DTLS task for the SFU (sfu/peer.py hooks) cannot end that task:
an exception there would end the connection's media for good."""

from __future__ import annotations

from types import SimpleNamespace

from sfu import peer


async def test_rtcp_handling_that_raises_is_contained_and_wrapping_twice_changes_nothing() -> None:
    seen: list[bytes] = []

    async def aiortcs(data: bytes) -> None:
        seen.append(data)
        raise IndexError("a parser aiortc did not expect to fail")

    transport = SimpleNamespace(_handle_rtcp_data=aiortcs)
    peer.contain_rtcp_in(transport)
    wrapped = transport._handle_rtcp_data
    peer.contain_rtcp_in(transport)
    assert transport._handle_rtcp_data is wrapped
    await transport._handle_rtcp_data(b"\x80\xc8")
    assert seen == [b"\x80\xc8"]


async def test_rtp_handling_that_raises_is_contained() -> None:
    async def handler(data: bytes, arrival_time_ms: int) -> None:
        raise KeyError("a bug in the SFU")

    transport = SimpleNamespace()
    peer.hook_rtp_in(transport, handler)
    await transport._handle_rtp_data(b"\x80\x60" + bytes(10), 0)


async def test_a_subscribers_rtp_never_reaches_aiortcs_receivers() -> None:
    routed: list[bytes] = []

    async def aiortcs(data: bytes, arrival_time_ms: int) -> None:
        routed.append(data)  # parse, route by payload type, depacketise, decode

    transport = SimpleNamespace(_handle_rtp_data=aiortcs)
    peer.refuse_rtp_in(transport)
    await transport._handle_rtp_data(b"\x80\x60" + bytes(10), 0)
    assert routed == []
