"""Keep load tests on loopback: run inside a private network namespace with only `lo` up."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

_MARK = "KAMAR_LOADTEST_IN_NETNS"


def only_loopback() -> bool:
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=True).stdout
    names = [line.split(":")[1].strip().split("@")[0] for line in out.splitlines() if line.strip()]
    return names == ["lo"]


def reexec_in_private_netns() -> None:
    """Re-run this command under `unshare --net` unless already in a loopback-only namespace.

    Never returns when it re-executes; raises SystemExit with a clear message when it cannot.
    """
    if only_loopback():
        return
    if os.environ.get(_MARK):
        raise SystemExit("loadtest: the private network namespace still has other interfaces")
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        raise SystemExit(
            "loadtest: needs root and `unshare` to run in a private network namespace "
            "(it sends traffic only on loopback); run it as root or inside `unshare --net`"
        )
    env = dict(os.environ, **{_MARK: "1"})
    command = [sys.executable, "-m", "loadtest", *sys.argv[1:]]
    script = 'ip link set lo up && exec "$@"'
    result = subprocess.run(["unshare", "--net", "--", "sh", "-c", script, "sh", *command], env=env)
    raise SystemExit(result.returncode)
