"""A throwaway PostgreSQL cluster for a benchmark: started from the server binaries Debian
installs, on 127.0.0.1 and a free port, in a temporary directory, and removed afterwards (the
load test runs in a private network namespace, where no other server is reachable)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _as_postgres(command: list[str]) -> list[str]:
    # initdb refuses to run as root; Debian's package creates the `postgres` account.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    if on_path is None:
        raise RuntimeError("PostgreSQL's server binaries are missing: apt-get install postgresql")
    return Path(on_path).parent


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Yields the cluster's base URL (postgresql://kamar@127.0.0.1:PORT), user kamar."""
    bindir = _bindir()
    base = Path(tempfile.mkdtemp(prefix="kamar-bench-pg-"))
    base.chmod(0o755)
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = base / "data"
    initdb = [str(bindir / "initdb"), "-D", str(data), "-U", "kamar", "--auth=trust"]
    subprocess.run(_as_postgres(initdb), check=True, capture_output=True)
    # Default durability settings but a bigger cache than Debian's 128 MB: what a server that
    # answers reports would be given on a 24 GiB machine.
    options = f"-h 127.0.0.1 -p {port} -k {base} -c shared_buffers=1GB -c work_mem=64MB"
    start = [str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "log")]
    subprocess.run(_as_postgres([*start, "-w", "start"]), check=True, capture_output=True)
    try:
        yield f"postgresql://kamar@127.0.0.1:{port}"
    finally:
        stop = [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]
        subprocess.run(_as_postgres(stop), capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
