"""A member on a 360x640 phone in Indonesian reads every failure in Indonesian: the server's
English `message` (and anything technical behind it) never reaches the page. Browser in
English: the same failures in English."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser

from tests.conftest import RunningServer
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS, open_person

pytestmark = [pytest.mark.browser]


async def test_a_wrong_password_is_told_in_indonesian(
    kamar: RunningServer, chromium: Browser
) -> None:
    person = await open_person(chromium, PHONE, kamar.base_url + "/")
    page = person.page
    await page.wait_for_selector("#login-form", timeout=WAIT_MS)
    await page.fill("#auth-login", "siti")
    await page.fill("#auth-password", "bukan-sandinya")
    await page.click("#login-form button[type=submit]")
    box = page.locator("#login-form .error[role=alert]:not([hidden])")
    await box.wait_for(timeout=WAIT_MS)
    assert await box.text_content() == "Nama pengguna/nomor HP atau kata sandi salah."
    assert person.errors == []
    await person.context.close()


async def test_a_broken_meeting_link_says_so_without_the_token_library_s_words(
    kamar: RunningServer, chromium: Browser
) -> None:
    person = await open_person(chromium, PHONE, kamar.base_url + "/r/rapat?token=abc.def.ghi")
    page = person.page
    await page.wait_for_function("() => document.body.dataset.phase === 'ended'", timeout=WAIT_MS)
    text = await page.locator("#ended-text").text_content()
    assert text == "Tautan pertemuan ini tidak berlaku. Mintalah tautan baru kepada penyelenggara."
    assert person.errors == []
    await person.context.close()


async def test_an_english_browser_reads_the_english_text(
    kamar: RunningServer, chromium: Browser
) -> None:
    context = await chromium.new_context(viewport=PHONE, locale="en-US")
    page = await context.new_page()
    await page.goto(kamar.base_url + "/")
    await page.wait_for_selector("#login-form", timeout=WAIT_MS)
    await page.fill("#auth-login", "siti")
    await page.fill("#auth-password", "not-the-password")
    await page.click("#login-form button[type=submit]")
    box = page.locator("#login-form .error[role=alert]:not([hidden])")
    await box.wait_for(timeout=WAIT_MS)
    assert await box.text_content() == "Wrong username/phone number or password."
    await context.close()
