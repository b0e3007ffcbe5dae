"""sfu/consent.py against RFC 5769's test vectors and aioice's own STUN code as the decoder."""

from __future__ import annotations

import pytest
from aioice import stun

from sfu.consent import binding_response

# RFC 5769 section 2.1: a Binding request with SOFTWARE, PRIORITY, ICE-CONTROLLED, USERNAME
# "evtj:h6vY", MESSAGE-INTEGRITY (password "VOkJxbRl1RmTxUk/WvJxBt") and FINGERPRINT.
RFC5769_REQUEST = bytes.fromhex(
    "000100582112a442b7e7a701bc34d686fa87dfae"
    "802200105354554e207465737420636c69656e74"  # "STUN test client"
    + "002400046e0001ff"
    + "80290008932ff9b151263b36"
    + "000600096576746a3a68367659202020"
    + "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2"
    + "80280004e57a3bcf"
)
RFC5769_USERNAME = b"evtj:h6vY"
RFC5769_PASSWORD = b"VOkJxbRl1RmTxUk/WvJxBt"
RFC5769_TRANSACTION = bytes.fromhex("b7e7a701bc34d686fa87dfae")

USERNAME, PASSWORD = b"srvufrag:cliufrag", b"a-password-of-22-chars"
SOURCE = ("127.0.0.1", 40_000)


def request(**attributes: object) -> stun.Message:
    message = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    message.attributes["USERNAME"] = USERNAME.decode()
    message.attributes["PRIORITY"] = 1_853_817_087
    message.attributes["ICE-CONTROLLED"] = 0x1234_5678_9ABC_DEF0
    message.attributes.update(attributes)
    message.add_message_integrity(PASSWORD)  # and FINGERPRINT
    return message


def answer(data: bytes, controlling: bool = True, source: tuple[str, int] = SOURCE) -> bytes | None:
    return binding_response(data, USERNAME, PASSWORD, source, controlling)


def test_the_rfc_5769_request_is_authentic_and_answered() -> None:
    response = binding_response(
        RFC5769_REQUEST, RFC5769_USERNAME, RFC5769_PASSWORD, ("192.0.2.1", 32853), True
    )
    assert response is not None
    assert response[8:20] == RFC5769_TRANSACTION
    # RFC 5769 2.2: the same address and transaction give these XOR-MAPPED-ADDRESS bytes.
    assert response[20:32] == bytes.fromhex("002000080001a147e112a643")


def test_the_ipv6_mapped_address_matches_rfc_5769() -> None:
    response = binding_response(
        RFC5769_REQUEST,
        RFC5769_USERNAME,
        RFC5769_PASSWORD,
        ("2001:db8:1234:5678:11:2233:4455:6677", 32853),
        True,
    )
    assert response is not None
    # RFC 5769 2.3.
    assert response[20:44] == bytes.fromhex("002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9")


def test_any_changed_byte_before_the_fingerprint_is_refused() -> None:
    for index in range(len(RFC5769_REQUEST) - 8):
        damaged = bytearray(RFC5769_REQUEST)
        damaged[index] ^= 0x01
        assert (
            binding_response(
                bytes(damaged), RFC5769_USERNAME, RFC5769_PASSWORD, ("192.0.2.1", 1), True
            )
            is None
        ), f"byte {index}"


def test_aioice_reads_the_response_as_a_signed_binding_success() -> None:
    sent = request()
    data = answer(bytes(sent))
    assert data is not None
    response = stun.parse_message(data)
    assert response.message_method == stun.Method.BINDING
    assert response.message_class == stun.Class.RESPONSE
    assert response.transaction_id == sent.transaction_id
    assert response.attributes["XOR-MAPPED-ADDRESS"] == SOURCE
    assert response.check_message_integrity(PASSWORD)
    assert response.attributes["FINGERPRINT"] == stun.message_fingerprint(data[:-8])


def test_an_ipv6_source_comes_back_as_sent() -> None:
    data = answer(bytes(request()), source=("::1", 50_000))
    assert data is not None
    assert stun.parse_message(data).attributes["XOR-MAPPED-ADDRESS"] == ("::1", 50_000)


@pytest.mark.parametrize(
    ("case", "data", "controlling"),
    [
        ("wrong password", bytes(request()), True),
        ("nomination", bytes(request(**{"USE-CANDIDATE": None})), True),
        ("role conflict", bytes(request(**{"ICE-CONTROLLING": 5})), True),
        ("role conflict", bytes(request()), False),
        ("truncated", bytes(request())[:-9], True),
        ("too short", bytes(request())[:30], True),
    ],
)
def test_requests_left_to_aioice(case: str, data: bytes, controlling: bool) -> None:
    key = b"another password" if case == "wrong password" else PASSWORD
    assert binding_response(data, USERNAME, key, SOURCE, controlling) is None, case


def test_other_messages_are_left_to_aioice() -> None:
    indication = stun.Message(
        message_method=stun.Method.BINDING, message_class=stun.Class.INDICATION
    )
    indication.attributes["USERNAME"] = USERNAME.decode()
    indication.add_message_integrity(PASSWORD)
    assert answer(bytes(indication)) is None
    allocate = request()
    allocate.message_method = stun.Method.ALLOCATE
    allocate.add_message_integrity(PASSWORD)
    assert answer(bytes(allocate)) is None
    assert answer(bytes(request(USERNAME="someone:else"))) is None


def test_a_request_without_username_or_signature_is_left_to_aioice() -> None:
    unsigned = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    unsigned.attributes["USERNAME"] = USERNAME.decode()
    unsigned.add_fingerprint()
    assert answer(bytes(unsigned)) is None
    anonymous = stun.Message(message_method=stun.Method.BINDING, message_class=stun.Class.REQUEST)
    anonymous.add_message_integrity(PASSWORD)
    assert answer(bytes(anonymous)) is None


def test_unknown_attributes_a_receiver_must_understand_are_left_to_aioice() -> None:
    signed = bytes(request())
    # Insert a comprehension-required attribute (type 0x7FFF) and an optional one (0xC001)
    # before MESSAGE-INTEGRITY, re-signing with aioice's own helpers.
    for attribute, answered in ((0x7FFF, False), (0xC001, True)):
        extra = attribute.to_bytes(2, "big") + (4).to_bytes(2, "big") + b"abcd"
        integrity_at = signed.index(bytes.fromhex("00080014"))
        body = signed[:integrity_at] + extra
        body = body[:2] + (len(body) - 20 + 24).to_bytes(2, "big") + body[4:]
        mac = stun.message_integrity(body, PASSWORD)
        data = body + bytes.fromhex("00080014") + mac
        data = data[:2] + (len(data) - 20).to_bytes(2, "big") + data[4:]
        assert (answer(data) is not None) == answered, hex(attribute)
