"""A server's CPU time as the load test reads it: the process's CPU clock for the total (ns),
/proc's ticks for the split into user and system time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from loadtest.servers import process_cpu_seconds

# Arithmetic only, no system calls in the loop: nearly all of it is user time. Then the child
# says so and waits, spending nothing, while it is measured.
BUSY = """
import sys
total = sum(i * i for i in range(4_000_000))
print("done", flush=True)
sys.stdin.read()
"""


def test_a_busy_child_is_measured_finer_than_a_tick_and_split_like_proc() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", BUSY], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        assert child.stdout.readline() == "done\n"
        reading = process_cpu_seconds(child.pid)
        fields = Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()
        tick = os.sysconf("SC_CLK_TCK")
        ticks = (int(fields[11]) + int(fields[12])) / tick
        assert reading is not None
        user, system = reading
        assert 0.1 <= user + system < 10
        assert abs((user + system) - ticks) <= 2 / tick  # the same time, counted finer
        assert user > system  # a pure-Python loop is user time
        # Not a whole number of ticks: the clock counts nanoseconds.
        assert round((user + system) * tick, 6) != round((user + system) * tick)
    finally:
        child.stdin.close()
        child.wait()
        child.stdout.close()


def test_no_pid_means_no_reading() -> None:
    assert process_cpu_seconds(None) is None
