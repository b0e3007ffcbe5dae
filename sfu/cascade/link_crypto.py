"""Keys and sealing for the links between nodes: every datagram and control frame between two
nodes is encrypted and authenticated with AES-GCM (NIST SP 800-38D, from the maintained
`cryptography` package), so a node accepts media and commands only from a node that holds the
deployment's secret, and nothing read off the wire between machines shows what it carries.

Keys are derived per link with HKDF-SHA256 (RFC 5869) from the deployment secret (the shared
`secret.key`, docs/cluster.md) and two random salts, one from each node, exchanged when the link
opens: a recorded link cannot be replayed into a later one. Each direction has its own key and a
64-bit counter that makes every nonce unique (a nonce never repeats under one key, which
AES-GCM needs); the receiver refuses a counter it has seen or one too old for its window, as
SRTP's replay list does (RFC 3711 3.3.2).
"""

from __future__ import annotations

import secrets
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SALT_BYTES = 16
KEY_BYTES = 16  # AES-128-GCM, as SRTP's AEAD_AES_128_GCM (RFC 7714)
NONCE_PREFIX_BYTES = 4
TAG_BYTES = 16
REPLAY_WINDOW = 1024  # counters behind the highest still accepted (reordering on a LAN)
_COUNTER = struct.Struct("!Q")
COUNTER_BYTES = _COUNTER.size


class Refused(ValueError):
    """Not sealed with this link's key, altered, replayed or too old."""


def new_salt() -> bytes:
    return secrets.token_bytes(SALT_BYTES)


@dataclass(frozen=True)
class DirectionKey:
    key: bytes
    nonce_prefix: bytes


def derive(secret: str, salts: bytes, purpose: str, sender: str, receiver: str) -> DirectionKey:
    """The key `sender` seals with and `receiver` opens with, for `purpose` ("media" or
    "control"), on the link whose two salts are `salts` (the home's first)."""
    material = HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES + NONCE_PREFIX_BYTES,
        salt=salts,
        info=f"kamar cascade 1 {purpose} {sender}>{receiver}".encode(),
    ).derive(secret.encode())
    return DirectionKey(material[:KEY_BYTES], material[KEY_BYTES:])


class Sealer:
    """Seals what one node sends on one link in one direction."""

    def __init__(self, key: DirectionKey) -> None:
        self._aead = AESGCM(key.key)
        self._prefix = key.nonce_prefix
        self._counter = 0

    def seal(self, plaintext: bytes | bytearray, header: bytes = b"") -> bytes:
        """`header` + counter + ciphertext and tag; the header is authenticated, not hidden."""
        self._counter += 1
        counter = _COUNTER.pack(self._counter)
        sealed = self._aead.encrypt(self._prefix + counter, bytes(plaintext), header + counter)
        return header + counter + sealed


class Opener:
    """Opens what the other node sealed, each counter once."""

    def __init__(self, key: DirectionKey) -> None:
        self._aead = AESGCM(key.key)
        self._prefix = key.nonce_prefix
        self._highest = 0
        self._seen = 0  # bit i: counter highest - i was accepted
        self.refused = 0

    def open(self, data: bytes, header_size: int = 0) -> bytes:
        """The plaintext of `data` (whose first `header_size` bytes are the clear header);
        raises Refused, counting it, for anything else."""
        end = header_size + COUNTER_BYTES
        if len(data) < end + TAG_BYTES:
            return self._refuse()
        (counter,) = _COUNTER.unpack_from(data, header_size)
        behind = self._highest - counter
        if counter == 0 or behind >= REPLAY_WINDOW or (behind >= 0 and self._seen >> behind & 1):
            return self._refuse()
        try:
            plaintext = self._aead.decrypt(
                self._prefix + data[header_size:end], data[end:], data[:end]
            )
        except InvalidTag:
            return self._refuse()
        if behind < 0:  # newer than any before: slide the window
            shift = -behind
            self._seen = ((self._seen << shift) | 1) & ((1 << REPLAY_WINDOW) - 1)
            self._highest = counter
        else:
            self._seen |= 1 << behind
        return plaintext

    def _refuse(self) -> bytes:
        self.refused += 1
        raise Refused("not sealed by a node of this deployment, or replayed")
