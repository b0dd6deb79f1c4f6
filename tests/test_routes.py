"""The proxy routes of the applications, against a real configurable-http-proxy and
real containers: the RouteTable's reconciliation, and the router process following
the Docker engine's events."""

from __future__ import annotations

import os
import subprocess
import urllib.request
from collections.abc import Callable

import pytest

from remoteappmanager.errors import ProxyUnavailable
from remoteappmanager.proxy import ProxyClient
from remoteappmanager.services.containers import ContainerService
from remoteappmanager.services.routes import RouteTable

from .hub import free_port
from .support import DEMO_WEBAPP, ROUTER, Proxy, stop_router, wait_for

pytestmark = pytest.mark.docker

HUB_ROUTE = {"jupyterhub": True, "user": "alice", "server_name": ""}


def table(proxy: Proxy, containers: ContainerService, mode: str = "gateway") -> RouteTable:
    client = ProxyClient(api_url=proxy.api_url, auth_token=proxy.token)
    return RouteTable(proxy=client, realm=containers.index.realm, mode=mode)


async def test_running_apps_are_routed_to_their_owners_service(
    proxy: Proxy, containers: ContainerService, grant: Callable[..., str]
) -> None:
    proxy.add("/user/alice", "http://127.0.0.1:9", **HUB_ROUTE)  # her service, says the Hub
    proxy.add(
        "/user/x/containers/gone", "http://127.0.0.1:9", remoteappmanager=containers.index.realm
    )
    proxy.add("/elsewhere", "http://127.0.0.1:9", remoteappmanager="another-realm")
    alices, _ = await containers.start("alice", grant("alice", DEMO_WEBAPP))
    bobs, _ = await containers.start("bob", grant("bob", DEMO_WEBAPP))
    routes = table(proxy, containers)

    await routes.reconcile(await containers.index.list_all())

    found = proxy.routes()
    route = found[alices.urlpath.rstrip("/")]
    assert route["target"] == "http://127.0.0.1:9"
    assert (route["owner"], route["url_id"]) == ("alice", alices.url_id)
    assert "jupyterhub" not in route and "user" not in route
    # Bob's service does not run: the Hub, not a dead end, answers his app's URL.
    assert bobs.urlpath.rstrip("/") not in found
    assert "/user/x/containers/gone" not in found  # stale: its container is gone
    assert {"/user/alice", "/elsewhere"} <= found.keys()  # not ours to touch

    await containers.stop("alice", alices.url_id)
    await routes.reconcile(await containers.index.list_all())
    assert alices.urlpath.rstrip("/") not in proxy.routes()


async def test_direct_routes_lead_straight_to_the_container(
    proxy: Proxy, containers: ContainerService, grant: Callable[..., str]
) -> None:
    container, _ = await containers.start("alice", grant("alice", DEMO_WEBAPP))
    routes = table(proxy, containers, mode="direct")
    await routes.reconcile(await containers.index.list_all())
    assert proxy.routes()[container.urlpath.rstrip("/")]["target"] == container.address
    with urllib.request.urlopen(f"{proxy.url}{container.urlpath}env.json", timeout=10) as page:
        assert b'"URL_ID"' in page.read()


async def test_a_proxy_that_does_not_answer_is_a_clear_error(
    containers: ContainerService,
) -> None:
    client = ProxyClient(api_url=f"http://127.0.0.1:{free_port()}", auth_token="x", timeout=2)
    routes = RouteTable(proxy=client, realm=containers.index.realm)
    with pytest.raises(ProxyUnavailable, match="the proxy does not answer"):
        await routes.reconcile([])


async def test_the_router_follows_the_engines_events(
    proxy: Proxy,
    containers: ContainerService,
    grant: Callable[..., str],
    router: Callable[..., subprocess.Popen[str]],
) -> None:
    """A long interval: only the engine's events can explain a quick route change."""
    proxy.add("/user/alice", "http://127.0.0.1:9", **HUB_ROUTE)
    started_router = router(containers.index.realm, "c.RouteTable.reconcile_interval = 3600")
    container, _ = await containers.start("alice", grant("alice", DEMO_WEBAPP))
    path = container.urlpath.rstrip("/")
    await wait_for(lambda: path in proxy.routes(), "the route of the started app")
    await containers.stop("alice", container.url_id)
    await wait_for(lambda: path not in proxy.routes(), "the route of the stopped app to go")
    stop_router(started_router)


def test_the_router_needs_the_proxys_api() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONFIGPROXY_")}
    result = subprocess.run(
        [str(ROUTER)], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 1
    assert "set CONFIGPROXY_API_URL and CONFIGPROXY_AUTH_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr
