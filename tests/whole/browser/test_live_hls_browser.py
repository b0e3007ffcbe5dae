"""A town hall goes out on the web: a moderator starts egress with `hls`, and a member on a
360x640 phone in Indonesian taps "Tonton langsung" under the event and Chromium plays the live
HLS stream (natively, no player library) within a few seconds."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser

from loadtest.client import SyntheticParticipant
from tests.conftest import RunningServer, eventually
from tests.whole.browser.test_community_browser import api_call, signed_in_page
from tests.whole.egress.conftest import load_clip, speaker, use_test_encoding

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

PHONE = {"width": 360, "height": 640}
START_LIMIT_S = 10.0  # from the tap to a moving picture


@pytest.fixture
def clip(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[bytes], list[bytes]]:
    return load_clip(tmp_path_factory)


async def _town_hall(kamar: RunningServer) -> tuple[str, int, int]:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        body = {"username": "siti", "password": "rahasia-123", "display_name": "Siti"}
        token = (await api_call(http, "POST", "/api/auth/register", json=body))["token"]
        serikat = {"name": "Serikat", "kind": "work"}
        room = await api_call(http, "POST", "/api/rooms", token, json=serikat)
        event = await api_call(
            http, "POST", f"/api/rooms/{room['id']}/events", token,
            json={"title": "Rapat akbar", "kind": "town_hall",
                  "starts_at": "2030-01-06T19:00", "ends_at": "2030-01-06T21:00"},
        )  # fmt: skip
    return token, room["id"], event["id"]


def _segments(directory: Path) -> int:
    return len(list(directory.glob("seg-*.ts")))


async def test_a_member_watches_a_live_town_hall_on_a_phone(
    kamar: RunningServer, chromium: Browser, tmp_path: Path, clip: tuple[list[bytes], list[bytes]]
) -> None:
    use_test_encoding(kamar, tmp_path / "recordings")
    token, room_id, event_id = await _town_hall(kamar)
    meeting = f"balai-{event_id}"
    live = tmp_path / "live" / f"event-{event_id}"
    async with contextlib.AsyncExitStack() as stack:
        host = SyntheticParticipant(
            kamar.ws_url,
            kamar.token(meeting, "ketua", role="moderator", event_id=event_id),
            room=meeting,
        )
        stack.push_async_callback(host.close)
        await host.join()
        await stack.enter_async_context(
            contextlib.asynccontextmanager(speaker)(kamar, meeting, "ani", clip)
        )
        await host.send({"type": "egress_start", "hls": True})
        await eventually(lambda: _segments(live) >= 3, timeout=20, what="three HLS segments")

        person = await signed_in_page(chromium, kamar, token, f"#/rooms/{room_id}/agenda", PHONE)
        page = person.page
        button = page.locator(f"#live-{event_id}")
        await button.wait_for(timeout=15_000)
        tapped = time.monotonic()
        await button.click()
        await page.wait_for_function(
            f"() => {{ const v = document.querySelector('#live-box-{event_id} video');"
            " return v && v.currentTime > 0.5 && v.videoWidth > 0; }",
            timeout=int(START_LIMIT_S * 1000),
        )
        started = time.monotonic() - tapped
        print(f"HLS playing {started:.1f} s after the tap")
        assert started < START_LIMIT_S
        await page.screenshot(path=str(tmp_path / "live-360.png"))
        assert person.errors == [], person.errors
        await person.context.close()
        stopped = host.wait_for(lambda e: e["type"] == "egress" and not e["live"])
        await host.send({"type": "egress_stop"})
        await stopped
    await eventually(lambda: not live.exists(), what="the live segments to be removed")
