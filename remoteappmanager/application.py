"""`remoteappmanager`: the service JupyterHub starts for each user.

It reads its settings from ``remoteappmanager_config.py`` (``c.Class.trait = ...``)
and from what the Hub's spawner puts in the environment (``JUPYTERHUB_*``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tornado import web
from tornado.httpserver import HTTPServer
from traitlets import Bool, Unicode, default, validate
from traitlets.config import Application

from . import __version__
from .db import Database
from .docker import DockerClient
from .errors import RemoteAppError
from .services.containers import ContainerService


def jupyterhub_version() -> str:
    try:
        return version("jupyterhub")
    except PackageNotFoundError:
        return "unknown"


class HubProbeHandler(web.RequestHandler):
    """``{prefix}api``: the Hub asks here whether the service is up."""

    def get(self) -> None:
        self.set_header("X-JupyterHub-Version", jupyterhub_version())
        self.finish({"version": __version__})


class RemoteAppManager(Application):
    """The per-user service: dashboard, REST API and gateway to the user's apps."""

    name = "remoteappmanager"
    version = __version__
    description = """The per-user service of remoteappmanager. JupyterHub starts one for
    each user; it reads its settings from remoteappmanager_config.py and from the
    JUPYTERHUB_* environment the Hub's spawner provides."""
    examples = """
    remoteappmanager --generate-config         write remoteappmanager_config.py
    remoteappmanager --config=/etc/remoteappmanager/remoteappmanager_config.py
    """

    classes = [Database, DockerClient, ContainerService]
    aliases = {
        "config": "RemoteAppManager.config_file",
        "db": "Database.url",
        "log-level": "Application.log_level",
    }
    flags = {
        **Application.flags,
        "generate-config": (
            {"RemoteAppManager": {"generate_config": True}},
            "Write a configuration file with every option, commented out, and exit.",
        ),
    }

    config_file = Unicode(
        "remoteappmanager_config.py",
        help="The configuration file to load (and to write with --generate-config).",
    ).tag(config=True)

    generate_config = Bool(
        False, help="Write a configuration file with every option and exit."
    ).tag(config=True)

    user = Unicode(
        help="The JupyterHub user who owns this service. Default: $JUPYTERHUB_USER."
    ).tag(config=True)

    hub_api_url = Unicode(help="URL of the Hub's REST API. Default: $JUPYTERHUB_API_URL.").tag(
        config=True
    )

    service_url = Unicode(
        help="Where this service listens, e.g. http://127.0.0.1:8888/user/alice/. "
        "Default: $JUPYTERHUB_SERVICE_URL."
    ).tag(config=True)

    base_url = Unicode(
        help="The URL path this service answers under, ending in '/'. "
        "Default: $JUPYTERHUB_SERVICE_PREFIX, else the path of service_url."
    ).tag(config=True)

    @default("log_level")
    def _log_level_default(self) -> int:
        return logging.INFO

    @default("user")
    def _user_default(self) -> str:
        return os.environ.get("JUPYTERHUB_USER", "")

    @default("hub_api_url")
    def _hub_api_url_default(self) -> str:
        return os.environ.get("JUPYTERHUB_API_URL", "http://127.0.0.1:8081/hub/api")

    @default("service_url")
    def _service_url_default(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:8888/")

    @default("base_url")
    def _base_url_default(self) -> str:
        return os.environ.get("JUPYTERHUB_SERVICE_PREFIX") or urlsplit(self.service_url).path

    @validate("base_url")
    def _base_url_slashes(self, proposal: Any) -> str:
        path = "/" + str(proposal["value"]).strip("/") + "/"
        return "/" if path == "//" else path

    def initialize(self, argv: list[str] | None = None) -> None:
        super().initialize(argv)
        if self.generate_config:
            return
        if Path(self.config_file).exists():
            self.load_config_file(self.config_file)
        self.database = Database(parent=self)

    def write_config_file(self) -> None:
        path = Path(self.config_file)
        if path.exists():
            self.exit_with_error(f"{path} exists already: move it away first")
        path.write_text(self.generate_config_file())
        print(f"wrote the configuration file {path.resolve()}")

    def make_web_app(self) -> web.Application:
        return web.Application(
            [(rf"{self.base_url}api", HubProbeHandler)], log_function=self._log_request
        )

    def _log_request(self, handler: web.RequestHandler) -> None:
        status = handler.get_status()
        log = self.log.debug if status < 400 else self.log.warning
        request = handler.request
        log("%d %s %s %.1f ms", status, request.method, request.path, 1000 * request.request_time())

    def start(self) -> None:
        if self.generate_config:
            self.write_config_file()
            return
        try:
            self.database.check_schema()
        except RemoteAppError as error:
            self.exit_with_error(error.message)
        asyncio.run(self.serve())

    async def serve(self) -> None:
        url = urlsplit(self.service_url)
        server = HTTPServer(self.make_web_app(), xheaders=True)
        server.listen(url.port or 80, url.hostname or "127.0.0.1")
        self.log.info("%s serves %s on %s", self.name, self.user or "(no user)", self.service_url)
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        # The Hub stops its servers with SIGINT, then SIGTERM.
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopped.set)
        await stopped.wait()
        self.log.info("stopping")
        server.stop()
        await server.close_all_connections()
        self.database.dispose()

    def exit_with_error(self, message: str) -> None:
        print(f"{self.name}: error: {message}", file=sys.stderr)
        self.exit(1)


main = RemoteAppManager.launch_instance
