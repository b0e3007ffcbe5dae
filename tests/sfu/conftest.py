"""Fixtures shared by the SFU's tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest


@pytest.fixture
def reader() -> Iterator[socket.socket]:
    """Where ffmpeg would listen to a plain-RTP sink (sfu/plain_rtp.py): UDP on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(2.0)
        yield sock
