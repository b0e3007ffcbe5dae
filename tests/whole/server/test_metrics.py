"""GET /metrics: a node's meetings, participants, tracks and forwarding in Prometheus' format,
read back with prometheus_client's own parser."""

from __future__ import annotations

import aiohttp
import pytest
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import RunningServer, eventually, participants


async def scrape(kamar: RunningServer) -> dict[str, float]:
    """Every sample by name (with its labels for labelled ones)."""
    async with aiohttp.ClientSession() as http, http.get(f"{kamar.base_url}/metrics") as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("text/plain; version=")
        text = await answer.text()
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return samples


async def test_an_idle_node_reports_nothing_live_and_its_process(kamar: RunningServer) -> None:
    samples = await scrape(kamar)
    assert samples["kamar_meetings"] == samples["kamar_participants"] == 0
    assert samples["kamar_tracks{kind=audio}"] == samples["kamar_tracks{kind=video}"] == 0
    assert samples["process_cpu_seconds_total"] > 0  # prometheus_client's process figures
    assert "kamar_bus_gaps_total" not in samples  # one node: no bus across nodes


@pytest.mark.webrtc
async def test_forwarding_counts_grow_and_stay_after_the_meeting_ends(
    kamar: RunningServer,
) -> None:
    # The counters of closed producers and consumers are the process's (sfu/totals.py): other
    # tests in this process counted before, so only what grows here is this meeting's.
    before = await scrape(kamar)
    async with participants(kamar, "rapat", "ani", "budi", receive="count") as (ani, budi):
        await ani.publish([AudioStreamTrack(), VideoStreamTrack()])
        await eventually(
            lambda: budi.received.packets[(ani.id, "video")] > 20, what="video at budi"
        )
        live = await scrape(kamar)
        assert (live["kamar_meetings"], live["kamar_participants"]) == (1, 2)
        assert live["kamar_tracks{kind=audio}"] == live["kamar_tracks{kind=video}"] == 1
        assert live["kamar_consumers"] == 2  # ani's audio and video, to budi
        forwarded, received, forwarded_bytes = (
            live[name] - before[name]
            for name in (
                "kamar_forwarded_packets_total",
                "kamar_received_packets_total",
                "kamar_forwarded_bytes_total",
            )
        )
        # One subscriber: each packet goes to it once, plus the repairs it asked for.
        assert forwarded >= 20 and received >= forwarded / 2
        assert forwarded_bytes > forwarded
    after = await scrape(kamar)
    assert after["kamar_participants"] == after["kamar_consumers"] == 0
    # Counters never go back: what closed producers and consumers counted is kept.
    assert after["kamar_forwarded_packets_total"] >= live["kamar_forwarded_packets_total"]
    assert after["kamar_received_packets_total"] >= live["kamar_received_packets_total"]
