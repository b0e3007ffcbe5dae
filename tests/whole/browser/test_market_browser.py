"""The members' market in real Chromium on a 360x640 phone in Indonesian: Siti puts up a
listing with a photo on her page, Budi finds it by search on his, and "chat with the seller"
delivers his message, after the quoted listing, to Siti's open page as their direct
conversation. Every wait polls a condition with a deadline. Under scripts/screens it writes
docs/screens/market-*.png."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, Request

from tests.conftest import RunningServer
from tests.whole.browser.test_announcement_media_browser import screens
from tests.whole.browser.test_community_browser import PHONE, WAIT_MS, api_call, png, signed_in_page
from tests.whole.browser.test_uploads_browser import FORM_FILE_SIZES, camera_photo, sparse_file

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]


async def test_a_listing_with_a_photo_is_found_by_search_and_the_seller_gets_the_chat(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    async with aiohttp.ClientSession(kamar.base_url) as http:
        tokens = {}
        # Siti lives in a village of Sukasari, Kota Bandung; Budi in Kabupaten Bandung.
        regions = {
            "siti": {"region": {"code": "32.73.01.1001"}},
            "budi": {"region": {"code": "32.04"}},
        }
        for name in ("siti", "budi"):
            body = {"username": name, "password": "rahasia-serikat", "display_name": name.title()}
            body |= regions[name]
            tokens[name] = (await api_call(http, "POST", "/api/auth/register", json=body))["token"]
        siti, budi = tokens["siti"], tokens["budi"]
        room = await api_call(
            http, "POST", "/api/rooms", siti, json={"name": "PUK", "kind": "work"}
        )
        koperasi = await api_call(
            http, "POST", "/api/rooms", siti, json={"name": "Koperasi", "kind": "work"}
        )
        invite = await api_call(http, "POST", f"/api/rooms/{room['id']}/invites", siti, json={})
        await api_call(http, "POST", f"/api/invites/{invite['code']}/accept", budi)

    pictures = screens(tmp_path)
    photo = tmp_path / "keripik.png"
    photo.write_bytes(png(64, 48))
    seller = await signed_in_page(chromium, kamar, siti, "#/market/new", PHONE)
    a = seller.page
    # Shown in one room or several (ticked), or the whole organisation: she adds Koperasi.
    await a.wait_for_selector(f"#listing-room-{koperasi['id']}", timeout=WAIT_MS)
    await a.check(f"#listing-room-{room['id']}")
    await a.check(f"#listing-room-{koperasi['id']}")
    assert "tidak menangani pembayaran" in await a.inner_text("#market-no-payments")
    await a.fill("#listing-title", "Keripik singkong pedas")
    await a.fill("#listing-description", "Buatan ibu-ibu PUK")
    await a.fill("#listing-price", "12000")
    # Her own region is offered first; she picks the city instead, by name (a member knows
    # "Bandung", not "32.73").
    assert await a.inner_text("#listing-region-chosen") == "Kota Bandung, Jawa Barat"
    await a.fill("#listing-region-search", "kota bandung")
    await a.click("#listing-region-results [data-code='32.73']", timeout=WAIT_MS)
    await a.set_input_files("#listing-photos", str(photo))
    await a.screenshot(path=pictures / "market-new.png", full_page=True)
    await a.click("#listing-publish")
    await a.wait_for_selector(
        "#listing-title-view:text-is('Keripik singkong pedas')", timeout=WAIT_MS
    )
    assert await a.inner_text("#listing-price-view") == "Rp 12.000"
    await a.wait_for_function(
        "() => [...document.querySelectorAll('.market-photos img')]"
        ".some((img) => img.naturalWidth > 0)",
        timeout=WAIT_MS,
    )
    assert await a.inner_text("#listing-shown-in") == "Ditampilkan di: PUK, Koperasi"
    where = await a.inner_text("#listing-where")
    assert where == "Makanan · Tidak berlaku · Kota Bandung, Jawa Barat"
    assert await a.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await a.screenshot(path=pictures / "market-listing.png")
    await a.goto(f"{kamar.base_url}/#/rooms")  # the seller waits on her room list

    buyer = await signed_in_page(chromium, kamar, budi, "#/market", PHONE)
    b = buyer.page
    # His listings come closest to his own region first, and the page says so.
    await b.wait_for_selector("#market-near:has-text('Kabupaten Bandung, Jawa Barat')")
    await b.fill("#market-q", "keripik")
    await b.click("#market-filters summary")  # category and region are folded away
    await b.fill("#market-region-search", "jawa barat")
    await b.click("#market-region-results [data-code='32']", timeout=WAIT_MS)
    async with b.expect_request(lambda r: "/api/market/listings?" in r.url) as asked:
        await b.click("#market-search-go")
    assert "region=32&near=32.04" in (await asked.value).url
    found = b.locator("#market-results .market-card")
    await found.first.wait_for(timeout=WAIT_MS)
    assert await found.count() == 1
    assert "Kota Bandung, Jawa Barat" in await found.first.inner_text()
    assert await b.inner_text("#market-filters summary") == "Saring: Jawa Barat"
    await b.click("#market-filters summary")  # folded again: the listing in view
    assert await b.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await b.screenshot(path=pictures / "market-search.png")
    await b.wait_for_function(
        "() => document.querySelector('#market-results img.market-thumb')?.naturalWidth > 0",
        timeout=WAIT_MS,
    )
    await found.first.click()
    await b.click("#listing-chat", timeout=WAIT_MS)
    await b.wait_for_selector("#chat-input", timeout=WAIT_MS)
    await b.fill("#chat-input", "Masih ada, Bu?")
    await b.click("#chat-send")

    # Siti's open page learns of the new conversation over the feed and shows the message.
    # It is their direct conversation, under the buyer's name, opening with the listing quoted.
    chat = a.locator("#dm-list .room-item", has_text="Budi")
    await chat.wait_for(timeout=WAIT_MS)
    await a.wait_for_selector(".room-item .room-last:has-text('Masih ada, Bu?')", timeout=WAIT_MS)
    await chat.click()
    await a.wait_for_selector(
        "#messages li.msg:not(.mine) .text:has-text('Masih ada, Bu?')", timeout=WAIT_MS
    )
    await a.screenshot(path=pictures / "market-chat-seller.png")
    quote = a.locator("#messages li.msg:not(.mine) .text", has_text="🛒 Keripik singkong pedas")
    await quote.wait_for(timeout=WAIT_MS)
    await quote.locator("a").click()  # the quoted listing's link opens it in the app
    await a.wait_for_selector(
        "#listing-title-view:text-is('Keripik singkong pedas')", timeout=WAIT_MS
    )

    for person in (seller, buyer):
        assert person.errors == [], person.errors
        await person.context.close()


async def test_a_camera_photo_goes_small_and_a_video_is_refused_before_any_byte_is_sent(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    # A listing's photos follow the chat's rules on the phone (issue #16: uploads fit mobile
    # data); before, a camera's several-MB photo went whole and a video went to the server.
    async with aiohttp.ClientSession(kamar.base_url) as http:
        body = {"username": "siti", "password": "rahasia-serikat", "display_name": "Siti"}
        body["region"] = {"code": "32.73"}
        siti = (await api_call(http, "POST", "/api/auth/register", json=body))["token"]
        puk = {"name": "PUK", "kind": "work"}
        room = await api_call(http, "POST", "/api/rooms", siti, json=puk)
    seller = await signed_in_page(chromium, kamar, siti, "#/market/new", PHONE)
    page = seller.page
    await page.add_init_script(FORM_FILE_SIZES)
    await page.reload()
    sent: list[str] = []

    def note(request: Request) -> None:
        if request.url.endswith("/api/market/photos") and request.method == "POST":
            sent.append(request.url)

    page.on("request", note)
    await page.wait_for_selector(f"#listing-room-{room['id']}", timeout=WAIT_MS)
    await page.check(f"#listing-room-{room['id']}")
    await page.fill("#listing-title", "Jaket serikat")
    await page.fill("#listing-price", "150000")
    video = sparse_file(tmp_path / "VID_20261207.mp4", 8 * 1024 * 1024)
    await page.set_input_files("#listing-photos", str(video))
    await page.click("#listing-publish")
    await page.wait_for_selector(
        ".error:has-text('Hanya foto (JPEG, PNG, GIF, WebP) yang bisa dipakai di sini.')",
        timeout=WAIT_MS,
    )
    assert sent == []  # refused on the phone: nothing went
    photo = tmp_path / "IMG_20261207.jpg"
    before = camera_photo(photo)
    await page.set_input_files("#listing-photos", str(photo))
    await page.click("#listing-publish")
    await page.wait_for_selector("#listing-title-view:text-is('Jaket serikat')", timeout=WAIT_MS)
    assert len(sent) == 1
    [(path, size)] = await page.evaluate("window.kamarFormFiles")
    assert path == "/api/market/photos"
    print(f"listing photo: {before} bytes on the phone, {size} bytes sent")
    assert 0 < size < 1024 * 1024 < before
    assert seller.errors == [], seller.errors
    await seller.context.close()
