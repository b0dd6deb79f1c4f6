"""The entry point of the hub image (Dockerfile-ubuntu).

``docker run IMAGE [JUPYTERHUB OPTIONS...]``:

1. checks that the Hub's user may use the Docker socket (it needs the socket's group:
   ``--group-add``), and may write its state directory and the workspaces;
2. makes the app database ready: ``remoteappdb db init`` when it is new,
   ``remoteappdb db upgrade`` otherwise (which changes nothing when it is up to date),
   waiting up to ``$REMOTEAPPMANAGER_DB_WAIT`` seconds (60) for a database server
   that is still starting;
3. runs JupyterHub with ``jupyterhub_config.py`` beside this file.

``docker run IMAGE COMMAND [ARGS...]`` (a first argument not starting with ``-``)
runs that command instead, e.g. ``remoteappdb user list``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from remoteappmanager.db import Database
from remoteappmanager.errors import DatabaseUnavailable, SchemaMismatch

HUB_CONFIG = Path(__file__).resolve().with_name("jupyterhub_config.py")
BIN = Path(sys.executable).parent  # the virtual environment's: jupyterhub, remoteappdb
STATE = Path(os.environ.get("REMOTEAPPMANAGER_HUB_STATE", "/var/lib/remoteappmanager"))
WORKSPACES_ENV = "REMOTEAPPMANAGER_WORKSPACES"


def say(message: str) -> None:
    print(f"hub image: {message}", file=sys.stderr, flush=True)


def fail(message: str) -> None:
    say(message)
    sys.exit(1)


def who() -> str:
    return f"uid {os.getuid()} (groups {', '.join(map(str, os.getgroups()))})"


def check_docker_socket() -> None:
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        return  # a TCP engine: DOCKER_TLS_VERIFY and DOCKER_CERT_PATH say how
    socket = Path(host.removeprefix("unix://"))
    if not socket.exists():
        fail(f"no Docker socket at {socket}: mount the host's (-v /var/run/docker.sock:{socket})")
    if not os.access(socket, os.R_OK | os.W_OK):
        group = socket.stat().st_gid
        fail(
            f"{who()} may not use the Docker socket {socket}, which belongs to group "
            f"{group}: run the container with --group-add {group} (docker compose: "
            f"DOCKER_GID={group})"
        )


def check_directory(path: Path, what: str, hint: str) -> None:
    if not path.is_dir():
        fail(f"the {what} {path} is not there: {hint}")
    if not os.access(path, os.W_OK | os.X_OK):
        fail(
            f"{who()} may not write to the {what} {path}: on the host, "
            f"`chown {os.getuid()}:{os.getgid()}` it (or the volume it is on)"
        )


def database_is_new(database: Database, wait: float) -> bool:
    """Whether the app database holds no schema yet; waits for a server that does
    not answer yet (a PostgreSQL started beside the Hub may still be starting)."""
    deadline = time.monotonic() + wait
    delay = 0.5
    while True:
        try:
            return database.current_revision() is None
        except SchemaMismatch:  # a SQLite file that is not there yet
            return True
        except DatabaseUnavailable as error:
            if time.monotonic() + delay > deadline:
                fail(f"{error.message} (waited {wait:g} s)")
            say(f"waiting for the database: {error.message}")
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
        finally:
            database.dispose()


def prepare_database() -> None:
    database = Database()  # $REMOTEAPPMANAGER_DB_URL, as for remoteappdb and the services
    wait = float(os.environ.get("REMOTEAPPMANAGER_DB_WAIT", "60"))
    command = "init" if database_is_new(database, wait) else "upgrade"
    # The same commands an administrator runs, with their messages in the log.
    if subprocess.run([str(BIN / "remoteappdb"), "db", command]).returncode != 0:
        fail(f"`remoteappdb db {command}` failed on {database.display_url}")


def main(argv: list[str]) -> None:
    if argv and not argv[0].startswith("-"):
        os.execvp(argv[0], argv)
    check_docker_socket()
    check_directory(STATE, "state directory", "mount a volume there")
    workspaces = Path(os.environ.get(WORKSPACES_ENV, "/srv/remoteappmanager/workspaces"))
    check_directory(
        workspaces,
        f"workspaces directory (${WORKSPACES_ENV})",
        f"mount the host's directory at the same path (-v {workspaces}:{workspaces}): "
        "the Docker engine finds the workspaces of application containers on the host",
    )
    prepare_database()
    os.chdir(STATE)
    jupyterhub = BIN / "jupyterhub"
    # exec: JupyterHub gets the signals of `docker stop` (through tini) directly.
    os.execv(jupyterhub, [str(jupyterhub), "-f", str(HUB_CONFIG), *argv])


if __name__ == "__main__":
    main(sys.argv[1:])
