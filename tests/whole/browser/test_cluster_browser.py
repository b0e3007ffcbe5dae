"""A browser on one node decodes a speaker whose meeting lives on another (docs/cluster.md):
Chromium comes in through node b, its socket is relayed to node a (the meeting's home, where
the aiortc speaker publishes), and it receives the speaker's tracks on node b, where they
crossed once over the sealed link."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from playwright.async_api import Browser

from loadtest.client import SyntheticParticipant
from server.cascade import MEDIA_HOST_KEY
from tests.conftest import eventually
from tests.databases import database_url_postgresql, postgres_server
from tests.redis_server import redis_server
from tests.whole.browser.test_three_browsers import participant_id, stats
from tests.whole.server.test_cluster_meetings import token, two_nodes, ws_url

__all__ = ["database_url_postgresql", "postgres_server", "redis_server", "two_nodes"]
pytestmark = [pytest.mark.webrtc, pytest.mark.browser]


async def test_a_browser_through_one_node_decodes_a_speaker_of_a_meeting_on_another(
    two_nodes: list[TestServer], tmp_path: Path, chromium: Browser
) -> None:
    a, b = two_nodes
    speaker = SyntheticParticipant(ws_url(a), token(tmp_path, "rapat", "sari"), room="rapat")
    context = await chromium.new_context(viewport={"width": 360, "height": 640}, locale="id-ID")
    try:
        await speaker.join()
        await speaker.publish([AudioStreamTrack(), VideoStreamTrack()])
        page = await context.new_page()
        await page.goto(f"{b.make_url('/r/rapat')}?token={token(tmp_path, 'rapat', 'budi')}")
        await page.wait_for_function(
            "() => window.kamarDebug && window.kamarDebug.state.phase === 'joined'"
        )
        budi = await participant_id(page)

        async def decodes() -> bool:
            entry = (await stats(page)).get(speaker.id)
            return bool(entry) and entry["video"]["framesDecoded"] > 10

        await eventually(decodes, timeout=30, what="the speaker's video decoded at node b")
        (link,) = b.app[MEDIA_HOST_KEY].links  # budi's subscribe connection is on node b
        assert budi in link.subscribers and len(link.imports.tracks) == 2
    finally:
        await context.close()
        await speaker.close()
