"""The sweep plot: a real PNG with CPU per packet and loss."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtest.plot import plot_sweep
from loadtest.sfu import SfuResult


def result(subscribers: int, us: float, loss: float) -> SfuResult:
    return SfuResult(
        subscribers=subscribers,
        duration_s=20.0,
        forwarded_pps=127.0 * subscribers,
        sfu_cpu_us_per_packet=us,
        sfu_cpu_user_us_per_packet=us * 0.7,
        sfu_cpu_sys_us_per_packet=us * 0.3,
        sfu_cpu_percent=1.0,
        loadgen_cpu_percent=1.0,
        loss_ratio=loss,
        latency_ms_p50=1.0,
        latency_ms_p99=2.0,
        loop_latency_ms_p50=1.5,
        loop_latency_ms_p99=3.0,
        join_ms_p50=1000.0,
        join_ms_p99=1050.0,
        rss_mb=100.0,
        rss_mb_per_subscriber=0.5,
        rss_mb_per_subscriber_stream=0.5,
        publisher_pps=127.0,
    )


def test_a_sweep_is_drawn_into_a_png(tmp_path: Path) -> None:
    path = tmp_path / "sweep.png"
    plot_sweep([result(10, 30.0, 0.0), result(40, 22.0, 0.001)], path, "test sweep")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


def test_only_png_is_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.png"):
        plot_sweep([result(10, 30.0, 0.0)], tmp_path / "sweep.svg", "x")
    assert not (tmp_path / "sweep.svg").exists()


def test_a_sweep_with_floors_is_drawn_too(tmp_path: Path) -> None:
    path = tmp_path / "sweep.png"
    plain = tmp_path / "plain.png"
    results = [result(10, 30.0, 0.0), result(40, 22.0, 0.0)]
    plot_sweep(results, plain, "test sweep")
    for sweep_result, floor in zip(results, (9.0, 5.5), strict=True):
        sweep_result.note_floor(floor)
    plot_sweep(results, path, "test sweep")
    assert path.read_bytes().startswith(b"\x89PNG") and path.read_bytes() != plain.read_bytes()


def test_the_floor_is_subtracted_from_the_sfus_figure() -> None:
    measured = result(10, 20.5, 0.0)
    measured.note_floor(8.66)
    assert measured.as_dict()["floor_us_per_packet"] == 8.66
    assert measured.as_dict()["above_floor_us_per_packet"] == 11.84
    unmeasured = result(10, 20.5, 0.0)
    unmeasured.sfu_cpu_us_per_packet = None  # an external server without --pid
    unmeasured.note_floor(8.66)
    assert unmeasured.above_floor_us_per_packet is None
