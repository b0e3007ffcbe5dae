"""Nothing typed is lost in a town hall either (issue #16): an audience member on a 360x640 phone
in Indonesian loses the network, asks a question and writes a comment; both stay in their
fields, marked waiting, and go by themselves, once each, when the meeting's connection is back.
Every wait polls a condition with a deadline. With KAMAR_SCREENS=DIR (scripts/screens) the
screenshot of the waiting question is kept there."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from tests.conftest import RunningServer
from tests.whole.browser.test_phone_screens_browser import screens_dir, shoot
from tests.whole.browser.test_townhall_browser import WAIT_MS, join

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

PHONE_ID = {"viewport": {"width": 360, "height": 640}, "locale": "id-ID"}
QUESTION = "Kapan upah minimum naik?"
COMMENT = "Saya ikut dari Bekasi"


async def write(page: Page, tab: str, form: str, text: str) -> None:
    if await page.get_attribute(f"#tab-{tab}", "aria-selected") != "true":
        await page.click(f"#tab-{tab}")
    await page.fill(f"#{form}-form textarea, #{form}-form input", text)
    await page.click(f"#{form}-form button[type='submit']")


async def test_a_question_and_a_comment_typed_without_a_connection_go_once_it_is_back(
    kamar: RunningServer, chromium: Browser, tmp_path: Path
) -> None:
    room = "balai-serikat"
    moderator = await join(chromium, kamar, room, "Ketua", "moderator")
    ani = await join(chromium, kamar, room, "Ani", "audience", **PHONE_ID)
    page = ani.page

    # The network goes, and with it the meeting's connection; new ones fail until it is back.
    await page.context.set_offline(True)
    await page.evaluate("window.kamarDebug.client.ws.close()")
    await page.wait_for_function("() => !window.kamarDebug.client.connected", timeout=WAIT_MS)

    await write(page, "qa", "ask", QUESTION)
    await page.locator("#ask-waiting").wait_for(timeout=WAIT_MS)
    assert "terkirim otomatis" in (await page.text_content("#ask-waiting") or "")
    assert await page.input_value("#ask-text") == QUESTION
    await shoot(page, screens_dir(tmp_path), "townhall-question-waiting")
    await write(page, "comments", "comment", COMMENT)
    await page.locator("#comment-waiting").wait_for(timeout=WAIT_MS)
    assert await page.input_value("#comment-text") == COMMENT

    await page.context.set_offline(False)
    await page.wait_for_function(
        "() => window.kamarDebug.state.phase === 'joined'", timeout=WAIT_MS * 2
    )
    await page.locator("#comment-waiting").wait_for(state="hidden", timeout=WAIT_MS)
    assert await page.input_value("#comment-text") == ""
    await page.click("#tab-qa")
    await page.locator("#ask-waiting").wait_for(state="hidden", timeout=WAIT_MS)
    assert await page.input_value("#ask-text") == ""

    # The moderator has each once.
    mod = moderator.page
    if await mod.get_attribute("#tab-qa", "aria-selected") != "true":
        await mod.click("#tab-qa")
    question = mod.locator("#questions li.question", has_text=QUESTION)
    await question.wait_for(timeout=WAIT_MS)
    assert await question.count() == 1
    await mod.click("#tab-comments")
    comment = mod.locator("#comments li", has_text=COMMENT)
    await comment.wait_for(timeout=WAIT_MS)
    assert await comment.count() == 1
    assert ani.errors == [] and moderator.errors == []
    for person in (ani, moderator):
        await person.page.context.close()


# The page's socket looks open but is dead (a phone's network gone without a word): what it
# "sends" never arrives. Simulated by swallowing the page's next frame of `kind`.
SWALLOW_NEXT = """(kind) => {
  const ws = window.kamarDebug.client.ws;
  const send = ws.send.bind(ws);
  ws.send = (data) => {
    if (kind && JSON.parse(data).type === kind) { kind = null; return; }
    send(data);
  };
}"""


async def test_a_question_sent_into_a_dead_socket_goes_again_once_after_the_reconnect(
    kamar: RunningServer, chromium: Browser
) -> None:
    room = "balai-sunyi"
    moderator = await join(chromium, kamar, room, "Ketua", "moderator")
    ani = await join(chromium, kamar, room, "Ani", "audience", **PHONE_ID)
    page = ani.page
    await page.evaluate(SWALLOW_NEXT, "ask")
    await write(page, "qa", "ask", QUESTION)
    assert await page.input_value("#ask-text") == ""  # it looked sent
    # The heartbeat finds the socket dead; the page reconnects and sends it again, once.
    await page.evaluate("window.kamarDebug.client.ws.close()")
    await page.wait_for_function(
        "() => window.kamarDebug.state.phase === 'joined' && window.kamarDebug.client.connected",
        timeout=WAIT_MS * 2,
    )
    mod = moderator.page
    if await mod.get_attribute("#tab-qa", "aria-selected") != "true":
        await mod.click("#tab-qa")
    question = mod.locator("#questions li.question", has_text=QUESTION)
    await question.wait_for(timeout=WAIT_MS)
    mine = page.locator("#questions li.question", has_text=QUESTION)
    await mine.wait_for(timeout=WAIT_MS)
    # Once more after the echo: a second reconnect sends nothing (it was heard back).
    await page.evaluate("window.kamarDebug.client.ws.close()")
    await page.wait_for_function(
        "() => window.kamarDebug.state.phase === 'joined' && window.kamarDebug.client.connected",
        timeout=WAIT_MS * 2,
    )
    await mine.wait_for(timeout=WAIT_MS)
    assert await question.count() == 1 and await mine.count() == 1
    assert ani.errors == [] and moderator.errors == []
    for person in (ani, moderator):
        await person.page.context.close()
