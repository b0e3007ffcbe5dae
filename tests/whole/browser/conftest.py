"""Debian's Chromium for every browser test: never a downloaded browser."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, async_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--autoplay-policy=no-user-gesture-required",
    "--no-sandbox",  # root in CI; the page only ever talks to our own loopback server
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium package")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        violations = watch_content_security_policy(browser)
        try:
            yield browser
        finally:
            await browser.close()
        # Every browser test doubles as a check that the pages work under their policy
        # (server/security_headers.py): Chromium reports what it blocked on the console.
        assert not violations, f"Content Security Policy violations: {violations}"


def watch_content_security_policy(browser: Browser) -> list[str]:
    """Console messages of every page in every context the browser opens that report a
    blocked script, style, image or connection."""
    violations: list[str] = []
    open_context = browser.new_context

    def note(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    async def new_context(*args: Any, **kwargs: Any) -> BrowserContext:
        context = await open_context(*args, **kwargs)
        context.on("console", note)
        return context

    browser.new_context = new_context  # type: ignore[method-assign]
    return violations
