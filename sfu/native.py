"""The SFU's native steps (the extension sfu._rtpsend), when they were built: the send step
(sfu/_rtpsend.c, sfu/_routes.c), a publisher's ingress (sfu/_ingress.c) and the header
extension id rewrite (sfu/_header_ids.c).

`pip install` compiles it where a C compiler and Python's headers exist (scripts/bootstrap
checks that it did); without them Kamar still runs and does the same in Python, at a higher CPU
cost per forwarded packet (docs/benchmarks.md has both). `KAMAR_NATIVE=0` turns the native
steps off, for comparing the two or ruling them out while chasing a bug.

The extension calls libsrtp through the function pointers pylibsrtp's binding already holds,
so it needs no libsrtp of its own and shares the sessions aiortc makes (pinned:
pylibsrtp==1.0.0, libsrtp 2's `srtp_protect` and `srtp_unprotect(srtp_t, void *, int *)`,
checked by tests/sfu/test_native.py and tests/sfu/test_native_ingress.py). sfu/packet_output.py
hands those pointers over when imported.
"""

from __future__ import annotations

import os
from types import ModuleType

SENT = 0
CONGESTED = 1  # the kernel's send queue is full: dropped, never queued
FAILED = 2  # too large, refused by libsrtp, or a send error
STALE = 3  # a route's ICE pair is no longer the selected one


def _load() -> ModuleType | None:
    if os.environ.get("KAMAR_NATIVE", "1") == "0":
        return None
    try:
        from sfu import _rtpsend  # type: ignore[attr-defined]
    except ImportError:
        return None
    module: ModuleType = _rtpsend
    codes = (module.SENT, module.CONGESTED, module.FAILED, module.STALE)
    assert codes == (SENT, CONGESTED, FAILED, STALE)
    return module


rtpsend = _load()


def describe() -> str:
    """One line for the server's start-up log."""
    if rtpsend is not None:
        return "RTP path: native, in and out (sfu/_rtpsend.c and its parts)"
    if os.environ.get("KAMAR_NATIVE", "1") == "0":
        return "RTP path: Python (KAMAR_NATIVE=0)"
    return (
        "RTP path: Python, the native one was not built (needs a C compiler and Python's "
        "headers when installing); forwarding costs more CPU per packet"
    )
