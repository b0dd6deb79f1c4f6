"""Apps on their own origins, end to end (SECURITY-TESTS 42-45; 41 in Chromium, in
test_browser_origins.py).

The Hub runs with ``subdomain_host`` (``http://localhost:PORT``), so alice's server is
``http://alice.localhost:PORT/user/alice/`` and each app gets
``http://<url_id>.alice.localhost:PORT/``: real JupyterHub, proxy (routing by host),
per-user services and Docker. This process resolves ``*.localhost`` to 127.0.0.1, as
Chromium does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from remoteappmanager.docker.container import URL_ID_LABEL

from .hub import NAVIGATE, resolve_localhost_subdomains
from .site import (
    Site,
    app_url,
    requests_seen_by,
    running_site,
    start,
    wait_until_unrouted,
)

pytestmark = [pytest.mark.docker, pytest.mark.slow]

TICKET_SECONDS = 3
RECHECK_SECONDS = 1


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, demo_images: Any, docker_engine: Any
) -> Iterator[Site]:
    config = (
        f"c.AppSessions.ticket_seconds = {TICKET_SECONDS}\n"
        f"c.AppSessions.recheck_seconds = {RECHECK_SECONDS}\n"
    )
    with (
        resolve_localhost_subdomains(),
        running_site(
            tmp_path_factory.mktemp("origins"), docker_engine, app_origins=True,
            service_config=config,
        ) as running,
    ):  # fmt: skip
        yield running


def origin_of(container: dict[str, Any], site: Site) -> str:
    port = urlsplit(site.hub.url).port
    return f"http://{container['url_id']}.{container['user']}.localhost:{port}"


def ticket_url(site: Site, user: str, container: dict[str, Any], path: str = "") -> str:
    """Where the dashboard's link sends the browser: the app's origin, with a ticket
    (once the router has routed it, as the dashboard waits for)."""
    host_route = f"/{urlsplit(origin_of(container, site)).hostname}"
    deadline = time.monotonic() + 30
    while host_route not in site.hub.routes():
        assert time.monotonic() < deadline, f"no route {host_route}"
        time.sleep(0.05)
    launched = site.session(user).get(
        app_url(site, container, path), headers=NAVIGATE, allow_redirects=False, timeout=30
    )
    assert launched.status_code == 302, launched.text
    location: str = launched.headers["Location"]
    return location


def enter(browser: requests.Session, url: str) -> requests.Response:
    """Follow a ticket link as a browser does, as far as the app's page."""
    return browser.get(url, headers=NAVIGATE, timeout=30)


def test_an_app_opens_on_its_own_origin_without_the_users_cookies(
    site: Site, docker_engine: Any
) -> None:
    container = start(site, "alice")
    origin = origin_of(container, site)
    link = ticket_url(site, "alice", container, "env.json")
    assert link.startswith(f"{origin}/_remoteappmanager/enter?")
    assert parse_qs(urlsplit(link).query)["next"] == [f"{container['url']}env.json"]

    browser = requests.Session()  # the app origin gets none of the Hub's cookies
    page = enter(browser, link)
    assert page.status_code == 200, page.text
    assert page.url == f"{origin}{container['url']}env.json"
    assert page.json()["JPY_USER"] == "alice"
    [cookie] = list(browser.cookies)
    assert (cookie.name, cookie.domain) == ("remoteappmanager-app", urlsplit(origin).hostname)
    assert cookie.has_nonstandard_attr("HttpOnly")

    # What reached the app: its own cookies, but no Hub, service or app-session cookie.
    browser.cookies.set("app-own", "kept", domain=urlsplit(origin).hostname)
    browser.cookies.set("jupyterhub-session-id", "withheld", domain=urlsplit(origin).hostname)
    seen = browser.get(f"{origin}{container['url']}headers.cgi", timeout=30).text
    cookie_line = next(line for line in seen.splitlines() if line.startswith("HTTP_COOKIE="))
    assert cookie_line == "HTTP_COOKIE=app-own=kept"
    assert "HTTP_AUTHORIZATION" not in seen

    # The proxy routes the app's host to alice's service; no path route is made.
    routes = site.hub.routes()
    assert f"/{urlsplit(origin).hostname}" in routes
    assert container["url"].rstrip("/") not in routes

    # The dashboard's page of the app is only a launcher: nothing else is served there.
    alice = site.session("alice")
    posted = alice.post(app_url(site, container), data="x", timeout=30)
    assert posted.status_code in (403, 404)


def test_42_an_app_cookie_opens_only_its_own_app(site: Site, docker_engine: Any) -> None:
    webapp = start(site, "alice")
    desktop = start(site, "alice", "alice-desktop")
    browser = requests.Session()
    assert enter(browser, ticket_url(site, "alice", webapp)).status_code == 200
    [cookie] = list(browser.cookies)

    desktop_origin = origin_of(desktop, site)
    seen_before = requests_seen_by(docker_engine, desktop["url_id"])
    stolen = {"Cookie": f"remoteappmanager-app={cookie.value}"}
    for method in ("GET", "POST"):
        answer = requests.request(
            method, f"{desktop_origin}{desktop['url']}", headers=stolen,
            allow_redirects=False, timeout=30,
        )  # fmt: skip
        if method == "GET":  # a page is sent to the dashboard for a ticket, not the app
            assert answer.status_code == 302
            assert answer.headers["Location"] == app_url(site, desktop)
        else:
            assert answer.status_code == 404
    assert requests_seen_by(docker_engine, desktop["url_id"]) == seen_before

    # Nor the dashboard, the API or the Hub.
    api = requests.get(f"{site.api('alice')}containers", headers=stolen, timeout=30)
    assert api.status_code == 403
    dashboard = requests.get(
        site.server_url("alice"), headers=stolen, allow_redirects=False, timeout=30
    )
    assert dashboard.status_code == 302 and "/hub/" in dashboard.headers["Location"]

    # bob, logged in, gets nothing of alice's app: the Hub does not let him log in to
    # her server, so her launcher never gives him a ticket.
    bob = site.session("bob")
    launched = bob.get(app_url(site, desktop), headers=NAVIGATE, timeout=30)
    assert launched.status_code in (403, 404)
    assert "_remoteappmanager" not in launched.url
    assert requests_seen_by(docker_engine, desktop["url_id"]) == seen_before


def test_43_a_ticket_is_good_once_and_briefly(site: Site) -> None:
    container = start(site, "alice")
    link = ticket_url(site, "alice", container)
    assert enter(requests.Session(), link).status_code == 200
    again = requests.Session().get(link, allow_redirects=False, timeout=30)
    assert again.status_code == 403
    assert "expired or was used already" in again.text
    assert not again.cookies

    late = ticket_url(site, "alice", container)
    time.sleep(TICKET_SECONDS + 0.5)
    assert requests.Session().get(late, allow_redirects=False, timeout=30).status_code == 403

    # A ticket of one app opens no other: it is refused at another app's origin.
    other = start(site, "alice", "alice-desktop")
    link = ticket_url(site, "alice", container)
    elsewhere = link.replace(origin_of(container, site), origin_of(other, site))
    assert requests.get(elsewhere, allow_redirects=False, timeout=30).status_code == 403


def test_44_stop_and_logout_end_the_app_session(site: Site, docker_engine: Any) -> None:
    container = start(site, "alice")
    origin = origin_of(container, site)
    browser = requests.Session()
    assert enter(browser, ticket_url(site, "alice", container)).status_code == 200

    # Logging out of the Hub ends it within recheck_seconds.
    logged_out = site.session("alice")
    # The Hub's session cookie has Domain=localhost, which a browser sends to the
    # Hub at localhost but Python's cookie jar does not (it files localhost as
    # localhost.local): given by hand, as Chromium would send it.
    session_id = logged_out.cookies.get("jupyterhub-session-id", domain=".localhost")
    out = logged_out.get(
        f"{site.hub.url}hub/logout", headers=NAVIGATE, timeout=30,
        cookies={"jupyterhub-session-id": session_id or ""},
    )  # fmt: skip
    assert out.ok
    site.sessions.pop("alice")
    time.sleep(RECHECK_SECONDS + 0.5)
    page = browser.get(f"{origin}{container['url']}env.json", allow_redirects=False, timeout=30)
    assert page.status_code == 302  # to the dashboard, which asks for a login
    assert page.headers["Location"].startswith(site.server_url("alice"))

    # Stopping the app ends it at once.
    browser = requests.Session()
    assert enter(browser, ticket_url(site, "alice", container)).status_code == 200
    stopped = site.write("alice", "DELETE", f"containers/{container['url_id']}")
    assert stopped.status_code == 204, stopped.text
    wait_until_unrouted_host(site, origin)
    after = browser.get(f"{origin}{container['url']}env.json", allow_redirects=False, timeout=30)
    # No route now: the proxy's default, the Hub, answers; never the app.
    assert after.status_code in (302, 404), after.text
    assert after.status_code == 404 or "/hub/" in after.headers["Location"]
    assert not docker_engine.containers.list(
        filters={"label": f"{URL_ID_LABEL}={container['url_id']}"}
    )


def test_57_the_dashboards_logout_ends_app_sessions_at_once_and_clears_the_site(
    site: Site,
) -> None:
    """SECURITY-TESTS 57: "Log out" goes through the owner's service, which ends every
    app session there and then (not within recheck_seconds), asks the browser to drop
    what the user's origin stored (``Clear-Site-Data``: a service worker or storage an
    app left), and sends it on to the Hub's logout. Nobody else's visit ends them."""
    container = start(site, "alice")
    origin = origin_of(container, site)
    browser = requests.Session()
    assert enter(browser, ticket_url(site, "alice", container)).status_code == 200
    app_page = f"{origin}{container['url']}env.json"

    bobs_visit = site.session("bob").get(
        f"{site.server_url('alice')}logout", allow_redirects=False, timeout=30
    )
    assert bobs_visit.status_code == 302
    assert browser.get(app_page, allow_redirects=False, timeout=30).status_code == 200

    alice = site.session("alice")
    out = alice.get(f"{site.server_url('alice')}logout", allow_redirects=False, timeout=30)
    assert out.status_code == 302
    assert urlsplit(out.headers["Location"]).path == "/hub/logout"
    assert out.headers["Clear-Site-Data"] == '"cache", "storage"'
    page = browser.get(app_page, allow_redirects=False, timeout=30)  # no wait
    assert page.status_code == 302 and page.headers["Location"].startswith(site.server_url("alice"))
    site.sessions.pop("alice")


def wait_until_unrouted_host(site: Site, origin: str, timeout: float = 30) -> None:
    path = f"/{urlsplit(origin).hostname}"
    deadline = time.monotonic() + timeout
    while path in site.hub.routes():
        assert time.monotonic() < deadline, f"{path} still routed after {timeout:g} s"
        time.sleep(0.1)


def test_45_a_foreign_websocket_on_the_app_origin_is_refused_first(
    site: Site, docker_engine: Any
) -> None:
    container = start(site, "alice")
    origin = origin_of(container, site)
    browser = requests.Session()
    assert enter(browser, ticket_url(site, "alice", container)).status_code == 200
    seen_before = requests_seen_by(docker_engine, container["url_id"])
    upgrade = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    for foreign in ("http://evil.example", f"http://{site.server_url('alice').split('/')[2]}"):
        refused = browser.get(
            f"{origin}{container['url']}", headers={**upgrade, "Origin": foreign}, timeout=30
        )
        assert refused.status_code == 403
        # Not kept alive: through the proxy this socket is closed after the answer.
        assert refused.headers.get("Connection", "").lower() == "close", refused.headers
    # A cross-origin write is refused the same way.
    posted = browser.post(
        f"{origin}{container['url']}", data="x", headers={"Origin": "http://evil.example"},
        timeout=30,
    )  # fmt: skip
    assert posted.status_code == 403
    assert requests_seen_by(docker_engine, container["url_id"]) == seen_before


def test_stopping_leaves_no_host_route(site: Site) -> None:
    container = start(site, "alice")
    stopped = site.write("alice", "DELETE", f"containers/{container['url_id']}")
    assert stopped.status_code == 204
    wait_until_unrouted_host(site, origin_of(container, site))
    wait_until_unrouted(site, container)
