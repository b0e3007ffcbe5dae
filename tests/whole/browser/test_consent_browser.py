"""ICE consent with a real Chromium: the checks it sends on both of its connections keep being
answered (the SFU answers plain consent checks itself, sfu/consent.py), and the SFU's own checks
reach Chromium and are answered (sfu/consent_freshness.py). A wrong answer would show as requests
sent without responses, and Chromium would drop the connection 30 s later (RFC 7675)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Browser, Page

from sfu import consent_freshness
from tests.conftest import RunningServer, eventually
from tests.whole.browser.test_three_browsers import open_room, participant_id, stats

pytestmark = [pytest.mark.webrtc, pytest.mark.browser]

SELECTED_PAIR = """async (which) => {
  const pc = window.kamarDebug.client[which];
  const report = await pc.getStats();
  let selected = null;
  report.forEach((s) => {
    if (s.type === "transport" && s.selectedCandidatePairId) selected = s.selectedCandidatePairId;
  });
  const pair = selected ? report.get(selected) : null;
  if (!pair) return null;
  return {
    requestsSent: pair.requestsSent, responsesReceived: pair.responsesReceived,
    requestsReceived: pair.requestsReceived, state: pair.state,
  };
}"""


async def selected_pair(page: Page, which: str) -> dict[str, Any] | None:
    result: dict[str, Any] | None = await page.evaluate(SELECTED_PAIR, which)
    return result


async def test_chromiums_consent_checks_keep_being_answered_on_both_connections(
    kamar: RunningServer, chromium: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    room = "consent"
    consents: list[consent_freshness.Consent] = []
    take_over = consent_freshness.take_over

    def recording_take_over(connection: Any) -> consent_freshness.Consent | None:
        consent = take_over(connection)
        if consent is not None and consent not in consents:
            consents.append(consent)
        return consent

    monkeypatch.setattr(consent_freshness, "take_over", recording_take_over)
    publisher = await open_room(chromium, kamar, room, "Sari")
    sender = await participant_id(publisher)
    watcher = await open_room(chromium, kamar, room, "Budi", can_publish=False)
    await eventually(
        lambda: _receives_video(watcher, sender), timeout=30, what="video at the watcher"
    )
    pages = ((publisher, "publishPc"), (watcher, "subscribePc"))
    start = {which: await selected_pair(page, which) for page, which in pages}
    for page, which in pages:
        before = start[which]
        # Chromium shows "in-progress" while a check of the pair awaits its answer.
        assert before is not None and before["state"] in ("succeeded", "in-progress"), before

        async def answered_again(
            page: Page = page, which: str = which, first: int = before["responsesReceived"]
        ) -> bool:
            now = await selected_pair(page, which)
            return bool(now is not None and now["responsesReceived"] >= first + 2)

        # Chromium checks a working pair every 2.5 s or so.
        await eventually(answered_again, timeout=20, what=f"answered consent checks ({which})")
        now = await selected_pair(page, which)
        assert now is not None
        # Every check but those still in flight got its answer.
        assert now["requestsSent"] - now["responsesReceived"] <= (
            before["requestsSent"] - before["responsesReceived"] + 2
        ), (which, before, now)
    # The SFU's own consent checks (every 4-6 s per connection) reach Chromium and are answered:
    # Sari's publish connection and Budi's subscribe connection.
    assert len(consents) == 2
    await eventually(
        lambda: all(consent.responses > 0 for consent in consents),
        timeout=15,
        what="answers to the SFU's consent checks",
    )
    for page, which in pages:
        first_seen = start[which]
        assert first_seen is not None

        async def checked_again(
            page: Page = page, which: str = which, first: int = first_seen["requestsReceived"]
        ) -> bool:
            now = await selected_pair(page, which)
            return bool(now is not None and now["requestsReceived"] > first)

        await eventually(checked_again, timeout=15, what=f"a consent check from the SFU ({which})")


async def _receives_video(page: Page, sender: str) -> bool:
    entry = (await stats(page)).get(sender, {}).get("video", {})
    return bool(entry.get("framesDecoded", 0) > 0)
