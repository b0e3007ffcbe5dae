"""Deleting recordings: one at a moderator's request, and every one older than the retention
a server is configured with (`--recording-retention-days`; 0, the default, keeps them all).

Several nodes may share one recordings directory (a network file system behind a cluster,
docs/cluster.md) and run the same sweep at the same moment. A deletion first *claims* the
file by renaming it to a name of its own (`rename(2)` is atomic within a file system: exactly
one node's rename succeeds, the others find the file gone), then removes what it claimed. A
node that dies between the two leaves a `.deleting-*` file, which the next sweep of any node
removes. A recording still being written ends in `.part` and is never touched.

The age is the start time in the file's name, not its modification time, which a copy or a
restore would change.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path

log = logging.getLogger(__name__)

DAY = 86400
SWEEP_INTERVAL = 3600.0  # seconds between sweeps: a retention counted in days needs no more
MAX_RETENTION_DAYS = 36500
CLAIMED = ".deleting-"
# event-<id>-<start>.mp4 or meeting-<name>-<start>.mp4 (recordings.file_name)
_FINISHED = re.compile(r"(?:event-\d{1,15}|meeting-[A-Za-z0-9_-]{1,200})-(\d{1,12})\.mp4")


def started_at(path: Path) -> int | None:
    """The Unix second a finished recording started, from its name; None for anything else."""
    match = _FINISHED.fullmatch(path.name)
    return int(match.group(1)) if match else None


def expired(directory: Path, now: float, days: int) -> list[Path]:
    """Finished recordings that started more than `days` days before `now` (none for 0)."""
    if days <= 0 or not directory.is_dir():
        return []
    cutoff = now - days * DAY
    old = []
    for path in directory.iterdir():
        started = started_at(path)
        if started is not None and started < cutoff:
            old.append(path)
    return sorted(old)


def claim_and_remove(path: Path) -> bool:
    """Delete `path` unless another node (or request) claims it first; True if this call did."""
    claimed = path.with_name(f"{path.name}{CLAIMED}{secrets.token_hex(6)}")
    try:
        path.rename(claimed)
    except FileNotFoundError:
        return False  # someone else's claim won
    claimed.unlink(missing_ok=True)
    return True


def remove_abandoned_claims(directory: Path) -> int:
    """Claimed files a node did not get to remove (it stopped between rename and unlink)."""
    removed = 0
    for path in directory.glob(f"*{CLAIMED}*"):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed += 1
    return removed


def sweep(directory: Path, now: float, days: int) -> int:
    """One pass: the recordings past retention deleted; how many this node deleted."""
    if days <= 0 or not directory.is_dir():
        return 0
    remove_abandoned_claims(directory)
    deleted = sum(claim_and_remove(path) for path in expired(directory, now, days))
    if deleted:
        log.info("deleted %d recordings older than %d days", deleted, days)
    return deleted


async def sweep_forever(
    directory: Path,
    days: int,
    clock: Callable[[], float],
    interval: float = SWEEP_INTERVAL,
    pause: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Sweep now, then every `interval` seconds, in a thread (a directory of many files on a
    network file system may take a moment to list). `pause` is the wait between sweeps (a
    test's own, tests/sweep_pauses.py, so that it needs no real time)."""
    while True:
        try:
            await asyncio.to_thread(sweep, directory, clock(), days)
        except OSError:  # a file system hiccup must not end the sweep for good
            log.exception("deleting old recordings failed")
        await pause(interval)
