"""The proxy routes of running applications, kept in step with the containers.

Each running container of the realm gets the route ``/user/<name>/containers/<url_id>``
in configurable-http-proxy. One process on the Hub's side (the router, see
``remoteappmanager.jupyterhub.router``) reconciles the routes with the containers
whenever the Docker engine reports a change and every ``reconcile_interval`` seconds:
missing routes are added, stale ones removed. So a restart of the proxy, the Hub or a
user's service loses no application, and the proxy's token stays on the Hub's side,
out of the reach of users and their services.

Modes:

- ``gateway`` (default): the route leads to the owner's service (the target of the
  Hub's own route for ``/user/<name>/``), whose gateway checks every request and strips
  the user's credentials. While the service is not running there is no route, and the
  Hub offers to start the service.
- ``direct``: the route leads straight to the container, as in simphony-remote. It is
  the fastest, but nothing is authenticated: anyone who knows the URL reaches the app,
  and the app receives the user's cookies. For trusted sites only.

An app on its own origin (``ContainerService.app_origin``) gets a host route,
``/<url_id>.<host>``, instead of the path route: the proxy routes by host when the Hub
runs with ``subdomain_host`` (configurable-http-proxy's ``--host-routing``).

Route data carries ``remoteappmanager`` (the realm) and never ``jupyterhub``, so the
Hub leaves these routes alone.
"""

from __future__ import annotations

from typing import Any

from traitlets import Enum, Float, Instance, Unicode
from traitlets.config import LoggingConfigurable

from ..docker.container import Container
from ..proxy import ProxyClient

Route = tuple[str, dict[str, Any]]  # target, data


class RouteTable(LoggingConfigurable):
    """Adds the missing routes of running applications and removes the stale ones."""

    proxy = Instance(ProxyClient)

    realm = Unicode(help="The realm of the containers; routes of other realms are left alone.")

    mode = Enum(
        ["gateway", "direct"],
        "gateway",
        help="""Where the route of an application leads. 'gateway': to the owner's service,
        which lets only the owner in and strips the user's cookies. 'direct': straight to
        the container; faster, but UNAUTHENTICATED (anyone who knows the URL gets in and
        the app sees the user's cookies): for trusted sites only.""",
    ).tag(config=True)

    reconcile_interval = Float(
        10.0,
        help="""Seconds between two reconciliations of the routes with the containers
        (changes the Docker engine reports are reconciled at once).""",
    ).tag(config=True)

    def wanted(
        self, containers: list[Container], routes: dict[str, dict[str, Any]]
    ) -> dict[str, Route]:
        """The routes the running ``containers`` should have, by path."""
        services = {
            route["user"]: route["target"]
            for route in routes.values()
            if route.get("jupyterhub") and "user" in route and not route.get("server_name")
        }
        wanted: dict[str, Route] = {}
        for container in containers:
            if container.address is None or not container.urlpath:
                continue
            target = container.address if self.mode == "direct" else services.get(container.user)
            if target is None:
                continue  # the owner's service is not running
            data = {"remoteappmanager": self.realm, "owner": container.user}
            path = f"/{container.host_name}" if container.origin else container.urlpath
            wanted[path.rstrip("/")] = (target, {**data, "url_id": container.url_id})
        return wanted

    async def reconcile(self, containers: list[Container]) -> None:
        """Make the proxy's routes of the realm those of ``containers`` (all of the
        realm, as listed now)."""
        routes = await self.proxy.routes()
        wanted = self.wanted(containers, routes)
        ours = {
            path: route
            for path, route in routes.items()
            if route.get("remoteappmanager") == self.realm
        }
        for path in ours.keys() - wanted.keys():
            self.log.info("removing the route %s", path)
            await self.proxy.delete_route(path)
        for path, (target, data) in wanted.items():
            if ours.get(path, {}).get("target") != target:
                self.log.info("routing %s to %s", path, target)
                await self.proxy.add_route(path, target, data)
