"""A town-hall question or comment that may not have arrived survives a reload or a closed app
(docs/offline.md): an audience member on a 360x640 phone in Indonesian types while the meeting's
connection is down, or into a socket that is dead without the page knowing, and what she typed
reaches the moderator exactly once when the page is back in the same town hall, never from
another account on the same phone. A question the server refuses is no longer kept; the member
reads why and finds its text back in the field. Every wait polls a condition with a deadline."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, BrowserContext, Page

from tests.conftest import RunningServer
from tests.whole.browser.test_three_browsers import participant_id
from tests.whole.browser.test_townhall_browser import SPY, WAIT_MS, Attendee, join
from tests.whole.browser.test_townhall_typed_browser import (
    COMMENT,
    PHONE_ID,
    QUESTION,
    SWALLOW_NEXT,
    write,
)

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

# The socket dies after the server read the question, before its echo came back: simulated by
# the page dropping every `question` frame it receives until it reloads.
DROP_QUESTIONS = """() => {
  const client = window.kamarDebug.client;
  const onFrame = client._onFrame.bind(client);
  client._onFrame = (message) => { if (message.type !== "question") onFrame(message); };
}"""
# What this device keeps of town halls (web/meeting/typed_keep.js), as {key: records}.
KEPT = """() => Object.fromEntries(Object.keys(localStorage)
  .filter((key) => key.startsWith('kamar.typed.'))
  .map((key) => [key, JSON.parse(localStorage.getItem(key))]))"""
NOTHING_KEPT = "() => !Object.keys(localStorage).some((key) => key.startsWith('kamar.typed.'))"
JOINED = "() => window.kamarDebug.state.phase === 'joined' && window.kamarDebug.client.connected"


async def open_meeting(
    context: BrowserContext, kamar: RunningServer, room: str, name: str, page: Page | None = None
) -> Attendee:
    """`name` in the audience of `room`, in a new page of `context` (the same phone, so the same
    storage) or by a new address in `page`, as `join` does for a new phone."""
    if page is None:
        page = await context.new_page()
        await page.add_init_script(SPY)
    attendee = Attendee(page)
    token = kamar.token(room, identity=name.lower(), name=name, role="audience")
    await page.goto(f"{kamar.base_url}/r/{room}?token={token}")
    await page.wait_for_function(JOINED, timeout=WAIT_MS * 2)
    attendee.id = await participant_id(page)
    return attendee


async def settled(moderator: Attendee, word: str) -> None:
    """Once a member's page has heard back what it sent, whatever the server made of it is on
    its way to the moderator too: a comment the moderator sends now comes back behind it (one
    socket delivers in order), so counting after it sees any second copy."""
    await write(moderator.page, "comments", "comment", word)
    await moderator.page.locator("#comments li", has_text=word).wait_for(timeout=WAIT_MS)


async def moderators_copies(moderator: Attendee, tab: str, text: str) -> int:
    """How many of `text` the moderator has, once there is at least one."""
    page = moderator.page
    if await page.get_attribute(f"#tab-{tab}", "aria-selected") != "true":
        await page.click(f"#tab-{tab}")
    items = page.locator("#questions li.question" if tab == "qa" else "#comments li", has_text=text)
    await items.first.wait_for(timeout=WAIT_MS)
    return await items.count()


async def test_what_was_typed_without_a_connection_goes_once_after_the_app_was_closed(
    kamar: RunningServer, chromium: Browser
) -> None:
    room = "balai-tutup"
    moderator = await join(chromium, kamar, room, "Ketua", "moderator")
    ani = await join(chromium, kamar, room, "Ani", "audience", **PHONE_ID)
    phone = ani.page.context

    await phone.set_offline(True)
    await ani.page.evaluate("window.kamarDebug.client.ws.close()")
    await ani.page.wait_for_function("() => !window.kamarDebug.client.connected", timeout=WAIT_MS)
    await write(ani.page, "qa", "ask", QUESTION)
    await ani.page.locator("#ask-waiting").wait_for(timeout=WAIT_MS)
    await write(ani.page, "comments", "comment", COMMENT)
    await ani.page.locator("#comment-waiting").wait_for(timeout=WAIT_MS)
    kept = await ani.page.evaluate(KEPT)
    assert list(kept) == ["kamar.typed.ani/balai-tutup"]
    assert {(r["kind"], r["text"], r["sent"]) for r in kept["kamar.typed.ani/balai-tutup"]} == {
        ("ask", QUESTION, False),
        ("comment", COMMENT, False),
    }
    assert ani.errors == []
    await ani.page.close()  # the app is closed with both waiting

    await phone.set_offline(False)
    ani = await open_meeting(phone, kamar, room, "Ani")
    await ani.page.wait_for_function(NOTHING_KEPT, timeout=WAIT_MS)
    await settled(moderator, "Baik, terima kasih")
    assert await moderators_copies(moderator, "qa", QUESTION) == 1
    assert await moderators_copies(moderator, "comments", COMMENT) == 1
    assert (await ani.spy())["sent"].count("ask") == 1
    assert await ani.page.input_value("#ask-text") == ""
    assert await ani.page.locator("#ask-waiting").is_hidden()
    assert ani.errors == [] and moderator.errors == []
    for person in (ani, moderator):
        await person.page.context.close()


async def test_a_question_the_server_took_unheard_goes_again_after_a_reload_and_lands_once(
    kamar: RunningServer, chromium: Browser
) -> None:
    room = "balai-gema"
    moderator = await join(chromium, kamar, room, "Ketua", "moderator")
    ani = await join(chromium, kamar, room, "Ani", "audience", **PHONE_ID)
    await ani.page.evaluate(DROP_QUESTIONS)
    await write(ani.page, "qa", "ask", QUESTION)
    assert await moderators_copies(moderator, "qa", QUESTION) == 1
    kept = await ani.page.evaluate(KEPT)
    assert [(r["text"], r["sent"]) for r in kept["kamar.typed.ani/balai-gema"]] == [
        (QUESTION, True)
    ]

    await ani.page.reload()
    await ani.page.wait_for_function(JOINED, timeout=WAIT_MS * 2)
    # Sent again with its id; the server answers Ani alone with the question it already has.
    await ani.page.wait_for_function(NOTHING_KEPT, timeout=WAIT_MS)
    assert (await ani.spy())["sent"].count("ask") == 1
    await settled(moderator, "Baik, terima kasih")
    assert await moderators_copies(moderator, "qa", QUESTION) == 1
    mine = ani.page.locator("#questions li.question", has_text=QUESTION)
    await mine.wait_for(timeout=WAIT_MS)
    assert await mine.count() == 1
    assert ani.errors == [] and moderator.errors == []
    for person in (ani, moderator):
        await person.page.context.close()


async def test_a_question_kept_for_one_account_is_never_sent_by_another_on_the_same_phone(
    kamar: RunningServer, chromium: Browser
) -> None:
    room = "balai-bersama"
    moderator = await join(chromium, kamar, room, "Ketua", "moderator")
    ani = await join(chromium, kamar, room, "Ani", "audience", **PHONE_ID)
    phone = ani.page.context
    await ani.page.evaluate(SWALLOW_NEXT, "ask")
    await write(ani.page, "qa", "ask", QUESTION)
    assert await ani.page.input_value("#ask-text") == ""  # it looked sent
    assert ani.errors == []

    # Budi takes the phone and opens the same town hall in the same tab.
    budi = await open_meeting(phone, kamar, room, "Budi", page=ani.page)
    assert "ask" not in (await budi.spy())["sent"]  # the welcome would have sent it
    assert list(await budi.page.evaluate(KEPT)) == ["kamar.typed.ani/balai-bersama"]
    assert await budi.page.input_value("#ask-text") == ""

    # Ani again: her question goes, and lands once.
    ani = await open_meeting(phone, kamar, room, "Ani", page=budi.page)
    await ani.page.wait_for_function(NOTHING_KEPT, timeout=WAIT_MS)
    await settled(moderator, "Baik, terima kasih")
    assert await moderators_copies(moderator, "qa", QUESTION) == 1
    assert budi.errors == [] and ani.errors == [] and moderator.errors == []
    for person in (ani, moderator):
        await person.page.context.close()


async def test_a_kept_question_the_server_refuses_is_dropped_and_given_back_with_the_reason(
    kamar: RunningServer, chromium: Browser
) -> None:
    room = "balai-penuh"
    moderator = await join(chromium, kamar, room, "Ketua", "moderator")
    ani = await join(chromium, kamar, room, "Ani", "audience", **PHONE_ID)
    # Three open questions each at most (rooms/meeting/stage.py): a fourth is refused.
    for number in range(1, 4):
        await write(ani.page, "qa", "ask", f"Pertanyaan ke-{number}")
        assert await moderators_copies(moderator, "qa", f"Pertanyaan ke-{number}") == 1
    await ani.page.wait_for_function(NOTHING_KEPT, timeout=WAIT_MS)
    await ani.page.evaluate(SWALLOW_NEXT, "ask")
    await write(ani.page, "qa", "ask", QUESTION)
    assert await ani.page.input_value("#ask-text") == ""  # it looked sent

    await ani.page.reload()
    await ani.page.wait_for_function(JOINED, timeout=WAIT_MS * 2)
    await ani.page.wait_for_function(NOTHING_KEPT, timeout=WAIT_MS)
    notice = ani.page.locator("#stage-notice")
    await notice.wait_for(timeout=WAIT_MS)
    assert (await notice.text_content() or "").startswith("Terlalu cepat")
    assert await ani.page.input_value("#ask-text") == QUESTION
    assert await ani.page.locator("#questions li.question", has_text=QUESTION).count() == 0
    assert ani.errors == [] and moderator.errors == []
    for person in (ani, moderator):
        await person.page.context.close()


# The limits (web/meeting/typed_keep.js), on the module itself in the page: a day, twenty a
# member and meeting; another meeting's records past the day go when any meeting page opens.
LIMITS = """async () => {
  const { TypedKeep } = await import("/static/meeting/typed_keep.js");
  const now = Date.now();
  const day = 24 * 60 * 60 * 1000;
  const record = (n, at) => ({ clientId: `c${n}`, kind: "ask", text: `T${n}`, at, sent: true });
  const put = (key, records) => localStorage.setItem(`kamar.typed.${key}`, JSON.stringify(records));
  const fresh = Array.from({ length: 25 }, (_, i) => record(i + 1, now - 1000));
  put("ani/balai", [record(0, now - day), ...fresh]);
  put("budi/lain", [record(0, now - day), record(1, now)]);
  put("budi/lama", [record(0, now - day - 1)]);
  const keep = new TypedKeep("ani", "balai", now);
  keep.put(record(26, now));
  const stored = (key) => JSON.parse(localStorage.getItem(key)).map((r) => r.clientId);
  return {
    kept: keep.sent().map((r) => r.clientId),
    stored: stored("kamar.typed.ani/balai"),
    budi: stored("kamar.typed.budi/lain"),
    keys: Object.keys(localStorage).filter((key) => key.startsWith("kamar.typed.")).sort(),
  };
}"""


async def test_a_phone_keeps_a_days_records_and_twenty_a_meeting_at_most(
    kamar: RunningServer, chromium: Browser
) -> None:
    context = await chromium.new_context(viewport={"width": 360, "height": 640}, locale="id-ID")
    page = await context.new_page()
    await page.goto(f"{kamar.base_url}/")
    result = await page.evaluate(LIMITS)
    newest = [f"c{n}" for n in range(7, 27)]
    assert result == {
        "kept": newest,
        "stored": newest,
        "budi": ["c1"],
        "keys": ["kamar.typed.ani/balai", "kamar.typed.budi/lain"],
    }
    await context.close()
