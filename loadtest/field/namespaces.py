"""Anonymous network namespaces joined by TUN devices, for the emulated link.

Each namespace is created with unshare(2) and kept alive only by a file descriptor of the
emulator process (no `ip netns add`, no bind mount under /run/netns): when the emulator ends,
by any means, the namespaces and their TUN devices go with it (once the processes started in
them have ended too). Other processes enter one with `nsenter --net=/proc/PID/fd/N`.

The addresses are ours alone: 10.99.0.1 for the server, 10.99.0.(11 + k) for participant k,
each on a TUN device inside its own namespace; no namespace has any other interface than `lo`
and its TUN, so nothing can reach beyond them.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import struct
import subprocess
from pathlib import Path

CLONE_NEWNET = 0x40000000  # <linux/sched.h>
TUNSETIFF = 0x400454CA  # _IOW('T', 202, int), <linux/if_tun.h>
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000  # packets without the 4-byte protocol header: bare IP
TUN_NAME = "kfield"
SUBNET = "10.99.0"
SERVER_ADDRESS = f"{SUBNET}.1"
FIRST_PARTICIPANT = 11
MAX_PARTICIPANTS = 16

_libc = ctypes.CDLL(None, use_errno=True)


def participant_address(index: int) -> str:
    if not 0 <= index < MAX_PARTICIPANTS:
        raise ValueError(f"participant index must be 0-{MAX_PARTICIPANTS - 1}")
    return f"{SUBNET}.{FIRST_PARTICIPANT + index}"


def participant_index(packed_address: bytes) -> int | None:
    """Which participant a packed IPv4 address of ours belongs to, or None."""
    if packed_address[:3] != bytes([10, 99, 0]):
        return None
    index = packed_address[3] - FIRST_PARTICIPANT
    return index if 0 <= index < MAX_PARTICIPANTS else None


def check_can_create() -> None:
    """Raise SystemExit with a clear message when this process cannot build the link."""
    if os.geteuid() != 0:
        raise SystemExit("the field link needs root (network namespaces and TUN devices)")
    if not Path("/dev/net/tun").exists():
        raise SystemExit("the field link needs /dev/net/tun (modprobe tun)")


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _enter(namespace_fd: int) -> None:
    _check(_libc.setns(namespace_fd, CLONE_NEWNET), "setns")


def _current() -> int:
    return os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)


class LinkNamespaces:
    """The server's namespace and one per participant, each with a TUN device whose file
    descriptor this process holds. Call from the main thread before any event loop runs:
    setns(2) moves only the calling thread, and it always moves back."""

    def __init__(self, participants: int) -> None:
        if not 1 <= participants <= MAX_PARTICIPANTS:
            raise ValueError(f"participants must be 1-{MAX_PARTICIPANTS}")
        self.namespace_fds: list[int] = []  # the server's first
        self.tun_fds: list[int] = []
        home = _current()
        try:
            self._add(SERVER_ADDRESS)
            for index in range(participants):
                self._add(participant_address(index))
        except BaseException:
            self.close()
            raise
        finally:
            _enter(home)
            os.close(home)

    def _add(self, address: str) -> None:
        _check(_libc.unshare(CLONE_NEWNET), "unshare")
        self.namespace_fds.append(_current())
        tun = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
        self.tun_fds.append(tun)
        fcntl.ioctl(tun, TUNSETIFF, struct.pack("16sH", TUN_NAME.encode(), IFF_TUN | IFF_NO_PI))
        # No IPv6 on the link: no router solicitations or DAD noise, and ICE gathers one address.
        Path(f"/proc/sys/net/ipv6/conf/{TUN_NAME}/disable_ipv6").write_text("1")
        for command in (
            ["ip", "link", "set", "lo", "up"],
            ["ip", "addr", "add", f"{address}/24", "dev", TUN_NAME],
            ["ip", "link", "set", TUN_NAME, "up"],
        ):
            subprocess.run(command, check=True, capture_output=True)

    def path(self, index: int) -> str:
        """For `nsenter --net=PATH`: namespace 0 is the server's, 1 + k participant k's."""
        return f"/proc/{os.getpid()}/fd/{self.namespace_fds[index]}"

    def close(self) -> None:
        for fd in self.tun_fds + self.namespace_fds:
            os.close(fd)
        self.tun_fds, self.namespace_fds = [], []
