"""An announcement with a photo and an event in Chromium at 360x640, in Indonesian: the organiser
attaches the photo and picks the event in the form, and it appears pinned in both rooms with
the photo and the event card; the organiser's pinned post says whom it reached (and per room
once opened), members see no such figures; the public page shows the photo."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image, ImageDraw
from playwright.async_api import Browser, Page

from tests.conftest import RunningServer, eventually
from tests.whole.browser.test_announcement_browser import account
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS, signed_in_page
from tests.whole.browser.test_profile_browser import call

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]


def poster(path: Path) -> Path:
    """A banner drawn here (no picture from elsewhere): red, with a white band."""
    image = Image.new("RGB", (800, 450), (190, 30, 45))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 170, 800, 280), fill=(250, 250, 250))
    draw.ellipse((340, 40, 460, 140), fill=(250, 200, 0))
    image.save(path, "JPEG", quality=85)
    return path


def screens(tmp_path: Path) -> Path:
    """docs/screens/ under scripts/screens (KAMAR_SCREENS), the test's own directory otherwise."""
    return Path(os.environ.get("KAMAR_SCREENS") or tmp_path)


async def photo_shown(page: Page, selector: str) -> None:
    """Wait until the image under `selector` has loaded (its bytes came and decoded)."""
    await page.wait_for_function(
        "(s) => { const img = document.querySelector(s); return img && img.naturalWidth > 0; }",
        arg=selector,
        timeout=WAIT_MS,
    )


async def rooms_of_siti(http: aiohttp.ClientSession) -> tuple[list[str], list[dict[str, Any]]]:
    """Siti runs two rooms; Budi is in the first, Ani in the second."""
    tokens = [await account(http, name) for name in ("siti", "budi", "ani")]
    siti = tokens[0]
    rooms = [
        await call(http, "POST", "/api/rooms", siti, 201, json={"name": name, "kind": "work"})
        for name in ("PUK Pabrik A", "PUK Pabrik B")
    ]
    for token, room in zip(tokens[1:], rooms, strict=True):
        invite = await call(http, "POST", f"/api/rooms/{room['id']}/invites", siti, 201, json={})
        await call(http, "POST", f"/api/invites/{invite['code']}/accept", token)
    return tokens, rooms


async def test_an_announcement_with_a_photo_and_an_event_is_pinned_in_two_rooms(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        (siti, budi, ani), rooms = await rooms_of_siti(http)
        day = (datetime.now() + timedelta(days=3)).strftime("%Y-%m-%d")
        event = {
            "title": "Rapat akbar 1 Mei",
            "kind": "offline",
            "starts_at": f"{day}T19:00",
            "ends_at": f"{day}T21:00",
            "location": "Balai RW 05",
        }
        await call(http, "POST", f"/api/rooms/{rooms[0]['id']}/events", siti, 201, json=event)
        members = [
            await signed_in_page(chromium, kamar, token, f"#/rooms/{room['id']}", PHONE)
            for token, room in ((budi, rooms[0]), (ani, rooms[1]))
        ]
        organiser = await signed_in_page(chromium, kamar, siti, "#/announce", PHONE)
        page = organiser.page
        await page.fill("#announce-title", "Aksi 1 Mei")
        await page.fill("#announce-text", "Kumpul jam 7 di depan pabrik. Bawa bendera.")
        for room in rooms:
            await page.check(f"#announce-form input[name=room][value='{room['id']}']")
        await page.set_input_files("#announce-file", str(poster(tmp_path / "spanduk.jpg")))
        await page.wait_for_selector("#announce-staged li:has-text('siap')", timeout=WAIT_MS)
        await page.wait_for_selector(
            "#announce-event option:has-text('Rapat akbar 1 Mei')",
            state="attached",
            timeout=WAIT_MS,
        )
        await page.select_option("#announce-event", label=await event_label(page))
        await page.locator("#announce-public").scroll_into_view_if_needed()
        await page.screenshot(path=screens(tmp_path) / "announce-media-form.png")
        await page.click("#announce-form button[type=submit]")
        await page.wait_for_selector(
            "#announce-result:has-text('Terkirim ke 2 kamar, 4 anggota')", timeout=WAIT_MS
        )

        for person in members:
            await person.page.wait_for_selector(
                "#pinned-title:has-text('Aksi 1 Mei')", timeout=WAIT_MS
            )
            await photo_shown(person.page, "#pinned-media img")
            card = await person.page.inner_text("#pinned-event")
            assert "Rapat akbar 1 Mei" in card and "19.00" in card and "Balai RW 05" in card
            assert await person.page.get_attribute("#pinned-rsvp", "href") == (
                f"#/rooms/{rooms[0]['id']}/agenda"
            )
            assert await person.page.locator("#pinned-reach").count() == 0  # members: no figures
        await members[1].page.screenshot(path=screens(tmp_path) / "announce-media-pinned.png")

        # Budi's and Ani's open chats mark the post read: the figures count them once they have.
        [announced] = (await call(http, "GET", f"/api/rooms/{rooms[1]['id']}/announcements", ani))[
            "announcements"
        ]
        await read_by_all(http, siti, announced["id"])
        await page.goto(f"{kamar.base_url}/#/rooms/{rooms[1]['id']}")
        await page.wait_for_selector("#pinned-reach", timeout=WAIT_MS)
        # Siti in both rooms, Budi and Ani in one each.
        assert await page.inner_text("#pinned-reach") == "Terkirim ke 4 anggota · Dibaca 4"
        await photo_shown(page, "#pinned-media img")
        await page.screenshot(path=screens(tmp_path) / "announce-media-reach.png")
        await page.click("#pinned-toggle")
        await page.click("#pinned-reach-rooms summary")
        per_room = await page.inner_text("#pinned-reach-rooms")
        assert "PUK Pabrik A: 2 anggota, 2 sudah membaca" in per_room
        assert "PUK Pabrik B: 2 anggota, 2 sudah membaca" in per_room
        await photo_shown(page, "#pinned-media img")
        await page.locator("#pinned-reach-rooms").scroll_into_view_if_needed()
        await page.screenshot(path=screens(tmp_path) / "announce-media-reach-rooms.png")
        for person in (*members, organiser):
            assert "null" not in await person.page.inner_text("#pinned")
            assert person.errors == []


async def read_by_all(http: aiohttp.ClientSession, author: str, announcement_id: int) -> None:
    """Until every recipient's read receipt is past the post (the pages send them)."""

    async def all_read() -> bool:
        view = await call(http, "GET", f"/api/announcements/{announcement_id}", author)
        return bool(view["reach"]["read"] == view["reach"]["recipients"])

    await eventually(all_read, WAIT_MS / 1000, "every member's read receipt")


async def event_label(page: Page) -> str:
    labels = await page.locator("#announce-event option").all_inner_texts()
    [label] = [text for text in labels if "Rapat akbar 1 Mei" in text]
    return label


async def test_a_public_announcements_page_shows_its_photo_and_event(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        (siti, _budi, _ani), rooms = await rooms_of_siti(http)
        form = aiohttp.FormData()
        data = poster(tmp_path / "spanduk.jpg").read_bytes()
        form.add_field("file", data, filename="spanduk.jpg", content_type="image/jpeg")
        headers = {"Authorization": f"Bearer {siti}"}
        async with http.post(
            f"/api/rooms/{rooms[0]['id']}/attachments", data=form, headers=headers
        ) as answer:
            assert answer.status == 201
            shot = await answer.json()
        event = {
            "title": "Rapat akbar 1 Mei",
            "kind": "offline",
            "starts_at": "2030-05-01T07:00",
            "ends_at": "2030-05-01T10:00",
        }
        made = await call(
            http, "POST", f"/api/rooms/{rooms[0]['id']}/events", siti, 201, json=event
        )
        body = {
            "title": "Aksi 1 Mei",
            "text": "Kumpul jam 7 di depan pabrik.",
            "room_ids": [room["id"] for room in rooms],
            "public": True,
            "attachment_ids": [shot["id"]],
            "event_id": made["id"],
        }
        published = await call(http, "POST", "/api/announcements", siti, 201, json=body)
    context = await chromium.new_context(viewport=PHONE, locale="id-ID")
    page = await context.new_page()
    await page.goto(f"{kamar.base_url}/a/{published['id']}")
    await photo_shown(page, ".public-photo")
    image = await page.locator("meta[property='og:image']").get_attribute("content")
    assert image == f"{kamar.base_url}/a/{published['id']}/photos/{shot['id']}"
    assert "2030-05-01 07:00–10:00 WIB" in await page.inner_text("#event-card")
    assert "PUK Pabrik" not in await page.content()
    await page.screenshot(path=screens(tmp_path) / "announce-media-public.png")
    await context.close()
