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
from traitlets import Bool, Dict, Int, List, Unicode, default, validate
from traitlets.config import Application

from . import __version__
from .db import Database
from .docker import DockerClient
from .errors import RemoteAppError
from .handlers.security_headers import set_security_headers
from .services.activity import ActivityReporter
from .services.app_sessions import AppSessions
from .services.catalogue import ensure_user
from .services.container_index import ContainerIndex
from .services.containers import ContainerService
from .services.culler import Culler
from .services.events import EventStream
from .services.login_sessions import LoginSessions
from .services.policy import GrantPolicy, Policy
from .services.running import RunningApps
from .services.sharing import Sharing


def jupyterhub_version() -> str:
    try:
        return version("jupyterhub")
    except PackageNotFoundError:
        return "unknown"


class HubProbeHandler(web.RequestHandler):
    """``{prefix}api``: the Hub asks here whether the service is up."""

    def set_default_headers(self) -> None:
        set_security_headers(self)

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

    classes = [
        Database,
        DockerClient,
        ContainerIndex,
        ContainerService,
        Policy,
        AppSessions,
        ActivityReporter,
        Culler,
        Sharing,
    ]
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

    auto_user_creation = Bool(
        True,
        help="""Give a Hub user whom the app database does not know a database user when
        their service starts (with no grants but the demo applications).""",
    ).tag(config=True)

    admin_groups = List(
        Unicode(),
        help="""Members of these JupyterHub groups are administrators here, besides the
        users the Hub itself says are admins. Checked at every admin request (the Hub's
        answer is cached for a minute).""",
    ).tag(config=True)

    demo_applications = Dict(
        help="""Applications granted to every user when their service starts, as
        {image: policy options}, e.g. {"simphony/paraview": {"allow_home": True,
        "volume": "/srv/data:/data:ro"}}. Options: allow_home, allow_view,
        allow_startup_data, volume, app_license.""",
    ).tag(config=True)

    admin_login_max_age = Int(
        1800,
        help="""Seconds after logging in to the Hub during which an admin may change the
        site from a browser (the admin page); later, a change is refused (403) until
        they log in again, which the answer links to. Reading is never refused, and
        API tokens (remoteapprest) are not browser sessions. 0: no bound. The login's
        time is when this service first saw the Hub session, kept in memory: a restart
        of the service starts the clock again.""",
    ).tag(config=True)

    gateway_max_body_size = Int(
        1024**3,
        help="""Bytes a request body to an application may have (uploads); it is streamed
        to the app, never held whole, and read only once the request is authorized.""",
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
        # Tornado's own messages (tracebacks of failed requests) go to our log.
        tornado_log = logging.getLogger("tornado")
        tornado_log.parent = self.log
        tornado_log.propagate = True
        if self.generate_config:
            return
        if Path(self.config_file).exists():
            self.load_config_file(self.config_file)
        self.database = Database(parent=self)
        self.container_service = ContainerService(
            parent=self, database=self.database, docker=DockerClient(parent=self)
        )

    def write_config_file(self) -> None:
        path = Path(self.config_file)
        if path.exists():
            self.exit_with_error(f"{path} exists already: move it away first")
        path.write_text(self.generate_config_file())
        print(f"wrote the configuration file {path.resolve()}")

    def prepare_owner(self) -> None:
        """The owner's database user and demo grants, as configured."""
        if not self.user or not (self.auto_user_creation or self.demo_applications):
            return
        demo = {
            image: GrantPolicy.from_json(options)
            for image, options in self.demo_applications.items()
        }
        for policy in demo.values():
            if policy.volume:  # site configuration too, but still within c.Policy's roots
                self.container_service.check_volume(policy.volume)
        ensure_user(self.database, self.user, demo, create=self.auto_user_creation)

    def make_web_app(self) -> web.Application:
        # Imported here: the Hub's auth module is heavy, and --help needs none of it.
        from jupyterhub.services.auth import HubOAuth, HubOAuthCallbackHandler

        from .handlers.api import api_routes
        from .handlers.gateway import app_origin_routes, gateway_routes
        from .handlers.pages import page_routes
        from .handlers.shared import shared_routes

        # The one instance: the Hub's callback handler finds it with HubOAuth.instance().
        hub_auth = HubOAuth.instance(parent=self, base_url=self.base_url, cache_max_age=60)
        # The owner's apps, as the engine's events change them: the culler, the
        # sharing and the dashboard's event stream follow them.
        running = RunningApps(self.container_service.index, self.user)
        events = EventStream()
        running.on_change(events.containers_changed)
        self.culler = Culler(
            running,
            events,
            self.user,
            parent=self,
            database=self.database,
            containers=self.container_service,
        )
        self.sharing = Sharing(
            running,
            events,
            self.user,
            parent=self,
            database=self.database,
            containers=self.container_service,
        )
        app_sessions = AppSessions(parent=self)
        self.sharing.on_end(app_sessions.end_share)
        routes: list[Any] = [
            (rf"{self.base_url}api", HubProbeHandler),
            (rf"{self.base_url}oauth_callback", HubOAuthCallbackHandler),
            *api_routes(self.base_url),
            *gateway_routes(self.base_url),
            *page_routes(self.base_url),
            *shared_routes(self.base_url),
        ]
        public = urlsplit(self.container_service.public_url)
        settings = {
            "hub_auth": hub_auth,
            "app_sessions": app_sessions,
            "public_origin": f"{public.scheme}://{public.netloc}" if public.netloc else "",
            "gateway_max_body_size": self.gateway_max_body_size,
            "owner": self.user,
            "base_url": self.base_url,
            "container_service": self.container_service,
            "database": self.database,
            "hub_url": f"{self.container_service.hub_prefix.rstrip('/')}/hub/",
            "admin_groups": frozenset(self.admin_groups),
            "admin_login_max_age": self.admin_login_max_age,
            "login_sessions": LoginSessions(),
            "activity": ActivityReporter(parent=self),
            "culler": self.culler,
            "sharing": self.sharing,
            "events": events,
            "log": self.log,
            "cookie_secret": os.urandom(32),
            "login_url": hub_auth.login_url,
            "xsrf_cookies": False,  # HubOAuth checks XSRF itself (see handlers/base.py)
            "log_function": self._log_request,
        }
        app = web.Application(routes, **settings)
        if self.container_service.app_origin:
            # Checked before the routes above: on an app's origin, only the app.
            app.add_handlers(self.container_service.app_host_pattern().pattern, app_origin_routes())
        return app

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
            self.container_service.app_host_pattern()  # a bad app_origin fails here
            self.database.check_schema()
            self.prepare_owner()
        except RemoteAppError as error:
            self.exit_with_error(error.message)
        asyncio.run(self.serve())

    async def serve(self) -> None:
        from .handlers.base import MAX_JSON_BODY

        url = urlsplit(self.service_url)
        # No handler reads a body larger than the API's before it has checked the
        # caller; the gateway raises the bound for the requests it forwards.
        server = HTTPServer(self.make_web_app(), xheaders=True, max_body_size=MAX_JSON_BODY)
        server.listen(url.port or 80, url.hostname or "127.0.0.1")
        if self.user:
            self.culler.start()
            self.sharing.start()
        self.log.info("%s serves %s on %s", self.name, self.user or "(no user)", self.service_url)
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        # The Hub stops its servers with SIGINT, then SIGTERM.
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopped.set)
        await stopped.wait()
        self.log.info("stopping")
        server.stop()
        await self.culler.close()
        await self.sharing.close()
        await server.close_all_connections()
        self.database.dispose()

    def exit_with_error(self, message: str) -> None:
        print(f"{self.name}: error: {message}", file=sys.stderr)
        self.exit(1)


main = RemoteAppManager.launch_instance
