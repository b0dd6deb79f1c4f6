"""End to end: JupyterHub + configurable-http-proxy + the per-user service + Docker.

alice logs in, her service starts, she lists her applications, starts the demo web
app, reads it through the proxy and stops it. Then the adversarial cases of
SECURITY-TESTS that need the whole system.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from remoteappmanager.db import Database
from remoteappmanager.docker.container import REALM_LABEL
from remoteappmanager.services.catalogue import Catalogue
from remoteappmanager.services.policy import GrantPolicy

from .conftest import DEMO_DESKTOP, DEMO_WEBAPP, ROOT
from .hub import Hub, login, open_server

pytestmark = [pytest.mark.docker, pytest.mark.slow]


class Site:
    """The running system, and what the tests need to know of it."""

    def __init__(self, hub: Hub, realm: str, mapping_ids: dict[str, str]) -> None:
        self.hub = hub
        self.realm = realm
        self.mapping_ids = mapping_ids
        self.sessions: dict[str, requests.Session] = {}

    def session(self, user: str) -> requests.Session:
        """A browser logged in as ``user`` whose service is up."""
        if user not in self.sessions:
            session = login(self.hub, user)
            page = open_server(session, self.hub, user)
            assert page.status_code == 200, page.text
            self.sessions[user] = session
        return self.sessions[user]

    def api(self, user: str, service_of: str | None = None) -> str:
        return f"{self.hub.url}user/{service_of or user}/api/v1/"

    def write(self, user: str, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A write from the dashboard: same origin, the _xsrf cookie echoed in a header."""
        session = self.session(user)
        session.get(f"{self.api(user)}applications", timeout=30)  # sets _xsrf
        headers = {"X-XSRFToken": session.cookies.get("_xsrf", path=f"/user/{user}/") or ""}
        return session.request(
            method, f"{self.api(user)}{path}", headers=headers, timeout=60, **kwargs
        )


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, demo_images: Any, docker_engine: Any
) -> Iterator[Site]:
    workdir = tmp_path_factory.mktemp("site")
    realm = f"test-{secrets.token_hex(6)}"
    db_url = f"sqlite:///{workdir / 'app.sqlite'}"
    database = Database(url=db_url)
    database.initialise()
    with database.transaction() as session:
        catalogue = Catalogue(session)
        for image in (DEMO_WEBAPP, DEMO_DESKTOP):
            catalogue.create_application(image)
        mapping_ids = {}
        for user in ("alice", "bob"):
            catalogue.create_user(user)
            grant, _ = catalogue.grant(DEMO_WEBAPP, user, GrantPolicy(allow_home=True))
            mapping_ids[user] = grant.mapping_id
        mapping_ids["alice-desktop"] = catalogue.grant(DEMO_DESKTOP, "alice", GrantPolicy())[
            0
        ].mapping_id
    database.dispose()
    service_config = workdir / "remoteappmanager_config.py"
    service_config.write_text(f"c.ContainerService.realm = {realm!r}\n")
    hub = Hub.start(
        workdir,
        f"load_subconfig({str(ROOT / 'deploy' / 'jupyterhub_config.py')!r})\n",
        env={
            "REMOTEAPPMANAGER_DB_URL": db_url,
            "REMOTEAPPMANAGER_WORKSPACES": str(workdir / "workspaces"),
            "REMOTEAPPMANAGER_CONFIG": str(service_config),
        },
    )
    try:
        yield Site(hub, realm, mapping_ids)
    finally:
        hub.stop()
        for container in docker_engine.containers.list(
            all=True, filters={"label": f"{REALM_LABEL}={realm}"}
        ):
            container.remove(force=True)
        print(f"--- end of hub.log ---\n{hub.log_tail(100)}")


def test_alice_runs_the_demo_app_through_the_proxy(site: Site, docker_engine: Any) -> None:
    alice = site.session("alice")
    listed = alice.get(f"{site.api('alice')}applications", timeout=30)
    assert listed.status_code == 200, listed.text
    apps = {app["mapping_id"]: app for app in listed.json()["items"]}
    webapp = apps[site.mapping_ids["alice"]]
    assert (webapp["name"], webapp["type"], webapp["container"]) == ("Demo web app", "webapp", None)
    assert webapp["icon_128"] and webapp["policy"]["workspace"] is True
    desktop = apps[site.mapping_ids["alice-desktop"]]
    assert [c["name"] for c in desktop["configurables"]] == ["resolution"]

    started = site.write(
        "alice", "POST", "containers", json={"mapping_id": site.mapping_ids["alice"]}
    )
    assert started.status_code == 201, started.text
    container = started.json()
    assert container["url"] == f"/user/alice/containers/{container['url_id']}/"

    page = alice.get(f"{site.hub.url.rstrip('/')}{container['url']}env.json", timeout=30)
    assert page.status_code == 200, page.text
    env = page.json()
    assert (env["JPY_USER"], env["URL_ID"]) == ("alice", container["url_id"])
    assert env["workspace"] == []

    running = alice.get(f"{site.api('alice')}containers", timeout=30).json()["items"]
    assert [c["url_id"] for c in running] == [container["url_id"]]

    stopped = site.write("alice", "DELETE", f"containers/{container['url_id']}")
    assert stopped.status_code == 204, stopped.text
    assert (
        docker_engine.containers.list(all=True, filters={"label": f"{REALM_LABEL}={site.realm}"})
        == []
    )
    gone = alice.get(f"{site.hub.url.rstrip('/')}{container['url']}", timeout=30)
    assert gone.status_code == 404
