"""Apps on their own origins in Chromium (SECURITY-TESTS 41): the dashboard shows the
app in its frame from ``http://<url_id>.alice.localhost:PORT/``, and a script of the
app's page gets nothing of the dashboard, the API or the Hub, for a user and for an
admin. The script is run in the app's page (``frame.evaluate``), which is what a
hostile image would ship.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Frame, Page, expect

from .browser import browsing, chromium, log_in, screenshot
from .hub import resolve_localhost_subdomains
from .site import Site, running_site

pytestmark = [pytest.mark.docker, pytest.mark.browser, pytest.mark.slow]

# What a hostile app's page tries: read the user's API, start an app with a form-like
# request the browser sends without asking, read the Hub's API. Each result says what
# came back: "blocked" when the browser refused to let the script read it.
ATTACK = """async ({api, hub, mappingId}) => {
  const tries = {};
  const attempt = async (name, url, options) => {
    try {
      const answer = await fetch(url, {credentials: "include", ...options});
      tries[name] = answer.type === "opaque" ? "opaque" : `read ${answer.status}`;
    } catch (error) {
      tries[name] = "blocked";
    }
  };
  await attempt("list", `${api}containers`);
  await attempt("start", `${api}containers`, {method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({mapping_id: mappingId})});
  await attempt("start-simple", `${api}containers`, {method: "POST", mode: "no-cors",
    headers: {"Content-Type": "text/plain"}, body: JSON.stringify({mapping_id: mappingId})});
  await attempt("users", `${api}admin/users`, {method: "POST", mode: "no-cors",
    headers: {"Content-Type": "text/plain"}, body: JSON.stringify({name: "mallory"})});
  await attempt("hub", `${hub}hub/api/user`);
  tries.cookies = document.cookie;
  return tries;
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, demo_images: Any, docker_engine: Any
) -> Iterator[Site]:
    with (
        resolve_localhost_subdomains(),
        running_site(
            tmp_path_factory.mktemp("browser-origins"), docker_engine, app_origins=True
        ) as running,
    ):
        yield running


@pytest.fixture
def context(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    with browsing(browser, request, 1280, 720, "origins") as context:
        yield context


def open_app(page: Page, name: str) -> Frame:
    """Start ``name`` from the dashboard; the frame of its page, once it shows."""
    page.get_by_test_id("app-card").filter(
        has=page.get_by_test_id("app-name").get_by_text(name, exact=True)
    ).click()
    page.get_by_test_id("start-button").click()
    expect(page.get_by_test_id("app-frame")).to_be_visible(timeout=60_000)
    app = page.frame_locator("[data-testid=app-frame]")
    expect(app.locator("body")).to_contain_text("JPY_USER", timeout=30_000)
    frame = next(f for f in page.frames if f.parent_frame is not None)
    return frame


def running(site: Site, user: str) -> list[dict[str, Any]]:
    session = site.session(user)
    listed = session.get(f"{site.api(user)}containers", timeout=30)
    assert listed.status_code == 200, listed.text
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


@pytest.mark.parametrize("user", ["alice", "admin"])
def test_41_an_apps_script_gets_nothing_of_the_dashboard_api_or_hub(
    site: Site, context: BrowserContext, user: str
) -> None:
    page = context.new_page()
    log_in(page, site.hub, user)
    frame = open_app(page, "Demo desktop")
    port = site.hub.url.rsplit(":", 1)[1].strip("/")
    assert re.fullmatch(
        rf"http://[0-9a-f]{{32}}\.{user}\.localhost:{port}/user/{user}/.*", frame.url
    )
    screenshot(page, f"app-origin-{user}")
    before = running(site, user)

    found = frame.evaluate(
        ATTACK,
        {"api": site.api(user), "hub": site.hub.url, "mappingId": site.mapping_ids["alice"]},
    )
    assert found["list"] == "blocked"  # CORS: the browser lets the script read nothing
    assert found["start"] == "blocked"  # a JSON POST needs a preflight, which fails
    assert found["start-simple"] == "opaque" and found["users"] == "opaque"
    assert found["hub"] == "blocked"
    assert found["cookies"] == ""  # no Hub cookie, no _xsrf; the app's own is HttpOnly

    # The writes the browser sent anyway changed nothing on the server.
    after = running(site, user)
    assert [c["url_id"] for c in after] == [c["url_id"] for c in before]
    if user == "admin":
        users = site.session("admin").get(f"{site.api('admin')}admin/users", timeout=30)
        assert "mallory" not in users.text
