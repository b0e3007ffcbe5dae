"""Sealing between nodes (sfu/cascade/link_crypto.py): only a node with the deployment's secret
opens what another sealed, each datagram once."""

from __future__ import annotations

import pytest

from sfu.cascade.link_crypto import REPLAY_WINDOW, Opener, Refused, Sealer, derive, new_salt

SALTS = new_salt() + new_salt()


def pair(secret: str = "s3cret", other_secret: str | None = None) -> tuple[Sealer, Opener]:
    sealer = Sealer(derive(secret, SALTS, "media", "home", "edge"))
    opener = Opener(derive(other_secret or secret, SALTS, "media", "home", "edge"))
    return sealer, opener


def test_what_one_node_seals_the_other_opens_and_the_header_stays_readable() -> None:
    sealer, opener = pair()
    sealed = sealer.seal(b"rtp packet", header=b"K1234")
    assert sealed.startswith(b"K1234") and b"rtp packet" not in sealed
    assert opener.open(sealed, header_size=5) == b"rtp packet"


@pytest.mark.parametrize(
    "spoil",
    [
        lambda data: data[:-1] + bytes([data[-1] ^ 1]),  # the tag
        lambda data: data[:5] + bytes([data[5] ^ 1]) + data[6:],  # the counter
        lambda data: b"X" + data[1:],  # the clear header is authenticated too
        lambda data: data[:20],  # cut short
    ],
)
def test_an_altered_datagram_is_refused_and_counted(spoil: object) -> None:
    sealer, opener = pair()
    sealed = sealer.seal(b"payload", header=b"K1234")
    with pytest.raises(Refused):
        opener.open(spoil(sealed), header_size=5)  # type: ignore[operator]
    assert opener.refused == 1


def test_another_deployments_secret_opens_nothing() -> None:
    sealer, opener = pair("ours", "theirs")
    with pytest.raises(Refused):
        opener.open(sealer.seal(b"payload"))


def test_keys_differ_per_direction_purpose_and_link() -> None:
    keys = {
        derive("s", SALTS, "media", "a", "b"),
        derive("s", SALTS, "media", "b", "a"),
        derive("s", SALTS, "control", "a", "b"),
        derive("s", new_salt() + new_salt(), "media", "a", "b"),
    }
    assert len(keys) == 4


def test_a_replayed_datagram_is_refused_but_reordered_ones_are_taken() -> None:
    sealer, opener = pair()
    first, second, third = (sealer.seal(bytes([i])) for i in range(3))
    assert opener.open(third) == b"\x02"
    assert opener.open(first) == b"\x00"  # late, inside the window
    with pytest.raises(Refused):
        opener.open(third)  # once only
    assert opener.open(second) == b"\x01"
    with pytest.raises(Refused):
        opener.open(first)


def test_a_datagram_older_than_the_window_is_refused() -> None:
    sealer, opener = pair()
    old = sealer.seal(b"old")
    for _ in range(REPLAY_WINDOW):
        opener.open(sealer.seal(b"new"))
    with pytest.raises(Refused):
        opener.open(old)
