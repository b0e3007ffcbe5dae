"""Light and dark follow the phone's setting: the same chat at 360x640 in Indonesian in each
colour scheme, its background and text colours read back from the page, and photographed
(KAMAR_SCREENS=DIR, scripts/screens)."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser

from tests.conftest import RunningServer
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS, api_call
from tests.whole.browser.test_forward_browser import room_of
from tests.whole.browser.test_phone_screens_browser import screens_dir
from tests.whole.browser.test_search_browser import register

pytestmark = [pytest.mark.browser]


@pytest.mark.parametrize(
    ("scheme", "background", "text"),
    [
        ("light", "rgb(244, 245, 247)", "rgb(21, 24, 28)"),
        ("dark", "rgb(20, 22, 26)", "rgb(241, 243, 245)"),
    ],
)
async def test_the_app_follows_the_phones_colour_scheme(
    kamar: RunningServer, chromium: Browser, tmp_path: Path, scheme: str, background: str, text: str
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        siti, budi = await register(http, "siti"), await register(http, "budi")
        room = await room_of(http, siti, "PUK Garmen", budi)
        for token, line in ((budi, "Rapat jam 8 di balai"), (siti, "Siap, saya bawa spanduk")):
            await api_call(http, "POST", f"/api/rooms/{room}/messages", token, json={"text": line})
    context = await chromium.new_context(viewport=PHONE, locale="id-ID", color_scheme=scheme)  # type: ignore[arg-type]
    await context.add_init_script(f"localStorage.setItem('kamar.session', {siti!r})")
    page = await context.new_page()
    await page.goto(f"{kamar.base_url}/#/rooms/{room}")
    await page.wait_for_selector("#messages .msg.mine", timeout=WAIT_MS)
    colours = await page.evaluate(
        "() => { const s = getComputedStyle(document.body); return [s.backgroundColor, s.color]; }"
    )
    assert colours == [background, text]
    await page.screenshot(path=str(screens_dir(tmp_path) / f"chat-{scheme}.png"))
    await context.close()
