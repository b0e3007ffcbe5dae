"""A profile photo in real Chromium at 360x640 in Indonesian: chosen on the profile page, it
replaces the initials there and in the room list; removed, the initials come back. A camera's
photo of several MB goes as a small one, made on the phone; a video is refused before a byte
is sent. With KAMAR_SCREENS=DIR (scripts/screens) the screenshot is kept there."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, Request

from tests.conftest import RunningServer
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS, png, signed_in_page
from tests.whole.browser.test_phone_screens_browser import screens_dir, shoot
from tests.whole.browser.test_search_browser import register
from tests.whole.browser.test_uploads_browser import FORM_FILE_SIZES, camera_photo, sparse_file

pytestmark = [pytest.mark.browser]


async def test_a_member_sets_and_removes_a_profile_photo(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        siti = await register(http, "siti")
    person = await signed_in_page(chromium, kamar, siti, "#/me", PHONE)
    page = person.page
    photo = tmp_path / "aku.png"
    photo.write_bytes(png(400, 300))
    await page.set_input_files("#avatar-file", str(photo), timeout=WAIT_MS)
    await page.wait_for_selector("#avatar-status:has-text('Foto profil disimpan')", timeout=WAIT_MS)
    await page.wait_for_selector("#profile-account .avatar-img", timeout=WAIT_MS)
    # On a phone the room list is hidden behind the profile page: in the page, not on screen.
    await page.wait_for_selector("#open-profile .avatar-img", state="attached", timeout=WAIT_MS)
    await shoot(page, screens_dir(tmp_path), "profile-photo")
    await page.click("#avatar-remove")
    await page.wait_for_selector("#avatar-status:has-text('Foto profil dihapus')", timeout=WAIT_MS)
    await page.wait_for_function(
        "() => !document.querySelector('#open-profile .avatar-img')", timeout=WAIT_MS
    )
    await person.context.close()


async def test_a_camera_photo_goes_small_and_a_video_is_refused_before_sending(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        siti = await register(http, "siti")
    person = await signed_in_page(chromium, kamar, siti, "#/me", PHONE)
    page = person.page
    await page.add_init_script(FORM_FILE_SIZES)
    await page.reload()
    requests: list[str] = []

    def note(request: Request) -> None:
        if request.url.endswith("/api/me/avatar") and request.method == "PUT":
            requests.append(request.url)

    page.on("request", note)
    # A video picked by mistake: refused on the phone, in Indonesian, nothing sent.
    video = sparse_file(tmp_path / "VID_20261207.mp4", 8 * 1024 * 1024)
    await page.set_input_files("#avatar-file", str(video), timeout=WAIT_MS)
    await page.wait_for_selector(
        "#avatar-status:has-text('Hanya foto (JPEG, PNG, GIF, WebP) yang bisa dipakai di sini.')",
        timeout=WAIT_MS,
    )
    assert requests == []

    photo = tmp_path / "IMG_20261207.jpg"
    before = camera_photo(photo)
    await page.set_input_files("#avatar-file", str(photo), timeout=WAIT_MS)
    await page.wait_for_selector("#avatar-status:has-text('Foto profil disimpan')", timeout=WAIT_MS)
    await page.wait_for_selector("#profile-account .avatar-img", timeout=WAIT_MS)
    assert len(requests) == 1
    [(path, size)] = await page.evaluate("window.kamarFormFiles")
    assert path == "/api/me/avatar"
    print(f"profile photo: {before} bytes on the phone, {size} bytes sent")
    assert 0 < size < 200 * 1024 < before
    assert person.errors == []
    await person.context.close()
