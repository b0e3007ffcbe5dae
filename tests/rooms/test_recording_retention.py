"""Recordings past their retention are deleted by whichever node claims each first; files in
progress, other files and recent recordings stay (rooms/meeting/egress/retention.py)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from rooms.meeting.egress import retention
from tests.sweep_pauses import SweepPauses

NOW = 1_800_000_000
DAY = retention.DAY


def _recording(directory: Path, name: str) -> Path:
    path = directory / name
    path.write_bytes(b"mp4")
    return path


@pytest.mark.parametrize(
    ("name", "started"),
    [
        ("event-12-1700000000.mp4", 1700000000),
        ("meeting-rapat_kecil-1700000001.mp4", 1700000001),
        ("event-12-1700000000.mp4.part", None),
        ("event-12-1700000000.mp4.deleting-ab12", None),
        ("event-x-1700000000.mp4", None),
        ("index.m3u8", None),
    ],
)
def test_a_recordings_start_is_read_from_its_name(name: str, started: int | None) -> None:
    assert retention.started_at(Path(name)) == started


def test_a_sweep_deletes_only_finished_recordings_past_retention(tmp_path: Path) -> None:
    old = _recording(tmp_path, f"event-1-{NOW - 31 * DAY}.mp4")
    old_meeting = _recording(tmp_path, f"meeting-rapat-{NOW - 40 * DAY}.mp4")
    recent = _recording(tmp_path, f"event-1-{NOW - 29 * DAY}.mp4")
    writing = _recording(tmp_path, f"event-2-{NOW - 99 * DAY}.mp4.part")
    other = _recording(tmp_path, "notes.txt")
    abandoned = _recording(tmp_path, f"event-3-{NOW - 99 * DAY}.mp4.deleting-0a0b0c")

    assert retention.sweep(tmp_path, NOW, 0) == 0  # 0 days: keep everything
    assert old.exists() and abandoned.exists()
    assert retention.sweep(tmp_path, NOW, 30) == 2

    assert not old.exists() and not old_meeting.exists() and not abandoned.exists()
    assert recent.exists() and writing.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [recent.name, writing.name, other.name]
    )


def test_of_nodes_deleting_the_same_file_exactly_one_claims_it(tmp_path: Path) -> None:
    files = [_recording(tmp_path, f"event-1-{NOW - n * DAY - 100 * DAY}.mp4") for n in range(50)]
    start = threading.Barrier(4)
    counts: list[int] = []

    def node() -> None:
        start.wait()
        counts.append(sum(retention.claim_and_remove(path) for path in files))

    threads = [threading.Thread(target=node) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == len(files)
    assert list(tmp_path.iterdir()) == []


async def test_the_background_sweep_runs_at_once_and_keeps_going(tmp_path: Path) -> None:
    old = _recording(tmp_path, f"event-1-{NOW - 8 * DAY}.mp4")
    now = [NOW]
    pauses = SweepPauses()
    task = asyncio.create_task(
        retention.sweep_forever(tmp_path, 7, lambda: now[0], interval=3600, pause=pauses.pause)
    )
    try:
        await pauses.reached(1)  # the first sweep is done, before any pause
        assert not old.exists()
        older = _recording(tmp_path, f"event-1-{NOW - 6 * DAY}.mp4")
        now[0] += 2 * DAY  # it is past its seven days by the next sweep
        await pauses.release()
        await pauses.reached(2)
        assert not older.exists() and pauses.intervals == [3600, 3600]
        assert not task.done()
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
