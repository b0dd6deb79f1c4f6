"""A whole site for end-to-end tests: app database, JupyterHub with CHP, the users'
services, Docker.

`running_site` makes the app database (alice and bob with the demo web app, alice also
with the demo desktop, the desktop a demo application for everyone), starts a Hub
with ``deploy/jupyterhub_config.py`` (``admin`` an admin of the Hub, ``olga`` in the
group ``operators`` that the services take for administrators), and removes every
container of its realm at the end.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from remoteappmanager.db import Database
from remoteappmanager.docker.container import REALM_LABEL, URL_ID_LABEL
from remoteappmanager.services.catalogue import Catalogue
from remoteappmanager.services.policy import GrantPolicy

from .hub import Hub, login, open_server
from .support import DEMO_DESKTOP, DEMO_WEBAPP, ROOT

HUB_CONFIG = f"load_subconfig({str(ROOT / 'deploy' / 'jupyterhub_config.py')!r})\n"
# The site's administrators: "admin" by the Hub's own flag, "olga" by a group.
SITE_HUB_CONFIG = HUB_CONFIG + 'c.JupyterHub.load_groups = {"operators": {"users": ["olga"]}}\n'
SITE_ADMINS = {"admin"}


class Site:
    """The running system, and what the tests need to know of it."""

    def __init__(
        self,
        hub: Hub,
        realm: str,
        mapping_ids: dict[str, str],
        env: dict[str, str],
        subdomains: bool = False,
        volumes: Path | None = None,
    ) -> None:
        self.hub = hub
        self.volumes = volumes  # the one root grants may mount volumes from, if any
        self.subdomains = subdomains
        self.realm = realm
        self.mapping_ids = mapping_ids
        self.env = env
        self.sessions: dict[str, requests.Session] = {}

    def restart_hub(self) -> None:
        """Stop the Hub (and with it the users' services) and start it again."""
        self.hub.stop()
        self.hub = Hub.start(
            self.hub.workdir,
            SITE_HUB_CONFIG,
            env=self.env,
            subdomains=self.subdomains,
            admin_users=SITE_ADMINS,
        )
        self.sessions.clear()

    def session(self, user: str) -> requests.Session:
        """A browser logged in as ``user`` whose service is up."""
        if user not in self.sessions:
            session = login(self.hub, user)
            page = open_server(session, self.hub, user)
            assert page.status_code == 200, (page.url, [r.url for r in page.history], page.text)
            self.sessions[user] = session
        return self.sessions[user]

    def server_url(self, user: str) -> str:
        """The user's server: ``/user/<name>/`` on the Hub's host, or on the user's own
        host (``<name>.localhost``) when the Hub uses subdomains."""
        url = urlsplit(self.hub.url)
        host = f"{user}.{url.netloc}" if self.subdomains else url.netloc
        return f"{url.scheme}://{host}/user/{user}/"

    def api(self, user: str, service_of: str | None = None) -> str:
        return f"{self.server_url(service_of or user)}api/v1/"

    def write(
        self,
        user: str,
        method: str,
        path: str,
        headers_extra: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """A write from the dashboard: same origin, the _xsrf cookie echoed in a header."""
        session = self.session(user)
        session.get(f"{self.api(user)}applications", timeout=30)  # sets _xsrf
        headers = {"X-XSRFToken": session.cookies.get("_xsrf", path=f"/user/{user}/") or ""}
        headers.update(headers_extra or {})
        url = f"{self.api(user)}{path}"
        return session.request(method, url, headers=headers, timeout=60, **kwargs)


@contextmanager
def running_site(
    workdir: Path, docker_engine: Any, app_origins: bool = False, service_config: str = ""
) -> Iterator[Site]:
    """The site; with ``app_origins`` the Hub uses subdomains and every app gets its
    own origin, ``http://<url_id>.<user>.localhost:PORT/``. ``service_config`` is added
    to the services' remoteappmanager_config.py."""
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
    volumes = workdir / "volumes"
    volumes.mkdir()
    config_file = workdir / "remoteappmanager_config.py"
    config_file.write_text(
        f"c.ContainerIndex.realm = {realm!r}\n"
        f"c.Policy.allowed_volume_roots = [{str(volumes)!r}]\n"
        "c.ActivityReporter.interval = 0\n"
        "c.RouteTable.reconcile_interval = 1\n"
        'c.RemoteAppManager.admin_groups = ["operators"]\n'
        f"c.RemoteAppManager.demo_applications = {{{DEMO_DESKTOP!r}: {{}}}}\n"
        + ('c.ContainerService.app_origin = "http://{url_id}.{user_host}"\n' if app_origins else "")
        + service_config
    )
    env = {
        "REMOTEAPPMANAGER_DB_URL": db_url,
        "REMOTEAPPMANAGER_WORKSPACES": str(workdir / "workspaces"),
        "REMOTEAPPMANAGER_CONFIG": str(config_file),
    }
    hub = Hub.start(
        workdir, SITE_HUB_CONFIG, env=env, subdomains=app_origins, admin_users=SITE_ADMINS
    )
    site = Site(hub, realm, mapping_ids, env, subdomains=app_origins, volumes=volumes)
    try:
        yield site
    finally:
        site.hub.stop()
        for container in docker_engine.containers.list(
            all=True, filters={"label": f"{REALM_LABEL}={realm}"}
        ):
            # pytest shows this output when a test of the site failed.
            print(f"--- logs of {container.name} ({container.status}) ---")
            print(container.logs(tail=20).decode(errors="replace"))
            container.remove(force=True)
        print(f"--- end of hub.log ---\n{site.hub.log_tail(100)}")


def start(site: Site, user: str, key: str | None = None) -> dict[str, Any]:
    started = site.write(
        user, "POST", "containers", json={"mapping_id": site.mapping_ids[key or user]}
    )
    assert started.status_code in (200, 201), started.text
    result: dict[str, Any] = started.json()
    return result


def app_url(site: Site, container: dict[str, Any], path: str = "") -> str:
    """The app's path on its owner's server (with app origins: where it is opened)."""
    origin = urlsplit(site.server_url(container["user"]))
    return f"{origin.scheme}://{origin.netloc}{container['url']}{path}"


def requests_seen_by(docker_engine: Any, url_id: str) -> int:
    """How many requests the demo app logged (busybox httpd -vv logs each one)."""
    [container] = docker_engine.containers.list(filters={"label": f"{URL_ID_LABEL}={url_id}"})
    return container.logs().count(b" url:")


def route_of(site: Site, container: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
    """The proxy's route of a started app, once the router has added it."""
    path = container["url"].rstrip("/")
    deadline = time.monotonic() + timeout
    while path not in (routes := site.hub.routes()):
        assert time.monotonic() < deadline, f"no route {path} after {timeout:g} s: {routes}"
        time.sleep(0.1)
    route: dict[str, Any] = routes[path]
    return route


def wait_until_unrouted(site: Site, container: dict[str, Any], timeout: float = 30) -> None:
    """Return once the router has removed the route of a stopped app."""
    path = container["url"].rstrip("/")
    deadline = time.monotonic() + timeout
    while path in (routes := site.hub.routes()):
        assert time.monotonic() < deadline, f"{path} still routed after {timeout:g} s: {routes}"
        time.sleep(0.1)
