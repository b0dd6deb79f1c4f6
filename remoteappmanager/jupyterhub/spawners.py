"""Spawners that start one ``remoteappmanager`` service per JupyterHub user.

In ``jupyterhub_config.py``::

    c.JupyterHub.spawner_class = "remoteappmanager.jupyterhub.spawners.VirtualUserSpawner"
    c.VirtualUserSpawner.workspace_root = "/srv/remoteappmanager/workspaces"
    c.RemoteAppSpawner.config_file = "/etc/remoteappmanager/remoteappmanager_config.py"

The command is fixed here and by the Hub's administrator: ``user_options`` are
an allow-list that is empty, so a user can never choose the command, an image or
an admin mode.

By default a service is forked from the fork server (forkserver.py), a process
that has imported the service already: it starts at once, and shares those imports'
memory with the other services. With ``c.RemoteAppSpawner.fork_server = False``
each service runs ``cmd`` as a process of its own, as JupyterHub's spawners do.
"""

from __future__ import annotations

import os
import pwd
import sys
from pathlib import Path
from typing import Any

from jupyterhub.spawner import LocalProcessSpawner
from jupyterhub.utils import random_port
from traitlets import Bool, List, Unicode, default

from ..db.database import DB_URL_ENV
from ..naming import escape_name
from .forkserver import ForkServer

DOCKER_ENV = ("DOCKER_HOST", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")


class RemoteAppSpawner(LocalProcessSpawner):
    """Starts the remoteappmanager service as a local process."""

    config_file = Unicode(
        help="remoteappmanager_config.py for the services (given as --config).",
    ).tag(config=True)

    db_url = Unicode(
        help=f"The app database URL given to the services. Default: the Hub's ${DB_URL_ENV}.",
    ).tag(config=True)

    allowed_user_options = List(
        Unicode(),
        [],
        help="""Names of user_options passed on to the service. Empty: the service's
        command, image and mode are never the user's choice.""",
    ).tag(config=True)

    fork_server = Bool(
        True,
        help="""Fork each service from one process that has imported the service
        already (its start takes milliseconds, and the imports' memory is shared
        between services), instead of running ``cmd``, which is then unused.""",
    ).tag(config=True)

    # The Hub's one fork server, started with the first service.
    _fork_server: ForkServer | None = None

    @default("cmd")
    def _cmd_default(self) -> list[str]:
        return [str(Path(sys.executable).with_name("remoteappmanager"))]

    @default("db_url")
    def _db_url_default(self) -> str:
        return os.environ.get(DB_URL_ENV, "")

    def get_args(self) -> list[str]:
        args = [f"--config={self.config_file}"] if self.config_file else []
        return args + list(self.args)

    def get_env(self) -> dict[str, str]:
        env: dict[str, str] = super().get_env()
        if self.db_url:
            env[DB_URL_ENV] = self.db_url
        # Docker settings of the Hub's own environment, and nothing else of it.
        env.update({key: os.environ[key] for key in DOCKER_ENV if key in os.environ})
        return env

    async def start(self) -> Any:
        options: dict[str, Any] = dict(getattr(self, "user_options", None) or {})
        ignored = sorted(set(options) - set(self.allowed_user_options))
        if ignored:
            self.log.warning("ignoring user_options of %s: %s", self.user.name, ", ".join(ignored))
        self.user_options = {k: v for k, v in options.items() if k in self.allowed_user_options}
        if not self.fork_server:
            return await super().start()
        if not self.port:  # type: ignore[has-type]
            self.port = random_port()
        if self.cmd != self._cmd_default():
            self.log.warning("the spawner's cmd is not run: set fork_server = False to run it")
        env = self.get_env()  # after the port: JUPYTERHUB_SERVICE_URL names it
        cwd, account = self.where_to_run()
        argv = [*self.cmd, *self.get_args()]
        self.log.info("Forking %s for %s", " ".join(argv), self.user.name)
        self.pid = await self.fork_server_of_hub().spawn(argv, env, cwd, account)
        return (self.ip or "127.0.0.1", self.port)

    def where_to_run(self) -> tuple[str, str | None]:
        """The directory a forked service starts in, and the unix user it runs as
        (None: the Hub's): the user's home, as the user, like LocalProcessSpawner."""
        return pwd.getpwnam(self.user.name).pw_dir, self.user.name

    @staticmethod
    def fork_server_of_hub() -> ForkServer:
        server = RemoteAppSpawner._fork_server
        if server is None or not server.running:
            server = RemoteAppSpawner._fork_server = ForkServer.start()
        return server


class VirtualUserSpawner(RemoteAppSpawner):
    """For users without a unix account: the service runs as the Hub's own user, and
    each user gets a workspace directory under ``workspace_root``."""

    workspace_root = Unicode(
        help="Directory holding one workspace per user, named safely from the user name.",
    ).tag(config=True)

    @default("workspace_root")
    def _workspace_root_default(self) -> str:
        return str(Path(sys.prefix, "var", "remoteappmanager", "workspaces"))

    @property
    def workspace(self) -> Path:
        return Path(self.workspace_root, escape_name(self.user.name))

    def get_args(self) -> list[str]:
        return [f"--ContainerService.workspace_root={self.workspace_root}", *super().get_args()]

    def make_preexec_fn(self, name: str) -> Any:
        workspace = self.workspace

        def in_workspace() -> None:  # no setuid: there is no unix user to become
            workspace.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chdir(workspace)

        return in_workspace

    def where_to_run(self) -> tuple[str, str | None]:
        self.workspace.mkdir(mode=0o700, parents=True, exist_ok=True)
        return str(self.workspace), None

    def user_env(self, env: dict[str, str]) -> dict[str, str]:
        env["USER"] = self.user.name
        env["HOME"] = str(self.workspace)
        return env

    async def move_certs(self, paths: Any) -> Any:
        return paths  # the service runs as the Hub's user: nothing to hand over


class SystemUserSpawner(RemoteAppSpawner):
    """For users with a unix account: the service runs as that user (it needs access to
    the Docker engine) and the user's home directory is the workspace."""

    @default("fork_server")
    def _fork_server_default(self) -> bool:
        # A forked service would import what it imports late as the user, from the
        # Hub's interpreter and packages, which may live where the users cannot go.
        return False

    def get_args(self) -> list[str]:
        return ["--ContainerService.home_is_workspace=True", *super().get_args()]
