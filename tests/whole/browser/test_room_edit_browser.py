"""A room's owner edits its name, description and visibility from the info pane (web/app.html)
in real Chromium; a member's open page follows over the feed without reloading, and sees no
edit control. Every wait polls a condition with a deadline."""

from __future__ import annotations

import aiohttp
import pytest
from playwright.async_api import Browser

from tests.conftest import RunningServer
from tests.whole.browser.test_community_browser import (
    PHONE,
    WAIT_MS,
    api_call,
    signed_in_page,
)

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

NEW_NAME = "PUK Tekstil Bersatu"
NEW_DESCRIPTION = "Serikat pekerja pabrik tekstil Bekasi."


async def test_owner_edits_room_details_and_members_see_them_live(
    kamar: RunningServer, chromium: Browser
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        tokens = {}
        for name in ("siti", "budi"):
            body = {"username": name, "password": "rahasia-serikat", "display_name": name.title()}
            tokens[name] = (await api_call(http, "POST", "/api/auth/register", json=body))["token"]
        siti, budi = tokens["siti"], tokens["budi"]
        room = await api_call(
            http, "POST", "/api/rooms", siti, json={"name": "PUK", "kind": "work"}
        )
        rid = room["id"]
        assert room["visibility"] == "invite"
        invite = await api_call(http, "POST", f"/api/rooms/{rid}/invites", siti, json={})
        await api_call(http, "POST", f"/api/invites/{invite['code']}/accept", budi)

        # Budi, a member, on a desktop page: the room list, header and info pane side by side.
        member = await signed_in_page(chromium, kamar, budi, f"#/rooms/{rid}/info")
        b = member.page
        await b.wait_for_selector("#member-list li.member >> nth=1", timeout=WAIT_MS)
        await b.wait_for_selector(f".room-item[data-room-id='{rid}']", timeout=WAIT_MS)
        assert await b.locator("#btn-edit-room").count() == 0
        assert await b.locator("#room-edit-form").count() == 0
        await b.evaluate("window.notReloaded = true")

        # Siti, the owner, on a phone-sized page.
        owner = await signed_in_page(chromium, kamar, siti, f"#/rooms/{rid}/info", PHONE)
        a = owner.page
        await a.click("#btn-edit-room", timeout=WAIT_MS)
        await a.wait_for_selector("#room-edit-form", timeout=WAIT_MS)
        assert await a.input_value("#room-edit-name") == "PUK"
        assert await a.input_value("#room-edit-visibility") == "invite"

        # An empty name is refused, and the form says which field.
        await a.fill("#room-edit-name", "   ")
        await a.click("#room-edit-save")
        await a.wait_for_selector("#room-edit-name[aria-invalid=true]", timeout=WAIT_MS)
        assert await a.locator("#room-edit-form .error[role=alert]").is_visible()
        assert (await api_call(http, "GET", f"/api/rooms/{rid}", siti))["name"] == "PUK"

        # The form fits a 360 px wide phone: nothing sticks out sideways, Save is reachable.
        assert await a.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        save = await a.locator("#room-edit-save").bounding_box()
        assert save is not None and save["x"] >= 0 and save["x"] + save["width"] <= PHONE["width"]

        # She renames the room, describes it and opens it to every user.
        await a.fill("#room-edit-name", NEW_NAME)
        await a.fill("#room-edit-description", NEW_DESCRIPTION)
        await a.select_option("#room-edit-visibility", "public")
        await a.click("#room-edit-save")
        await a.wait_for_selector("#room-edit-form", state="detached", timeout=WAIT_MS)
        await a.wait_for_selector(f"#info-room-name:text-is('{NEW_NAME}')", timeout=WAIT_MS)
        assert await a.inner_text("#room-title") == NEW_NAME
        assert await a.inner_text("#info-room-description") == NEW_DESCRIPTION
        assert "Terbuka untuk semua pengguna" in await a.inner_text("#info-room-meta")
        assert await a.locator("#btn-edit-room").is_visible()
        stored = await api_call(http, "GET", f"/api/rooms/{rid}", budi)
        assert (stored["name"], stored["description"], stored["visibility"]) == (
            NEW_NAME,
            NEW_DESCRIPTION,
            "public",
        )

        # Budi's open page follows without reloading: header, info pane and room list.
        await b.wait_for_selector(f"#room-title:text-is('{NEW_NAME}')", timeout=WAIT_MS)
        await b.wait_for_selector(f"#info-room-name:text-is('{NEW_NAME}')", timeout=WAIT_MS)
        await b.wait_for_selector(
            f".room-item[data-room-id='{rid}'] .room-title:text-is('{NEW_NAME}')", timeout=WAIT_MS
        )
        assert await b.inner_text("#info-room-description") == NEW_DESCRIPTION
        assert "Terbuka untuk semua pengguna" in await b.inner_text("#info-room-meta")
        assert await b.evaluate("window.notReloaded === true")
        assert await b.locator("#btn-edit-room").count() == 0

        # A member asking the server anyway is refused.
        async with http.patch(
            f"/api/rooms/{rid}",
            headers={"Authorization": f"Bearer {budi}"},
            json={"name": "Bukan kamarnya"},
        ) as response:
            assert response.status == 403

    for person in (owner, member):
        assert person.errors == [], person.errors
        await person.context.close()
