"""`remoteappmanager-router`: keeps the proxy's routes of the applications in step with
their containers (see `remoteappmanager.services.routes`).

It runs once per site on the Hub's side, as a JupyterHub managed service (see
``deploy/jupyterhub_config.py``), because it holds the proxy's token: the users'
services never do.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from contextlib import suppress
from pathlib import Path

from traitlets import Unicode, default
from traitlets.config import Application

from .. import __version__
from ..docker import DockerClient
from ..errors import RemoteAppError
from ..proxy import ProxyClient
from ..services.container_index import ContainerIndex
from ..services.routes import RouteTable


class Router(Application):
    """Adds and removes the proxy routes of the applications of every user."""

    name = "remoteappmanager-router"
    version = __version__
    description = """Keeps configurable-http-proxy's routes of the applications in step with
    their containers: a route for each running application, none for the others. Run it
    once per site, next to the Hub, with the proxy's API in $CONFIGPROXY_API_URL and
    $CONFIGPROXY_AUTH_TOKEN and the services' remoteappmanager_config.py as --config
    (for the realm, the Docker engine and the RouteTable options)."""

    classes = [DockerClient, ContainerIndex, ProxyClient, RouteTable]
    aliases = {"config": "Router.config_file", "log-level": "Application.log_level"}

    config_file = Unicode(
        help="remoteappmanager_config.py to read (the one the users' services read)."
    ).tag(config=True)

    @default("log_level")
    def _log_level_default(self) -> int:
        return logging.INFO

    def initialize(self, argv: list[str] | None = None) -> None:
        super().initialize(argv)
        if self.config_file:
            if not Path(self.config_file).exists():
                self.exit_with_error(f"{self.config_file} does not exist")
            self.load_config_file(self.config_file)
        self.index = ContainerIndex(parent=self, docker=DockerClient(parent=self))
        proxy = ProxyClient(parent=self)
        if not proxy.configured:
            self.exit_with_error(
                "the proxy's API is not configured: set CONFIGPROXY_API_URL and "
                "CONFIGPROXY_AUTH_TOKEN"
            )
        self.routes = RouteTable(parent=self, proxy=proxy, realm=self.index.realm)

    def start(self) -> None:
        asyncio.run(self.run())

    async def run(self) -> None:
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopped.set)
        changed = asyncio.Event()
        self.index.on_change(changed.set)
        self.log.info(
            "routing the applications of realm %s (%s mode) through %s",
            self.routes.realm,
            self.routes.mode,
            self.routes.proxy.api_url,
        )

        async def keep_in_step() -> None:
            while True:
                changed.clear()
                await self.reconcile()
                with suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), self.routes.reconcile_interval)

        task = asyncio.ensure_future(keep_in_step())
        await stopped.wait()
        task.cancel()
        self.log.info("stopping")

    async def reconcile(self) -> None:
        try:
            await self.routes.reconcile(await self.index.list_all())
        except RemoteAppError as error:
            # The proxy or the engine is away; the next round tries again.
            self.log.warning("could not reconcile the routes: %s", error.log_message)

    def exit_with_error(self, message: str) -> None:
        print(f"{self.name}: error: {message}", file=sys.stderr)
        self.exit(1)


main = Router.launch_instance
