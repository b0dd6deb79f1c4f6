"""Debian's Chromium, driven by Playwright, for the browser tests.

Playwright's own browser downloads are not used (there is no internet here): it
starts ``/usr/bin/chromium`` (``.ci/run`` installs it). Screenshots go to
``test-artifacts/screenshots/`` at the top of the repository, for people to look at.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from .hub import Hub
from .support import ROOT, unavailable

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",  # as root, in CI
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def chromium() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium; .ci/run does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def log_in(page: Page, hub: Hub, user: str) -> None:
    """Log in through the Hub's login form, as a person does; the Hub starts the user's
    service (its spawn page) and sends the browser on to the dashboard."""
    page.goto(f"{hub.url}hub/login?next={quote('/hub/spawn', safe='')}")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", hub.password_of(user))
    page.click("[type=submit]")
    dashboard = urlsplit(f"{hub.url}user/{quote(user, safe='')}/").path
    page.wait_for_url(lambda url: urlsplit(url).path == dashboard, timeout=60_000)


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@contextmanager
def browsing(
    browser: Browser, request: Any, width: int, height: int, name: str
) -> Iterator[BrowserContext]:
    """A fresh browser context; if the test fails, what its pages showed is saved as
    screenshots and the browser's console is printed, for whoever debugs."""
    context = browser.new_context(viewport={"width": width, "height": height})
    messages: list[str] = []
    context.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    try:
        yield context
        failed = getattr(request.node, "report_call", None)
        if failed is not None and failed.failed:
            for number, page in enumerate(context.pages):
                shot = screenshot(page, f"failed-{name}-{number}")
                print(f"failed page {number}: {page.url} -> {shot}")
            print("browser console:", *messages[-50:], sep="\n  ")
    finally:
        context.close()
