"""Sharing a running app (issue 13), on the real site with app origins: JupyterHub,
CHP, the users' services, Docker, and Chromium for the shared desktop."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, WebSocket, expect

from remoteappmanager.db import Database
from remoteappmanager.services.catalogue import Catalogue
from remoteappmanager.services.policy import GrantPolicy

from .browser import browsing, chromium, log_in, screenshot
from .hub import resolve_localhost_subdomains
from .site import Site, running_site
from .support import DEMO_WEBAPP, REAL_DESKTOP
from .test_culling import Events
from .test_real_apps import engine_container, wait_for_desktop

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.browser]

CONFIG = "c.Sharing.refresh_interval = 0.5\n"


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory,
    demo_images: Any,
    real_app_images: tuple[str, str],
    docker_engine: Any,
) -> Iterator[Site]:
    """Apps on their own origins; alice may share the desktop and the web app."""
    workdir = tmp_path_factory.mktemp("site")
    with (
        resolve_localhost_subdomains(),
        running_site(workdir, docker_engine, app_origins=True, service_config=CONFIG) as s,
    ):
        database = Database(url=s.env["REMOTEAPPMANAGER_DB_URL"])
        with database.transaction() as session:
            catalogue = Catalogue(session)
            catalogue.create_application(REAL_DESKTOP)
            for key, image in (
                ("alice-desktop-shared", REAL_DESKTOP),
                ("alice-web-shared", DEMO_WEBAPP),
            ):
                grant, _ = catalogue.grant(image, "alice", GrantPolicy(allow_view=True))
                s.mapping_ids[key] = grant.mapping_id
        database.dispose()
        yield s


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


@pytest.fixture
def alice_browser(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    with browsing(browser, request, 1280, 900, "sharing-alice") as context:
        yield context


@pytest.fixture
def bob_browser(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    with browsing(browser, request, 1280, 900, "sharing-bob") as context:
        yield context


def start(site: Site, key: str) -> dict[str, Any]:
    started = site.write("alice", "POST", "containers", json={"mapping_id": site.mapping_ids[key]})
    assert started.status_code in (200, 201), started.text
    container: dict[str, Any] = started.json()
    return container


def share(site: Site, url_id: str, **body: Any) -> requests.Response:
    return site.write("alice", "POST", f"containers/{url_id}/shares", json=body)


def shared_with(site: Site, user: str) -> list[dict[str, Any]]:
    answer = site.session(user).get(f"{site.api(user)}shared", timeout=30)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def audit(site: Site, action: str) -> list[dict[str, Any]]:
    page = site.session("admin").get(f"{site.api('admin')}admin/audit?limit=500", timeout=30)
    assert page.status_code == 200, page.text
    return [entry for entry in page.json()["items"] if entry["action"] == action]


def exists_in(docker_engine: Any, container: dict[str, Any], path: str) -> bool:
    result = engine_container(docker_engine, container).exec_run(["test", "-e", path])
    return bool(result.exit_code == 0)


def type_into_terminal(page: Page, text: str) -> None:
    """Click into the desktop's terminal (at the top left of the screen), then type."""
    page.locator("#noVNC_container canvas").click(position={"x": 300, "y": 200})
    page.keyboard.type(text, delay=20)
    page.keyboard.press("Enter")


def test_a_view_only_share_shows_the_desktop_but_takes_no_input_and_ends_on_revoke(
    site: Site, alice_browser: BrowserContext, bob_browser: BrowserContext, docker_engine: Any
) -> None:
    desktop = start(site, "alice-desktop-shared")
    made = share(site, desktop["url_id"], kind="user", name="bob", permission="view")
    assert made.status_code == 201, made.text
    share_id = made.json()["id"]
    assert made.json()["link"] is None

    # alice's own page: her input reaches the desktop.
    alice = alice_browser.new_page()
    log_in(alice, site.hub, "alice")
    alice.goto(f"{site.server_url('alice')}containers/{desktop['url_id']}/")
    wait_for_desktop(alice)
    type_into_terminal(alice, "touch /tmp/alice-was-here")
    deadline = time.monotonic() + 15
    while not exists_in(docker_engine, desktop, "/tmp/alice-was-here"):
        assert time.monotonic() < deadline, "alice's keys did not reach her desktop"
        time.sleep(0.25)

    # bob finds it under "Shared with me", and opens it: he sees the desktop...
    bob = bob_browser.new_page()
    sockets: list[WebSocket] = []
    bob.on("websocket", lambda socket: sockets.append(socket))
    log_in(bob, site.hub, "bob")
    [item] = shared_with(site, "bob")
    assert (item["owner"], item["permission"], item["name"]) == ("alice", "view", "Desktop")
    bob.goto(f"{site.server_url('bob')}{item['open_url'].split('/user/bob/', 1)[1]}")
    assert urlsplit(bob.url).hostname == urlsplit(desktop["origin"]).hostname
    wait_for_desktop(bob)
    screenshot(bob, "shared-desktop-bob")
    # ...but his keys and clicks change nothing, and his connection stays.
    type_into_terminal(bob, "touch /tmp/bob-was-here")
    time.sleep(2)  # not a timing assertion: whatever reached the desktop did by now
    assert not exists_in(docker_engine, desktop, "/tmp/bob-was-here")
    [vnc] = [s for s in sockets if s.url.endswith("/websockify")]
    assert not vnc.is_closed()
    closed: list[float] = []
    vnc.on("close", lambda _: closed.append(time.monotonic()))

    # alice revokes: bob's desktop closes within 5 s, and does not open again.
    revoked_at = time.monotonic()
    assert site.write("alice", "DELETE", f"shares/{share_id}").status_code == 204
    while not closed:
        assert time.monotonic() - revoked_at < 10, "bob's websocket is still open"
        bob.wait_for_timeout(100)
    assert closed[0] - revoked_at <= 5
    # Nothing opens for him there any more (a reload asks the server, where going to
    # the same address may take the page from the cache): he is sent to alice's
    # server, whose login the Hub refuses him (403).
    again = bob.reload()
    assert again is not None and again.status == 403, (bob.url, again and again.status)
    assert urlsplit(bob.url).hostname != urlsplit(desktop["origin"]).hostname
    assert shared_with(site, "bob") == []
    [created] = [e for e in audit(site, "share.create") if e["details"]["share"] == share_id]
    assert created["actor"] == "alice" and created["details"]["permission"] == "view"
    assert [e["actor"] for e in audit(site, "share.use") if e["details"]["share"] == share_id] == [
        "bob"
    ]
    [revoke] = [e for e in audit(site, "share.revoke") if e["details"]["share"] == share_id]
    assert revoke["actor"] == "alice"
    assert site.write("alice", "DELETE", f"containers/{desktop['url_id']}").status_code == 204


def follow(session: requests.Session, url: str) -> requests.Response:
    return session.get(url, timeout=60, allow_redirects=True)


def test_a_link_works_once_per_user_until_it_expires(site: Site) -> None:
    web = start(site, "alice-web-shared")
    # The web app cannot enforce view-only: only "control" is offered.
    refused = share(site, web["url_id"], kind="link", permission="view")
    assert refused.status_code == 400 and "control only" in refused.json()["error"]["message"]
    made = share(site, web["url_id"], kind="link", permission="control", expires_in=5)
    assert made.status_code == 201, made.text
    link = made.json()["link"]
    assert "/hub/user-redirect/shared/link/" in link

    carol = site.session("carol")
    page = follow(carol, link)
    assert page.status_code == 200, (page.url, page.text)
    assert urlsplit(page.url).hostname == urlsplit(web["origin"]).hostname
    [first] = shared_with(site, "carol")
    assert (first["owner"], first["permission"]) == ("alice", "control")
    # Again: the same share, not a second one.
    assert follow(carol, link).status_code == 200
    assert [item["id"] for item in shared_with(site, "carol")] == [first["id"]]
    link_id = made.json()["id"]
    uses = [e for e in audit(site, "share.use") if e["details"].get("link") == link_id]
    assert [e["actor"] for e in uses] == ["carol"]

    time.sleep(6)  # the link lasts 5 s (expires_in): not a timing assertion
    late = follow(site.session("bob"), link)
    assert late.status_code == 404 and "has expired, was revoked" in late.text
    assert shared_with(site, "bob") == [] and shared_with(site, "carol") == []
    assert site.write("alice", "DELETE", f"containers/{web['url_id']}").status_code == 204


def test_only_the_owner_shares_admins_revoke_any_and_stopping_the_app_ends_them(
    site: Site,
) -> None:
    web = start(site, "alice-web-shared")
    alice_events, bob_events = Events(site, "alice"), Events(site, "bob")
    try:
        asked = time.monotonic()
        made = share(site, web["url_id"], kind="user", name="bob", permission="control")
        assert made.status_code == 201, made.text
        # Both dashboards hear of it: alice's at once, bob's at his service's next look.
        arrived, _ = alice_events.next("shares", url_id=web["url_id"])
        assert arrived - asked <= 1.0, f"the owner heard {arrived - asked:.2f} s late"
        arrived, _ = bob_events.next("shared")
        assert arrived - asked <= 1.0 + 0.5, f"the viewer heard {arrived - asked:.2f} s late"
    finally:
        alice_events.close()
        bob_events.close()
    [item] = shared_with(site, "bob")

    # bob cannot share alice's app on: not from her service, not from his own.
    bob = site.session("bob")
    xsrf = {"X-XSRFToken": bob.cookies.get("_xsrf", path="/user/bob/") or ""}
    through_alice = bob.post(
        f"{site.api('alice')}containers/{web['url_id']}/shares",
        json={"kind": "user", "name": "carol", "permission": "control"},
        headers=xsrf,
        timeout=30,
        allow_redirects=False,
    )
    assert through_alice.status_code in (302, 403), through_alice.text
    through_bob = site.write(
        "bob", "POST", f"containers/{web['url_id']}/shares", json={"kind": "link"}
    )
    assert through_bob.status_code == 404, through_bob.text
    # Nor may alice share with herself, nor with "everyone", nor for ever.
    for bad, words in (
        ({"kind": "user", "name": "alice"}, "yourself"),
        ({"kind": "everyone"}, "kind must be one of"),
        ({"kind": "link", "permission": "control", "expires_in": 10**9}, "expires_in must be"),
        ({"kind": "user", "name": "bob", "permission": "admin"}, "permission must be one of"),
    ):
        refused = share(site, web["url_id"], **bad)
        assert refused.status_code == 400 and words in refused.json()["error"]["message"], bad

    # An admin sees every share, and revokes any: bob loses it.
    listed = site.session("admin").get(f"{site.api('admin')}admin/shares", timeout=30)
    assert listed.status_code == 200, listed.text
    assert item["id"] in [each["id"] for each in listed.json()["items"]]
    revoked = site.write("admin", "DELETE", f"admin/shares/{item['id']}")
    assert revoked.status_code == 204, revoked.text
    assert shared_with(site, "bob") == []
    [entry] = [e for e in audit(site, "share.revoke") if e["details"]["share"] == item["id"]]
    assert (entry["actor"], entry["details"]["owner"]) == ("admin", "alice")

    # The owner's shares of a group reach its members (olga is in "operators").
    group = share(site, web["url_id"], kind="group", name="operators", permission="control")
    assert group.status_code == 201, group.text
    assert [each["owner"] for each in shared_with(site, "olga")] == ["alice"]
    again = share(site, web["url_id"], kind="user", name="bob", permission="control")
    assert again.status_code == 201, again.text

    assert site.write("alice", "DELETE", f"containers/{web['url_id']}").status_code == 204
    deadline = time.monotonic() + 10
    while shared_with(site, "bob") or shared_with(site, "olga"):
        assert time.monotonic() < deadline, "the shares outlived the app"
        time.sleep(0.25)
    ended = [e for e in audit(site, "share.end") if e["target"] == web["url_id"]]
    assert {e["details"]["reason"] for e in ended} == {"the app stopped"}
    assert {e["via"] for e in ended} == {"service"}
    assert len(ended) == 2


def test_without_app_origins_nothing_can_be_shared(
    tmp_path: Path, demo_images: Any, docker_engine: Any
) -> None:
    with running_site(tmp_path, docker_engine) as plain:
        started = plain.write(
            "alice", "POST", "containers", json={"mapping_id": plain.mapping_ids["alice"]}
        )
        assert started.status_code == 201, started.text
        refused = plain.write(
            "alice",
            "POST",
            f"containers/{started.json()['url_id']}/shares",
            json={"kind": "user", "name": "bob"},
        )
        assert refused.status_code == 403, refused.text
        assert "own origin" in refused.json()["error"]["message"]


def test_in_the_dashboards_alice_shares_and_revokes_and_bob_opens_it(
    site: Site, alice_browser: BrowserContext, bob_browser: BrowserContext
) -> None:
    """The same through the pages: alice's Share panel, bob's "Shared with me"."""
    web = start(site, "alice-web-shared")
    alice = alice_browser.new_page()
    log_in(alice, site.hub, "alice")
    alice.goto(f"{site.server_url('alice')}#/apps/{site.mapping_ids['alice-web-shared']}")
    expect(alice.get_by_test_id("app-frame")).to_be_visible(timeout=30_000)
    alice.get_by_test_id("share-button").click()
    # The web app cannot enforce view-only: full control is all the form offers.
    permissions = alice.get_by_test_id("share-permission").locator("option")
    expect(permissions).to_have_count(1)
    alice.get_by_test_id("share-kind").select_option("user")
    alice.get_by_test_id("share-name").fill("bob")
    alice.get_by_test_id("share-submit").click()
    expect(alice.get_by_test_id("share-who")).to_have_text(["bob"])
    screenshot(alice, "share-panel-alice")

    bob = bob_browser.new_page()
    log_in(bob, site.hub, "bob")
    shared = bob.get_by_test_id("shared-app")
    expect(shared).to_have_count(1, timeout=15_000)
    expect(shared).to_contain_text("alice")
    screenshot(bob, "shared-with-me-bob")
    with bob_browser.expect_page() as opened:
        bob.get_by_test_id("open-shared").click()
    tab = opened.value
    tab.wait_for_load_state()
    assert urlsplit(tab.url).hostname == urlsplit(web["origin"]).hostname
    # The demo web app shows who it serves: alice's app, the same for bob.
    expect(tab.locator("body")).to_contain_text("JPY_USER: alice")

    alice.get_by_test_id("revoke-share").click()
    alice.get_by_test_id("confirm-yes").click()
    expect(alice.get_by_test_id("no-shares")).to_be_visible()
    # bob's dashboard hears of it (the event stream, or its poll) and drops it.
    expect(shared).to_have_count(0, timeout=15_000)
    assert site.write("alice", "DELETE", f"containers/{web['url_id']}").status_code == 204
