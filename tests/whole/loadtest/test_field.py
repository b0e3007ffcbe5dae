"""`kamar-loadtest field` end to end in a tiny configuration: two Chromium participants behind
the emulated link, clean and impaired, an outage and the data-saver meeting. It checks that the
figures exist and are sane, not that Kamar meets the goals (docs/benchmarks.md holds those)."""

from __future__ import annotations

import asyncio
import json
import math
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = [
    pytest.mark.webrtc,
    pytest.mark.browser,
    pytest.mark.skipif(
        os.geteuid() != 0 or not Path("/dev/net/tun").exists() or not shutil.which("chromium"),
        reason="needs root, /dev/net/tun and Debian's chromium",
    ),
]


def ratio(value: Any) -> bool:
    return isinstance(value, float | int) and 0 <= value <= 1


def seconds(value: Any, most: float) -> bool:
    return isinstance(value, float | int) and math.isfinite(value) and 0 <= value <= most


async def test_the_field_command_reports_every_figure_for_each_scenario(tmp_path: Path) -> None:
    out = tmp_path / "field.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "loadtest", "field", "--participants", "2",
        "--rtt-ms", "100", "--loss", "0.02", "--rate-kbps", "800",
        "--duration", "5", "--settle-s", "1", "--outage-s", "2", "--watch-s", "20",
        "--data-saver-participants", "2", "--json", str(out),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), 300)
    assert process.returncode == 0, output.decode(errors="replace")[-3000:]
    report = json.loads(out.read_text())

    assert set(report["scenarios"]) == {"clean", "custom"}
    assert ratio(report["audio_concealed_ratio_max"])
    assert seconds(report["video_freeze_s_max"], 60)
    for key in ("recovery_s_max", "video_recovery_s_max"):
        recovery = report[key]
        assert recovery is None or seconds(recovery, 20), key
    assert seconds(report["data_saver_kbps_down"], 10_000)

    custom = report["scenarios"]["custom"]
    assert custom["link"] == {
        "rtt_ms": 100.0, "loss_each_way": 0.02, "loss_burst": 1.0, "rate_kbps_each_way": 800.0,
    }  # fmt: skip
    # The emulator was measured before the meeting: at least the configured round trip
    # (plus serialization) and never more than the configured rate.
    measured = custom["link_measured"]
    assert 100 <= measured["rtt_ms_min"] <= 300
    assert 0 < measured["throughput_kbps"] <= 810
    for scenario in report["scenarios"].values():
        assert set(scenario["participants"]) == {"p1", "p2"}
        for figures in scenario["participants"].values():
            assert ratio(figures["audio_concealed_ratio"])
            assert seconds(figures["video_freeze_s"], 60)
            assert seconds(figures["video_stalled_s"], 60)
            assert figures["kbps_down"] >= 0 and figures["kbps_up"] >= 0
            assert figures["mb_per_minute"] >= 0
            assert len(figures["layers_received"]) == 1
    # Someone sent something: the meeting really ran over the link.
    clean = report["scenarios"]["clean"]["participants"]
    assert all(figures["kbps_down"] > 10 for figures in clean.values())
    saver = report["data_saver"]
    assert set(saver["kbps_down"]) == {"p1"}  # data saver on; p2 joins as usual
    assert saver["without_data_saver"]["participant"] == "p2"
    assert b"Traceback" not in output
