"""Faults and load on the whole site: SECURITY-TESTS 31, 32, 38, 40.

Each test has a site of its own, since it kills parts of it.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from remoteappmanager.db import Database
from remoteappmanager.services.catalogue import Catalogue
from remoteappmanager.services.policy import GrantPolicy

from .site import Site, app_url, route_of, running_site, start
from .support import DEMO_WEBAPP, listening_ports

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.fixture
def site(tmp_path: Path, demo_images: Any, docker_engine: Any) -> Iterator[Site]:
    with running_site(tmp_path, docker_engine) as running:
        yield running


def eventually_ok(session: requests.Session, url: str, timeout: float = 60) -> requests.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            response = session.get(url, timeout=10)
            if response.status_code == 200:
                return response
        except requests.ConnectionError:
            pass
        assert time.monotonic() < deadline, f"{url} did not come back within {timeout:g} s"
        time.sleep(0.5)


def test_apps_come_back_when_the_hub_restarts_the_killed_proxy(site: Site) -> None:
    """SECURITY-TESTS 31: no user action needed."""
    container = start(site, "alice")
    alice = site.session("alice")
    assert alice.get(app_url(site, container), timeout=30).status_code == 200
    [proxy] = site.hub.proxy_pids()
    os.kill(proxy, signal.SIGKILL)
    page = eventually_ok(alice, app_url(site, container, "env.json"))
    assert page.json()["URL_ID"] == container["url_id"]
    assert site.hub.proxy_pids() and site.hub.proxy_pids() != [proxy]
    # The new proxy knows only the Hub's routes; the router adds the app's again.
    assert route_of(site, container)["target"] == site.hub.routes()["/user/alice"]["target"]


def test_apps_stay_usable_when_the_hub_and_the_services_restart(site: Site) -> None:
    """SECURITY-TESTS 32: the new service finds the running app by its labels."""
    container = start(site, "alice")
    site.restart_hub()  # stops alice's service too
    alice = site.session("alice")  # logs in again, her service starts again
    page = eventually_ok(alice, app_url(site, container, "env.json"))
    assert page.json()["URL_ID"] == container["url_id"]
    listed = alice.get(f"{site.api('alice')}containers", timeout=30).json()["items"]
    assert [c["url_id"] for c in listed] == [container["url_id"]]
    # The route leads to her new service, wherever it listens now.
    service = site.hub.routes()["/user/alice"]["target"]
    deadline = time.monotonic() + 30
    while route_of(site, container)["target"] != service:
        assert time.monotonic() < deadline, "the route still leads to the old service"
        time.sleep(0.1)


def test_an_app_survives_its_service_being_killed(site: Site) -> None:
    """SECURITY-TESTS 32: the Hub starts the service again; the app was never lost."""
    container = start(site, "alice")
    os.kill(site.hub.server_pid("alice"), signal.SIGKILL)
    site.sessions.clear()
    alice = site.session("alice")  # the Hub notices and offers to start it again
    page = eventually_ok(alice, app_url(site, container, "env.json"))
    assert page.json()["URL_ID"] == container["url_id"]


def test_twenty_users_start_apps_at_once(site: Site) -> None:
    """SECURITY-TESTS 38."""
    users = [f"user{n:02d}" for n in range(20)]
    database = Database(url=site.env["REMOTEAPPMANAGER_DB_URL"])
    with database.transaction() as session:
        catalogue = Catalogue(session)
        for user in users:
            catalogue.create_user(user)
            grant, _ = catalogue.grant(DEMO_WEBAPP, user, GrantPolicy())
            site.mapping_ids[user] = grant.mapping_id
    database.dispose()

    def run(user: str) -> str:
        container = start(site, user)
        page = site.session(user).get(app_url(site, container, "env.json"), timeout=60)
        assert page.status_code == 200, page.text
        return str(page.json()["JPY_USER"])

    with ThreadPoolExecutor(len(users)) as pool:
        assert sorted(pool.map(run, users)) == users


def test_idle_connections_do_not_starve_other_users(site: Site) -> None:
    """SECURITY-TESTS 40: a thousand connections that never finish a request."""
    container = start(site, "alice")
    bob = site.session("bob")
    bobs = start(site, "bob")
    target = urlsplit(site.hub.url)
    idle = []
    try:
        for _ in range(1000):
            sock = socket.create_connection((target.hostname, target.port), timeout=5)
            sock.sendall(f"GET {container['url']} HTTP/1.1\r\nHost: x\r\n".encode())
            idle.append(sock)
        started = time.monotonic()
        page = bob.get(app_url(site, bobs, "env.json"), timeout=30)
        assert page.status_code == 200 and page.json()["JPY_USER"] == "bob"
        assert time.monotonic() - started < 5
    finally:
        for sock in idle:
            sock.close()


def test_an_app_started_while_the_proxy_is_down_is_reachable_once_it_is_back(
    site: Site,
) -> None:
    """SECURITY-TESTS 30, in this design: routes are the router's job, so a start does
    not depend on the proxy; once it is back the router routes the app again, and the
    app is never left running and unreachable."""
    alice = site.session("alice")
    token = {"Authorization": f"token {site.hub.api_token('alice')}"}
    admin = {"Authorization": f"token {site.hub.admin_token}"}
    user = requests.get(f"{site.hub.api_url}/users/alice", headers=admin, timeout=30).json()
    service = user["servers"][""]  # where the Hub knows the service listens
    direct = f"http://127.0.0.1:{_port_of(site, 'alice')}{service['url']}api/v1/containers"
    [proxy] = site.hub.proxy_pids()
    os.kill(proxy, signal.SIGKILL)
    started = requests.post(
        direct, json={"mapping_id": site.mapping_ids["alice"]}, headers=token, timeout=60
    )
    assert started.status_code == 201, started.text
    page = eventually_ok(alice, app_url(site, started.json(), "env.json"))
    assert page.json()["URL_ID"] == started.json()["url_id"]
    assert route_of(site, started.json())["owner"] == "alice"


def _port_of(site: Site, user: str) -> int:
    """The port the user's service listens on (the Hub keeps it in no answer)."""
    [port] = listening_ports(site.hub.server_pid(user))
    return port
