"""The dashboards in Debian's Chromium, against a real Hub, CHP, the services and Docker.

A person logs in, finds an application, starts it at a resolution, uses it in the
page and in a new tab, and stops it; an administrator creates a user and a grant that
then shows on that user's dashboard; hostile names and labels show as text.
Screenshots are saved under test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from remoteappmanager.db import Database
from remoteappmanager.docker.image import LABEL_PREFIX
from remoteappmanager.services.catalogue import Catalogue
from remoteappmanager.services.policy import GrantPolicy

from .browser import browsing, chromium, log_in, screenshot
from .site import Site, running_site
from .support import DEMO_WEBAPP

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.browser]

HOSTILE_LABEL = '<img src=x onerror="window.pwned=1">'
HOSTILE_APP = "remoteappmanager-test/hostile:latest"
HOSTILE_USER = '<b onclick="window.pwned=1">eve&amp;'  # the Hub allows any name without "/"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, demo_images: Any, docker_engine: Any
) -> Iterator[Site]:
    """The test site, plus an app whose label is hostile, granted to alice."""
    workdir = tmp_path_factory.mktemp("hostile-image")
    (workdir / "Dockerfile").write_text(
        f"FROM {DEMO_WEBAPP}\nLABEL {LABEL_PREFIX}ui_name={HOSTILE_LABEL!r}\n"
    )
    docker_engine.images.build(path=str(workdir), tag=HOSTILE_APP, rm=True)
    try:
        with running_site(tmp_path_factory.mktemp("site"), docker_engine) as running:
            database = Database(url=running.env["REMOTEAPPMANAGER_DB_URL"])
            with database.transaction() as session:
                catalogue = Catalogue(session)
                catalogue.create_application(HOSTILE_APP)
                catalogue.grant(HOSTILE_APP, "alice", GrantPolicy())
            database.dispose()
            yield running
    finally:
        docker_engine.images.remove(HOSTILE_APP, force=True)


@pytest.fixture
def context(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    with browsing(browser, request, 1280, 720, "dashboard") as context:
        yield context


def card(page: Page, name: str) -> Any:
    return page.get_by_test_id("app-card").filter(
        has=page.get_by_test_id("app-name").get_by_text(name, exact=True)
    )


def expect_icon_shown(page: Page, icon: Any) -> None:
    """The <img> loaded its picture from the API (AppIcon puts the letter tile in the
    place of one that failed)."""
    expect(icon).to_have_attribute("src", re.compile(r"^/user/[^/]+/api/v1/.*/icon$"))
    page.wait_for_function(
        "img => img.isConnected && img.complete && img.naturalWidth === 128",
        arg=icon.element_handle(),
    )


def test_a_user_finds_starts_uses_and_stops_an_app(site: Site, context: BrowserContext) -> None:
    page = context.new_page()
    log_in(page, site.hub, "alice")
    cards = page.get_by_test_id("app-card")
    expect(cards).to_have_count(3)  # web app, desktop, the hostile one
    expect_icon_shown(page, card(page, "Demo web app").locator("img"))
    expect(card(page, "Demo desktop").get_by_test_id("state-badge")).to_have_text("stopped")
    screenshot(page, "user-dashboard")

    page.get_by_test_id("search").fill("desktop")
    expect(cards).to_have_count(1)
    card(page, "Demo desktop").click()

    page.get_by_test_id("resolution").select_option("1024x768")
    page.get_by_test_id("start-button").click()
    expect(page.get_by_test_id("progress")).to_be_visible()
    frame = page.get_by_test_id("app-frame")
    expect(frame).to_be_visible(timeout=60_000)
    app = page.frame_locator("[data-testid=app-frame]")
    expect(app.locator("body")).to_contain_text("1024", timeout=30_000)
    expect(app.locator("body")).to_contain_text("768")
    screenshot(page, "running-app")

    link = page.get_by_test_id("open-tab")
    url = link.get_attribute("href")
    assert url is not None and re.fullmatch(r".*/user/alice/containers/[0-9a-f]{32}/", url)
    with context.expect_page() as opened:
        link.click()
    tab = opened.value
    tab.wait_for_load_state()
    expect(tab.locator("body")).to_contain_text("1024")
    tab.close()

    page.get_by_test_id("stop-button").click()
    expect(page.get_by_test_id("confirm-dialog")).to_be_visible()
    page.get_by_test_id("confirm-yes").click()
    page.get_by_test_id("back").click()
    page.get_by_test_id("search").fill("")
    expect(card(page, "Demo desktop").get_by_test_id("state-badge")).to_have_text(
        "stopped", timeout=30_000
    )


def test_hostile_labels_and_names_show_as_text(
    site: Site, context: BrowserContext, browser: Browser
) -> None:
    """SECURITY-TESTS 13 and 14, in the browser."""
    page = context.new_page()
    log_in(page, site.hub, "alice")
    hostile = card(page, HOSTILE_LABEL)
    expect(hostile).to_have_count(1)
    assert page.locator("img[src=x]").count() == 0
    assert page.evaluate("window.pwned") is None

    database = Database(url=site.env["REMOTEAPPMANAGER_DB_URL"])
    with database.transaction() as session:
        Catalogue(session).create_user(HOSTILE_USER)
    database.dispose()
    eve = browser.new_context(viewport={"width": 1280, "height": 720})
    page = eve.new_page()
    log_in(page, site.hub, HOSTILE_USER)
    expect(page.get_by_text(HOSTILE_USER, exact=True).first).to_be_visible()
    assert page.locator("b[onclick]").count() == 0
    assert page.evaluate("window.pwned") is None
    screenshot(page, "hostile-user-name")
    eve.close()


def test_an_admin_grants_an_app_that_then_shows_on_the_users_dashboard(
    site: Site, browser: Browser, tmp_path: Path
) -> None:
    admin_context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = admin_context.new_page()
    log_in(page, site.hub, "admin")
    page.get_by_test_id("admin-link").click()
    expect(page.get_by_test_id("stats")).to_be_visible()
    screenshot(page, "admin-overview")

    page.get_by_test_id("admin-nav").get_by_role("link", name=re.compile("Applications")).click()
    row = page.get_by_test_id("application-row").filter(has_text="Demo web app")
    expect_icon_shown(page, row.locator("img"))

    page.get_by_test_id("admin-nav").get_by_role("link", name=re.compile("Users")).click()
    page.get_by_test_id("new-user-name").fill("frank")
    page.get_by_test_id("create-user").click()
    expect(page.locator("[data-testid=user-row][data-name=frank]")).to_be_visible()

    page.get_by_test_id("admin-nav").get_by_role("link", name=re.compile("Grants")).click()
    page.get_by_test_id("new-grant-user").fill("frank")
    applications = page.get_by_test_id("new-grant-application")
    webapp = applications.locator("option", has_text="Demo web app").first
    applications.select_option(webapp.get_attribute("value"))
    page.get_by_test_id("policy-home").check()
    page.get_by_test_id("create-grant").click()
    expect(page.get_by_test_id("grant-row").filter(has_text="frank")).to_have_count(1)
    screenshot(page, "admin-grants")

    # A bad volume gets the server's message, and nothing is made.
    page.get_by_test_id("new-grant-user").fill("frank")
    page.get_by_test_id("policy-volume").fill("/etc:/data:ro")
    page.get_by_test_id("create-grant").click()
    expect(page.get_by_test_id("error")).to_contain_text("inside /etc")
    expect(page.get_by_test_id("grant-row").filter(has_text="frank")).to_have_count(1)
    admin_context.close()

    frank = browser.new_context(viewport={"width": 1280, "height": 720})
    page = frank.new_page()
    log_in(page, site.hub, "frank")
    expect(card(page, "Demo web app")).to_have_count(1)
    frank.close()
