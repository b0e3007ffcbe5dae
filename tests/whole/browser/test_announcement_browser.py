"""An announcement to three rooms in Chromium at 360x640, in Indonesian: it appears pinned at
the top of each room's chat as it is published (the feed), members of two rooms comment from
their own rooms, and every room shows the two comments under the one post."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser

from tests.conftest import RunningServer
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS, signed_in_page
from tests.whole.browser.test_profile_browser import call

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]


async def account(http: aiohttp.ClientSession, username: str) -> str:
    body = {"username": username, "password": "rahasia-2026", "display_name": username.title()}
    answer = await call(http, "POST", "/api/auth/register", expect=201, json=body)
    token: str = answer["token"]
    return token


async def test_an_announcement_is_pinned_in_three_rooms_with_one_comment_thread(
    kamar: RunningServer, chromium: Browser
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        siti, budi, ani = [await account(http, name) for name in ("siti", "budi", "ani")]
        rooms = [
            await call(http, "POST", "/api/rooms", siti, 201, json={"name": name, "kind": "region"})
            for name in ("Sukarasa", "Gegerkalong", "Ciumbuleuit")
        ]
        for token, room in ((budi, rooms[0]), (ani, rooms[1])):
            invite = await call(
                http, "POST", f"/api/rooms/{room['id']}/invites", siti, 201, json={}
            )
            await call(http, "POST", f"/api/invites/{invite['code']}/accept", token)
        people = [
            await signed_in_page(chromium, kamar, token, f"#/rooms/{room['id']}", PHONE)
            for token, room in ((budi, rooms[0]), (ani, rooms[1]), (siti, rooms[2]))
        ]
        for person in people:
            await person.page.wait_for_selector("#chat-input", timeout=WAIT_MS)
            assert await person.page.locator("#pinned").is_hidden()

        await call(
            http,
            "POST",
            "/api/announcements",
            siti,
            201,
            json={
                "title": "Aksi 1 Mei",
                "text": "Kumpul jam 7 di alun-alun.",
                "room_ids": [room["id"] for room in rooms],
            },
        )
        for person in people:
            await person.page.wait_for_selector(
                "#pinned-title:has-text('Aksi 1 Mei')", timeout=WAIT_MS
            )
            assert await person.page.inner_text("#pinned-count") == "0 komentar"

        for person, text in ((people[0], "Siap, RW 05 hadir"), (people[1], "Kami bawa spanduk")):
            page = person.page
            await page.click("#pinned-toggle")
            await page.fill("#pinned-comment", text)
            await page.click("#pinned-form button[type=submit]")
            await page.wait_for_selector(f"#pinned-comments li:has-text('{text}')", timeout=WAIT_MS)

        await people[2].page.wait_for_selector(
            "#pinned-count:has-text('2 komentar')", timeout=WAIT_MS
        )
        await people[2].page.click("#pinned-toggle")
        for person in people:
            page = person.page
            await page.wait_for_function(
                "() => document.querySelectorAll('#pinned-comments li').length === 2",
                timeout=WAIT_MS,
            )
            thread = await page.inner_text("#pinned-comments")
            assert thread.index("Siap, RW 05 hadir") < thread.index("Kami bawa spanduk")
            assert "dari Sukarasa" in thread and "dari Gegerkalong" in thread
            # One's own comment comes back twice (the answer and the feed): counted once.
            assert await page.inner_text("#pinned-count") == "2 komentar"
            assert "null" not in await page.inner_text("#pinned")
            assert person.errors == []


async def test_an_organiser_posts_an_announcement_from_the_page(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        siti, budi = [await account(http, name) for name in ("siti", "budi")]
        rooms = [
            await call(http, "POST", "/api/rooms", siti, 201, json={"name": name, "kind": "work"})
            for name in ("PUK Pabrik A", "PUK Pabrik B", "Pengurus")
        ]
        invite = await call(
            http, "POST", f"/api/rooms/{rooms[0]['id']}/invites", siti, 201, json={}
        )
        await call(http, "POST", f"/api/invites/{invite['code']}/accept", budi)
        member = await signed_in_page(chromium, kamar, budi, f"#/rooms/{rooms[0]['id']}", PHONE)
        await member.page.wait_for_selector("#chat-input", timeout=WAIT_MS)

        organiser = await signed_in_page(chromium, kamar, siti, "#/rooms", PHONE)
        page = organiser.page
        await page.wait_for_selector(".room-item", timeout=WAIT_MS)
        await page.goto(f"{kamar.base_url}/#/campaigns")
        await page.click("#open-announce")
        await page.fill("#announce-title", "Mogok makan siang")
        await page.fill("#announce-text", "Jumat jam 12 di kantin.")
        boxes = [f"#announce-form input[name=room][value='{room['id']}']" for room in rooms]
        for box in boxes[:2]:
            await page.check(box)
        # Saved as a list, then chosen again: the list ticks its rooms.
        await page.fill("#announce-list-name", "PUK Pabrik")
        await page.click("#announce-list-save")
        await page.wait_for_selector("#announce-list-status:has-text('tersimpan')", timeout=WAIT_MS)
        for box in boxes[:2]:
            await page.uncheck(box)
        await page.select_option("#announce-list", label="PUK Pabrik")
        assert [await page.is_checked(box) for box in boxes] == [True, True, False]
        await page.screenshot(path=str(tmp_path / "organise-announce-lists.png"))
        await page.check("#announce-public")
        await page.click("#announce-form button[type=submit]")
        await page.wait_for_selector(
            "#announce-result:has-text('Terkirim ke 2 kamar, 3 anggota')", timeout=WAIT_MS
        )
        organiser_code = (await call(http, "GET", "/api/me/referral", siti))["code"]
        await page.wait_for_selector(
            f"#announce-public-link[href$='?ref={organiser_code}']", timeout=WAIT_MS
        )
        linked = await page.get_attribute("#announce-public-link", "href")
        assert linked and linked.startswith("/a/")
        public = linked.split("?")[0]
        await member.page.wait_for_selector(
            "#pinned-title:has-text('Mogok makan siang')", timeout=WAIT_MS
        )
        pinned = await call(http, "GET", f"/api/rooms/{rooms[2]['id']}/announcements", siti)
        assert pinned["announcements"] == []  # the third room was not ticked
        # The member's link to the public page carries his referral code: whoever signs up
        # through the page he shares is credited to him.
        code = (await call(http, "GET", "/api/me/referral", budi))["code"]
        await member.page.click("#pinned-toggle")
        await member.page.wait_for_selector(f"#pinned-public[href$='?ref={code}']", timeout=WAIT_MS)
        assert await member.page.get_attribute("#pinned-public", "href") == f"{public}?ref={code}"
        assert organiser.errors == [] and member.errors == []


async def test_reactions_from_two_rooms_show_the_same_count_on_both_pages(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        siti, budi, ani = [await account(http, name) for name in ("siti", "budi", "ani")]
        rooms = [
            await call(http, "POST", "/api/rooms", siti, 201, json={"name": name, "kind": "work"})
            for name in ("PUK Pabrik A", "PUK Pabrik B")
        ]
        for token, room in ((budi, rooms[0]), (ani, rooms[1])):
            invite = await call(
                http, "POST", f"/api/rooms/{room['id']}/invites", siti, 201, json={}
            )
            await call(http, "POST", f"/api/invites/{invite['code']}/accept", token)
        body = {"title": "Mogok", "text": "Jumat jam 12.", "room_ids": [r["id"] for r in rooms]}
        await call(http, "POST", "/api/announcements", siti, 201, json=body)
        people = [
            await signed_in_page(chromium, kamar, token, f"#/rooms/{room['id']}", PHONE)
            for token, room in ((budi, rooms[0]), (ani, rooms[1]))
        ]
        for person in people:
            await person.page.wait_for_selector("#pinned-title:has-text('Mogok')", timeout=WAIT_MS)
            await person.page.click("#pinned-toggle")
            await person.page.wait_for_selector("#pinned-reactions button", timeout=WAIT_MS)
        fist = "#pinned-reactions button[data-emoji='✊']"
        await people[0].page.click(fist)
        await people[0].page.wait_for_selector(f"{fist}[aria-pressed=true]", timeout=WAIT_MS)
        # Ani's page, in the other room, gets Budi's reaction over the feed, then adds hers.
        await people[1].page.wait_for_selector(f"{fist}:has-text('1')", timeout=WAIT_MS)
        assert await people[1].page.get_attribute(fist, "aria-pressed") == "false"
        await people[1].page.click(fist)
        for person in people:
            page = person.page
            await page.wait_for_selector(f"{fist}:has-text('2')", timeout=WAIT_MS)
            assert await page.get_attribute(fist, "aria-pressed") == "true"
            await page.click("#pinned-toggle")  # closed, the head still shows the count
            assert await page.inner_text("#pinned-reactions-summary") == "✊ 2"
            assert person.errors == []
        await people[0].page.click("#pinned-toggle")
        await people[0].page.screenshot(path=str(tmp_path / "organise-reactions.png"))


async def test_a_public_page_shows_its_preview_tags_and_nothing_private(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    """What WhatsApp, Facebook, X and Telegram read from a shared link, and what a visitor
    without an account sees, on a phone in Indonesian: the announcement only."""
    async with aiohttp.ClientSession(kamar.base_url) as http:
        siti, budi = [await account(http, name) for name in ("siti", "budi")]
        room = await call(
            http, "POST", "/api/rooms", siti, 201, json={"name": "PUK Rahasia", "kind": "work"}
        )
        invite = await call(http, "POST", f"/api/rooms/{room['id']}/invites", siti, 201, json={})
        await call(http, "POST", f"/api/invites/{invite['code']}/accept", budi)
        body = {
            "title": "Aksi 1 Mei",
            "text": "Kumpul jam 7 di alun-alun.\n\nBawa bendera.",
            "room_ids": [room["id"]],
            "public": True,
        }
        published = await call(http, "POST", "/api/announcements", siti, 201, json=body)
        comment = {"room_id": room["id"], "text": "Budi ikut dari pabrik"}
        await call(
            http, "POST", f"/api/announcements/{published['id']}/comments", budi, 201, json=comment
        )
        code = (await call(http, "GET", "/api/me/referral", budi))["code"]

    context = await chromium.new_context(viewport=PHONE, locale="id-ID")
    page = await context.new_page()
    url = f"{kamar.base_url}/a/{published['id']}?ref={code}"
    await page.goto(url)

    async def meta(key: str) -> str | None:
        found = page.locator(f"meta[property='{key}'], meta[name='{key}']")
        return await found.first.get_attribute("content")

    assert await meta("og:title") == await meta("twitter:title") == "Aksi 1 Mei"
    assert await meta("og:description") == "Kumpul jam 7 di alun-alun. Bawa bendera."
    assert await meta("og:url") == url and await meta("og:type") == "article"
    assert await meta("twitter:card") == "summary"
    shown = await page.inner_text("body")
    assert "Aksi 1 Mei" in shown and "Bawa bendera." in shown and "Siti" in shown
    for private in ("PUK Rahasia", "Budi", "pabrik", "budi"):
        assert private not in shown and private not in await page.content()
    assert await page.get_attribute(f"a[href='/#/join/{code}']", "href") == f"/#/join/{code}"
    await page.screenshot(path=str(tmp_path / "organise-public-page.png"))
    await context.close()
