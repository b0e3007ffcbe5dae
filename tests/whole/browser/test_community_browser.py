"""Two real Chromium pages use the community client (web/app.html) against the real server:
register, create a room, invite, chat with a photo and a reply, read receipts, unread counts,
and the agenda with RSVP. Every wait polls a condition with a deadline."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, BrowserContext, Page

from signalling.ws import SERVICES_KEY
from tests.conftest import RunningServer, running_kamar

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

PHONE = {"width": 360, "height": 640}
DESKTOP = {"width": 1280, "height": 800}
WAIT_MS = 15_000


def png(width: int, height: int) -> bytes:
    """A small RGB PNG (a colour gradient), written by hand so the test needs no imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 4 % 256, y * 5 % 256, 160)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class Person:
    """One browser context and page, with the page's script errors collected."""

    def __init__(self, context: BrowserContext, page: Page) -> None:
        self.context = context
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))


async def open_person(browser: Browser, viewport: dict[str, int], url: str) -> Person:
    context = await browser.new_context(viewport=viewport, locale="id-ID")
    person = Person(context, await context.new_page())
    await person.page.goto(url)
    return person


async def register(page: Page, display_name: str, username: str) -> None:
    await page.wait_for_selector("#login-form, #register-form")
    if await page.locator("#register-form").count() == 0:
        await page.click("#auth-switch")
    await page.fill("#auth-display_name", display_name)
    await page.fill("#auth-username", username)
    await page.fill("#auth-password", "rahasia-serikat-2026")
    await page.click("#register-form button[type=submit]")


async def test_two_members_chat_share_a_photo_and_plan_an_event(
    kamar: RunningServer, chromium: Browser
) -> None:
    # Siti, on a phone-sized page, first mistypes a password: the form says so.
    siti = await open_person(chromium, PHONE, kamar.base_url + "/")
    a = siti.page
    await a.wait_for_selector("#login-form", timeout=WAIT_MS)
    await a.fill("#auth-login", "siti")
    await a.fill("#auth-password", "bukan-sandinya")
    await a.click("#login-form button[type=submit]")
    await a.wait_for_selector("#login-form .error[role=alert]:not([hidden])", timeout=WAIT_MS)
    # She registers; the page speaks Indonesian.
    await register(a, "Siti Aminah", "siti")
    await a.wait_for_selector("#new-room", timeout=WAIT_MS)
    assert await a.evaluate("document.documentElement.lang") == "id"

    # A form error names its field: a room without a name is refused by the server.
    await a.click("#new-room")
    await a.click("#create-room-form button[type=submit]")
    await a.wait_for_selector("#create-room-form [aria-invalid=true]", timeout=WAIT_MS)
    assert await a.locator("#create-room-form .error[role=alert]").is_visible()

    await a.fill("#room-name-input", "Serikat Pekerja Pabrik Tekstil")
    await a.select_option("#room-kind", "work")
    await a.click("#create-room-form button[type=submit]")
    await a.wait_for_selector("#btn-invite", timeout=WAIT_MS)
    room_id = int(a.url.split("#/rooms/")[1].split("/")[0])

    await a.click("#btn-invite")
    await a.wait_for_selector("#invite-link", timeout=WAIT_MS)
    invite_link = await a.input_value("#invite-link")
    assert "#/invite/" in invite_link

    # Budi opens the invitation on a desktop-sized page, registers, and lands in the room.
    budi = await open_person(chromium, DESKTOP, invite_link)
    b = budi.page
    await b.wait_for_selector("#login-form", timeout=WAIT_MS)
    await register(b, "Budi Santoso", "budi")
    await b.wait_for_selector("#chat-input", timeout=WAIT_MS)
    assert b.url.endswith(f"#/rooms/{room_id}")
    await b.wait_for_selector(f".room-item[data-room-id='{room_id}']", timeout=WAIT_MS)
    # Siti's member list, still open, gains Budi as he joins.
    await a.wait_for_selector("#member-list li.member:has-text('Budi Santoso')", timeout=WAIT_MS)

    # Siti writes, then sends a photo on its own.
    await a.click("#tab-chat")
    await a.fill("#chat-input", "Rapat anggota besok jam 19.00")
    await a.click("#chat-send")
    await a.wait_for_selector("#messages li.msg.mine[data-id] .text", timeout=WAIT_MS)
    await a.set_input_files(
        "#chat-file",
        files=[{"name": "spanduk.png", "mimeType": "image/png", "buffer": png(96, 64)}],
    )
    await a.click("#chat-send")
    await a.wait_for_selector("#messages li.msg.mine[data-id] img.thumb-img", timeout=WAIT_MS)

    # Budi sees both without reloading; the thumbnail really loaded.
    await b.wait_for_selector(
        "#messages li.msg:not(.mine) .text:has-text('Rapat anggota besok')", timeout=WAIT_MS
    )
    await b.wait_for_function(
        """() => [...document.querySelectorAll('#messages li.msg:not(.mine) img.thumb-img')]
                 .some((img) => img.complete && img.naturalWidth > 0)""",
        timeout=WAIT_MS,
    )

    # Budi replies to the text message.
    first = b.locator("#messages li.msg:not(.mine)", has_text="Rapat anggota besok")
    await first.locator(".msg-menu").click()
    await first.locator("[data-action=reply]").click()
    assert "Siti Aminah" in await b.inner_text(".composer-context")
    await b.fill("#chat-input", "Siap, saya hadir")
    await b.press("#chat-input", "Enter")  # a desktop sends with Enter

    # Siti sees the reply quoting her message, and that Budi has read hers.
    reply = a.locator("#messages li.msg:not(.mine)", has_text="Siap, saya hadir")
    await reply.wait_for(timeout=WAIT_MS)
    assert "Rapat anggota besok" in await reply.locator(".quote").inner_text()
    await a.wait_for_selector(
        "#messages li.msg.mine .receipt:not([data-read-by='0'])", timeout=WAIT_MS
    )
    assert not await a.locator("#messages li.pending").count()  # no duplicate placeholders
    assert await a.locator("#messages li.msg[data-id]").count() == 3

    # Back on her room list, Siti's unread count follows Budi's next message.
    await a.click(".room-head .back")
    item = f".room-item[data-room-id='{room_id}']"
    await a.wait_for_selector(item, timeout=WAIT_MS)
    assert await a.locator(f"{item} .unread").count() == 0
    await b.fill("#chat-input", "Saya bawa spanduknya")
    await b.press("#chat-input", "Enter")
    await a.wait_for_selector(f"{item} .unread[data-unread='1']", timeout=WAIT_MS)
    assert "Saya bawa spanduknya" in await a.inner_text(f"{item} .room-last")

    # Opening the room reads it: the count goes away.
    await a.click(item)
    await a.wait_for_selector("#messages li.msg:has-text('Saya bawa spanduknya')", timeout=WAIT_MS)
    await a.click(".room-head .back")
    await a.wait_for_selector(f"{item}:not(:has(.unread))", timeout=WAIT_MS)

    # Siti puts a meeting on the agenda.
    await a.click(item)
    await a.click("#tab-agenda")
    await a.click("#btn-new-event", timeout=WAIT_MS)
    await a.fill("#event-title", "Rapat anggota bulanan")
    await a.select_option("#event-kind", "meeting")
    await a.click("#event-submit")
    event = a.locator("#event-list li.event", has_text="Rapat anggota bulanan")
    await event.wait_for(timeout=WAIT_MS)
    assert "Asia/Jakarta" in await event.locator(".when").inner_text()
    assert await event.locator(".rsvp-count").get_attribute("data-going") == "0"

    # Budi answers "going"; Siti's count follows.
    await b.click("#tab-agenda")
    theirs = b.locator("#event-list li.event", has_text="Rapat anggota bulanan")
    await theirs.wait_for(timeout=WAIT_MS)
    await theirs.locator("[data-response=going]").click()
    await b.wait_for_selector(
        "#event-list li.event [data-response=going][aria-pressed=true]", timeout=WAIT_MS
    )
    await a.wait_for_selector("#event-list li.event .rsvp-count[data-going='1']", timeout=WAIT_MS)
    calendar = await a.get_attribute("#room-calendar", "href")
    assert calendar is not None and f"/api/rooms/{room_id}/calendar.ics" in calendar

    # The reminder (sent by the server's sweep some 15 minutes ahead; here with a wider lead,
    # as the suggested start is up to an hour away) shows on both pages with a meeting button.
    community = kamar.server.app[SERVICES_KEY].community
    assert community is not None
    assert await community.agenda.send_reminders(lead_ms=3 * 3600 * 1000) == 1
    for page in (a, b):
        notice = page.locator(".notice-item.reminder", has_text="Rapat anggota bulanan")
        await notice.wait_for(timeout=WAIT_MS)
        assert await notice.locator("button", has_text="Gabung rapat video").count() == 1

    # The meeting button opens the room's meeting page with a join token, and it joins.
    await b.click("#btn-meeting")
    await b.wait_for_url("**/r/**", timeout=WAIT_MS)
    await b.wait_for_function(
        "() => window.kamarDebug && window.kamarDebug.state.phase === 'joined'", timeout=WAIT_MS
    )
    assert "token=" not in b.url  # the meeting page keeps the token out of the address bar

    for person in (siti, budi):
        assert person.errors == [], person.errors
        await person.context.close()


async def api_call(
    http: aiohttp.ClientSession, method: str, path: str, token: str | None = None, **kwargs: Any
) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.request(method, path, headers=headers, **kwargs) as response:
        assert response.status < 300, f"{method} {path}: {response.status} {await response.text()}"
        return await response.json() if response.status != 204 else None


async def signed_in_page(
    browser: Browser,
    kamar: RunningServer,
    token: str,
    hash_: str,
    viewport: dict[str, int] = DESKTOP,
) -> Person:
    """A device already signed in: the session token is stored before every load."""
    context = await browser.new_context(viewport=viewport, locale="id-ID")
    await context.add_init_script(f"localStorage.setItem('kamar.session', {token!r})")
    person = Person(context, await context.new_page())
    await person.page.goto(f"{kamar.base_url}/{hash_}")
    return person


async def test_history_edits_typing_and_catching_up_after_a_dropped_connection(
    tmp_path: Path, chromium: Browser
) -> None:
    # Sixty messages posted back to back make the history: past the chat limit on purpose
    # (tests/server/test_api_limits.py tests the limit).
    async with (
        running_kamar(tmp_path, no_rate_limits=True) as kamar,
        aiohttp.ClientSession(kamar.base_url) as http,
    ):
        users = {}
        for name in ("siti", "budi"):
            body = {"username": name, "password": "rahasia-serikat", "display_name": name.title()}
            users[name] = await api_call(http, "POST", "/api/auth/register", json=body)
        siti, budi = users["siti"]["token"], users["budi"]["token"]
        room = await api_call(
            http, "POST", "/api/rooms", siti, json={"name": "PUK", "kind": "work"}
        )
        rid = room["id"]
        invite = await api_call(http, "POST", f"/api/rooms/{rid}/invites", siti, json={})
        await api_call(http, "POST", f"/api/invites/{invite['code']}/accept", budi)
        posted = []
        for n in range(1, 61):
            message = await api_call(
                http, "POST", f"/api/rooms/{rid}/messages", budi, json={"text": f"Pesan {n}"}
            )
            posted.append(message["id"])

        public = await api_call(
            http,
            "POST",
            "/api/rooms",
            budi,
            json={"name": "Jaringan", "kind": "network", "visibility": "public"},
        )

        # The room list shows what the server counts as unread.
        person = await signed_in_page(chromium, kamar, siti, "#/rooms")
        page = person.page
        item = f".room-item[data-room-id='{rid}']"
        await page.wait_for_selector(f"{item} .unread[data-unread='60']", timeout=WAIT_MS)

        # A public room is offered beside the list and can be joined with one tap.
        await page.click(".discover-item:has-text('Jaringan') button", timeout=WAIT_MS)
        await page.wait_for_url(f"**#/rooms/{public['id']}", timeout=WAIT_MS)
        await page.wait_for_selector(f".room-item[data-room-id='{public['id']}']", timeout=WAIT_MS)

        # Fifty messages first, opened where the unread ones start; the rest on request.
        await page.click(item)
        await page.wait_for_selector("#messages li.msg[data-id] >> nth=49", timeout=WAIT_MS)
        assert await page.locator("#messages li.msg[data-id]").count() == 50
        assert await page.locator("#unread-divider").is_visible()
        await page.click("#load-older")
        await page.wait_for_selector("#messages li.msg[data-id] >> nth=59", timeout=WAIT_MS)
        assert await page.locator(".start-note").is_visible()
        # Still unread until the newest has been on screen.
        assert await page.locator(f"{item} .unread").count() == 1
        await page.locator("#messages li.msg[data-id]").last.scroll_into_view_if_needed()
        oldest = page.locator("#messages li.msg[data-id] .text").first
        assert await oldest.inner_text() == "Pesan 1"
        await page.wait_for_selector(f"{item}:not(:has(.unread))", timeout=WAIT_MS)

        # Someone typing shows under the room's name; their edits and deletions show at once.
        async with http.ws_connect(kamar.ws_url) as ws:
            await ws.send_json({"type": "auth", "token": budi})
            assert (await ws.receive_json(timeout=5))["type"] == "authed"
            await ws.send_json({"type": "typing", "room_id": rid})
            await page.wait_for_selector("#room-sub.typing:has-text('Budi')", timeout=WAIT_MS)

            await api_call(
                http, "PATCH", f"/api/messages/{posted[-1]}", budi, json={"text": "Ralat"}
            )
            edited = f"#msg-{posted[-1]}"
            await page.wait_for_selector(f"{edited} .text:has-text('Ralat')", timeout=WAIT_MS)
            assert await page.locator(f"{edited} .edited").is_visible()
            await api_call(http, "DELETE", f"/api/messages/{posted[-2]}", budi)
            await page.wait_for_selector(f"#msg-{posted[-2]}.deleted", timeout=WAIT_MS)

            # Siti edits and deletes her own message through the page.
            await page.fill("#chat-input", "Halo semua")
            await page.click("#chat-send")
            own = page.locator("#messages li.msg.mine[data-id]")
            await own.wait_for(timeout=WAIT_MS)
            own_id = int(await own.get_attribute("data-id") or 0)
            await own.locator(".msg-menu").click()
            await own.locator("[data-action=edit]").click()
            assert await page.input_value("#chat-input") == "Halo semua"
            await page.fill("#chat-input", "Halo semuanya")
            await page.click("#chat-send")
            await page.wait_for_selector(
                f"#msg-{own_id} .text:text-is('Halo semuanya')", timeout=WAIT_MS
            )

            # Budi reads it over his socket: Siti's message shows as read.
            await ws.send_json({"type": "read", "room_id": rid, "message_id": own_id})
            await page.wait_for_selector(
                f"#msg-{own_id} .receipt[data-read-by='1']", timeout=WAIT_MS
            )

            await page.locator(f"#msg-{own_id} .msg-menu").click()
            await page.locator(f"#msg-{own_id} [data-action=delete]").click()
            await page.click(f"#confirm-delete-{own_id}")
            await page.wait_for_selector(f"#msg-{own_id}.deleted", timeout=WAIT_MS)

        # The connection drops; what was said meanwhile appears once it is back.
        await page.evaluate("window.kamarApp.feed.stop()")
        for n in (1, 2, 3):
            await api_call(
                http, "POST", f"/api/rooms/{rid}/messages", budi, json={"text": f"Terlewat {n}"}
            )
        assert await page.locator("#messages li.msg:has-text('Terlewat')").count() == 0
        await page.evaluate("window.kamarApp.feed.start()")
        await page.wait_for_selector(
            "#messages li.msg[data-id]:has-text('Terlewat 3')", timeout=WAIT_MS
        )
        assert await page.locator("#messages li.msg:has-text('Terlewat')").count() == 3
        assert person.errors == [], person.errors
        await person.context.close()  # before the server waits for its sessions to end
