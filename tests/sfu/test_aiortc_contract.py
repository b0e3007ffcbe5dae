"""The private aiortc/aioice names sfu/peer.py relies on still exist and still work as used.

If aiortc is upgraded, this file says which hook moved before any media test goes silent.
"""

from __future__ import annotations

import inspect
from importlib.metadata import version

import aioice.ice
import pytest
from aiortc import RTCPeerConnection, RTCRtpReceiver
from aiortc.rtcdtlstransport import RTCDtlsTransport

from sfu import packet_output, peer


@pytest.mark.parametrize(
    ("package", "pinned"), [("aiortc", "1.16.0"), ("aioice", "0.13.0"), ("pylibsrtp", "1.0.0")]
)
def test_the_packages_with_private_hooks_are_at_the_pinned_versions(
    package: str, pinned: str
) -> None:
    assert version(package) == pinned


def test_the_dtls_transport_hands_decrypted_rtp_to_an_overridable_method() -> None:
    source = inspect.getsource(RTCDtlsTransport._recv_next)
    assert "await self._handle_rtp_data(data, arrival_time_ms=arrival_time_ms)" in source
    params = list(inspect.signature(RTCDtlsTransport._handle_rtp_data).parameters)
    assert params == ["self", "data", "arrival_time_ms"]


def test_the_dtls_transport_hands_decrypted_rtcp_to_an_overridable_method_in_its_task() -> None:
    source = inspect.getsource(RTCDtlsTransport._recv_next)
    assert "await self._handle_rtcp_data(data)" in source
    params = list(inspect.signature(RTCDtlsTransport._handle_rtcp_data).parameters)
    assert params == ["self", "data"]
    assert inspect.iscoroutinefunction(RTCDtlsTransport._handle_rtcp_data)


def test_the_ice_connection_keeps_the_pairs_it_tries_in_check_list() -> None:
    init = inspect.getsource(aioice.ice.Connection.__init__)
    assert "self._check_list: list[CandidatePair] = []" in init
    assert "self._check_list.append(pair)" in inspect.getsource(
        aioice.ice.Connection.check_incoming
    )
    assert "self._nominated.clear()" in inspect.getsource(aioice.ice.Connection.close)


def test_the_dtls_transport_protects_outgoing_rtp_with_tx_srtp() -> None:
    source = inspect.getsource(RTCDtlsTransport._send_rtp)
    assert "self._tx_srtp.protect(data)" in source
    init = inspect.getsource(RTCDtlsTransport.__init__)
    for attribute in ("self._tx_srtp", "self._rtp_router", "self._rtp_header_extensions_map"):
        assert attribute in init


def test_the_ice_connection_keeps_its_selected_pair_in_nominated() -> None:
    source = inspect.getsource(aioice.ice.Connection.sendto)
    assert "self._nominated.get(component)" in source
    assert "active_pair.protocol.send_data(data, active_pair.remote_addr)" in source


def test_ice_gathering_reads_the_module_level_host_address_function() -> None:
    source = inspect.getsource(aioice.ice.Connection.gather_candidates)
    assert "get_host_addresses(" in source


def test_receiver_rtcp_hooks_exist() -> None:
    assert inspect.iscoroutinefunction(RTCRtpReceiver._handle_rtcp_packet)
    assert inspect.iscoroutinefunction(RTCRtpReceiver._send_rtcp_pli)
    assert list(inspect.signature(RTCRtpReceiver._send_rtcp_pli).parameters) == [
        "self",
        "media_ssrc",
    ]


def test_gather_on_makes_ice_offer_exactly_the_configured_addresses() -> None:
    original = aioice.ice.get_host_addresses
    try:
        peer.gather_on(["127.0.0.1", "::1"])
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False) == ["127.0.0.1"]
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=True) == ["127.0.0.1", "::1"]
    finally:
        aioice.ice.get_host_addresses = original


async def test_new_connections_contact_no_stun_server_by_default() -> None:
    pc = peer.PeerSettings().new_connection()
    try:
        pc.addTransceiver("audio", direction="recvonly")
        gatherer = pc.getTransceivers()[0].receiver.transport.transport.iceGatherer
        assert gatherer._connection.stun_server is None
        assert gatherer._connection.turn_server is None
    finally:
        await pc.close()
    assert isinstance(pc, RTCPeerConnection)


def test_pylibsrtp_sessions_expose_the_buffer_and_context_packet_output_uses() -> None:
    import pylibsrtp
    from pylibsrtp._binding import lib

    session = pylibsrtp.Session()
    assert callable(lib.srtp_protect) and callable(lib.srtp_unprotect_rtcp)
    assert len(session._buffer) == 1500 and session._cdata is not None
    assert session._srtp[0] is not None
    assert packet_output.SRTP_MAX_RTP == 1500 - pylibsrtp.SRTP_MAX_TRAILER_LEN


def test_aioice_hands_non_stun_datagrams_to_the_connections_data_received() -> None:
    source = inspect.getsource(aioice.ice.StunProtocol.datagram_received)
    assert "self.receiver.data_received(data, self.local_candidate.component)" in source
    params = list(inspect.signature(aioice.ice.Connection.data_received).parameters)
    assert params == ["self", "data", "component"]
    assert "self._rx_srtp" in inspect.getsource(RTCDtlsTransport.__init__)


def test_the_remb_estimator_takes_arrival_time_abs_send_time_size_and_ssrc() -> None:
    from aiortc.rate import RemoteBitrateEstimator

    params = list(inspect.signature(RemoteBitrateEstimator.add).parameters)
    assert params == ["self", "arrival_time_ms", "abs_send_time", "payload_size", "ssrc"]


def test_aioice_tries_stun_first_and_keeps_its_sockets_in_protocols() -> None:
    source = inspect.getsource(aioice.ice.StunProtocol.datagram_received)
    assert source.index("stun.parse_message(data)") < source.index("self.receiver.data_received")
    assert "self._protocols" in inspect.getsource(aioice.ice.Connection.__init__)
    assert "local_candidate" in aioice.ice.StunProtocol.__annotations__


def test_aioice_connections_expose_what_answering_consent_checks_needs() -> None:
    init = inspect.getsource(aioice.ice.Connection.__init__)
    for attribute in ("self._closing", "self.remote_username", "self.ice_controlling"):
        assert attribute in init, attribute
    assert isinstance(aioice.ice.Connection.local_username, property)
    assert isinstance(aioice.ice.Connection.local_password, property)
    # The response aioice itself sends: XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY, FINGERPRINT.
    source = inspect.getsource(aioice.ice.Connection.request_received)
    assert 'response.attributes["XOR-MAPPED-ADDRESS"] = addr' in source
    assert "response.add_message_integrity(self.local_password.encode(" in source


def test_aioice_runs_consent_in_a_task_we_can_replace_and_builds_binding_requests() -> None:
    # sfu/consent_freshness.py puts its own task where aioice's close() cancels it.
    assert "self._query_consent_task" in inspect.getsource(aioice.ice.Connection.__init__)
    close = inspect.getsource(aioice.ice.Connection.close)
    assert "self._query_consent_task.cancel()" in close
    connect = inspect.getsource(aioice.ice.Connection.connect)
    assert "self._query_consent_task = asyncio.create_task(self.query_consent())" in connect
    params = list(inspect.signature(aioice.ice.Connection.build_request).parameters)
    assert params == ["self", "pair", "nominate"]
    request = inspect.signature(aioice.ice.StunProtocol.request).parameters
    assert {"integrity_key", "retransmissions"} <= set(request)
    assert aioice.stun.RETRY_RTO == 0.5  # the schedule RETRANSMISSIONS is counted on
