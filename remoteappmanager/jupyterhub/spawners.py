"""Spawners that start one ``remoteappmanager`` service per JupyterHub user.

In ``jupyterhub_config.py``::

    c.JupyterHub.spawner_class = "remoteappmanager.jupyterhub.spawners.VirtualUserSpawner"
    c.VirtualUserSpawner.workspace_root = "/srv/remoteappmanager/workspaces"
    c.RemoteAppSpawner.config_file = "/etc/remoteappmanager/remoteappmanager_config.py"

The command is fixed here and by the Hub's administrator: ``user_options`` are
an allow-list that is empty, so a user can never choose the command, an image or
an admin mode.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from jupyterhub.spawner import LocalProcessSpawner
from traitlets import List, Unicode, default

from ..db.database import DB_URL_ENV
from ..naming import escape_name

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
        return await super().start()


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

    def user_env(self, env: dict[str, str]) -> dict[str, str]:
        env["USER"] = self.user.name
        env["HOME"] = str(self.workspace)
        return env

    async def move_certs(self, paths: Any) -> Any:
        return paths  # the service runs as the Hub's user: nothing to hand over


class SystemUserSpawner(RemoteAppSpawner):
    """For users with a unix account: the service runs as that user (it needs access to
    the Docker engine) and the user's home directory is the workspace."""

    def get_args(self) -> list[str]:
        return ["--ContainerService.home_is_workspace=True", *super().get_args()]
