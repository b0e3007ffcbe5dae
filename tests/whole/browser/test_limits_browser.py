"""The community client in real Chromium shows the API's limits in the reader's language: after
repeated wrong passwords the sign-in form says, in Indonesian, how long to wait (the 429's
Retry-After), instead of the server's English message. Every wait polls with a deadline."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from rooms.community.login_throttle import PAIR_FREE
from tests.conftest import RunningServer
from tests.whole.browser.test_community_browser import WAIT_MS, open_person

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

PHONE = {"width": 360, "height": 640}


async def test_too_many_wrong_passwords_are_told_in_indonesian_with_the_wait(
    kamar: RunningServer, chromium: Browser
) -> None:
    person = await open_person(chromium, PHONE, kamar.base_url + "/")
    page = person.page
    await page.wait_for_selector("#login-form")
    box = page.locator("#login-form .error")
    for attempt in range(PAIR_FREE + 1):
        await page.fill("#auth-login", "ani")
        await page.fill("#auth-password", f"salah-{attempt}-sandi")
        await page.click("#login-form button[type=submit]")
        await page.wait_for_function(
            """(n) => { const box = document.querySelector('#login-form .error');
                        return !box.hidden && box.dataset.seen !== String(n)
                               && !document.querySelector('#login-form button').disabled; }""",
            arg=attempt,
            timeout=WAIT_MS,
        )
        await box.evaluate("(el, n) => { el.dataset.seen = String(n); }", attempt)
    text = await box.text_content()
    assert text is not None and text.startswith("Terlalu banyak percobaan"), text
    assert "detik" in text, text
    assert person.errors == []
    await person.context.close()
