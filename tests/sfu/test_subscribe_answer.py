"""A malformed subscribe answer is refused with a NegotiationError naming the problem (the
client sees `bad_sdp`), and the offer stays outstanding for a good answer."""

from __future__ import annotations

import asyncio
import re

import pytest

from sfu.errors import NegotiationError
from sfu.peer import PeerSettings
from sfu.subscriber import SubscriberPeer
from tests.sfu.test_publish_offer import offer, without_lines


def answer() -> str:
    """An answer's shape: the two m-lines of the offer, the DTLS role chosen."""
    return offer().replace("a=setup:actpass", "a=setup:active").replace("a=sendonly", "a=recvonly")


@pytest.fixture
async def subscriber() -> SubscriberPeer:
    peer = SubscriberPeer("bob", PeerSettings(), lambda sdp, revision, tracks: None, lambda: None)
    peer._answer = (1, ["0", "1"], asyncio.get_running_loop().create_future())
    return peer


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (answer().replace("a=setup:active", "a=setup:actpass"), "a=setup:actpass"),
        (without_lines(answer(), "a=fingerprint"), "no a=fingerprint"),
        (answer().replace("a=mid:0", "a=mid:0\x00"), "control character"),
        (answer().replace("a=extmap:1 ", "a=extmap:300 "), "from 1 to 255"),
        (answer().replace("a=mid:1", "a=mid:0"), "names two m-lines"),
        (answer() + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:2\r\n", "offer's 2 m-lines"),
        (answer().replace("a=mid:1", "a=mid:9").replace(" 0 1", " 0 9"), "match the offer's"),
    ],
)
async def test_a_malformed_answer_is_refused_and_the_offer_stays_outstanding(
    subscriber: SubscriberPeer, text: str, says: str
) -> None:
    with pytest.raises(NegotiationError, match=re.escape(says)):
        subscriber.handle_answer(text, 1)
    assert subscriber._answer is not None
    _revision, _mids, future = subscriber._answer
    assert not future.done()
    subscriber.handle_answer(answer(), 1)
    assert future.done()
