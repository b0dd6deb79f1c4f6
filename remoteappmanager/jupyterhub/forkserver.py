"""The fork server: one process that has imported the service once, and forks each
user's service from itself.

Imports are most of a service's start and much of its memory: tornado, SQLAlchemy,
the docker SDK, and JupyterHub's service auth, which brings the Hub's ORM, alembic
and aiohttp along. Forked from a process that holds them, a service starts without
importing anything, and its pages of those modules stay shared with every other
service until one writes to them (copy-on-write; `gc.freeze` keeps the collector
from writing to all of them).

The spawner starts the server (`ForkServer.start`) and talks to it over a socket
pair it made: no one else can ask it anything. A request is a JSON object (argv,
env, cwd and, for a spawner that runs services as the users, the unix user to
become), the answer the child's pid or why there is none. The server holds nothing
of any user, nor the Hub's environment: the child gets its environment, the Hub's
token for it among it, after the fork. (So /proc/<pid>/environ, which shows what a
process started with, shows the server's few variables for every service; the
spawner's state has each service's pid.) The server reaps its children (the Hub
polls them by pid, and a zombie would look alive) and ends when the spawner's end of
the socket closes.

Run as ``python -m remoteappmanager.jupyterhub.forkserver FD``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import json
import os
import pwd
import signal
import socket
import struct
import subprocess
import sys
import traceback
from typing import Any

# What a service imports, at its start or later (make_web_app, the database's and the
# engine's drivers): imported here once, so that no child imports it again.
PRELOAD = (
    "remoteappmanager.application",
    "jupyterhub.services.auth",
    "remoteappmanager.handlers.api",
    "remoteappmanager.handlers.gateway",
    "remoteappmanager.handlers.pages",
    "remoteappmanager.handlers.shared",
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.postgresql.psycopg",
    "tornado.simple_httpclient",
    "tornado.websocket",
    "docker.transport.unixconn",
)
# The server's own environment: what the interpreter needs, nothing of the Hub's (its
# proxy token, its crypt key). Every child starts with this block in its memory and
# in /proc/<pid>/environ, whatever it sets afterwards.
SERVER_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "PYTHONPATH", "TZ")
HEADER = struct.Struct(">I")
MAX_MESSAGE = 1 << 20


class ForkFailed(RuntimeError):
    """The server could not start the service; the message says why."""


def send(sock: socket.socket, message: dict[str, Any]) -> None:
    data = json.dumps(message).encode()
    sock.sendall(HEADER.pack(len(data)) + data)


def receive(sock: socket.socket) -> dict[str, Any] | None:
    """The next message, or None once the other end closed."""
    header = _read(sock, HEADER.size)
    if header is None:
        return None
    (length,) = HEADER.unpack(header)
    if length > MAX_MESSAGE:
        raise ForkFailed(f"a message of {length} bytes is too large")
    data = _read(sock, length)
    if data is None:
        return None
    message: dict[str, Any] = json.loads(data)
    return message


def _read(sock: socket.socket, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = sock.recv(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class ForkServer:
    """The spawner's side: starts the server, and asks it for services."""

    def __init__(self, process: subprocess.Popen[bytes], sock: socket.socket) -> None:
        self.process = process
        self.sock = sock
        self.lock = asyncio.Lock()  # one request at a time on the socket

    @classmethod
    def start(cls, python: str = sys.executable) -> ForkServer:
        ours, theirs = socket.socketpair()
        process = subprocess.Popen(
            [python, "-m", __name__, str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            env={key: os.environ[key] for key in SERVER_ENV if key in os.environ},
        )
        theirs.close()
        return cls(process, ours)

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    async def spawn(
        self, argv: list[str], env: dict[str, str], cwd: str, user: str | None = None
    ) -> int:
        """Fork a service: ``argv`` as its command line, ``env`` as its whole
        environment, in ``cwd``, as the unix ``user`` if given. Its pid."""
        request = {"argv": argv, "env": env, "cwd": cwd, "user": user}
        async with self.lock:
            loop = asyncio.get_running_loop()
            # Blocking, in a thread: a fork takes milliseconds, the first answer
            # waits for the server's imports.
            answer = await loop.run_in_executor(None, self._ask, request)
        if "pid" not in answer:
            raise ForkFailed(answer.get("error", "the fork server gave no pid"))
        pid: int = answer["pid"]
        return pid

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            send(self.sock, request)
            answer = receive(self.sock)
        except OSError as error:
            raise ForkFailed(f"the fork server does not answer: {error}") from None
        if answer is None:
            raise ForkFailed("the fork server has ended")
        return answer

    def close(self) -> None:
        """Ends the server (its services go on: each is a session of its own)."""
        self.sock.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# -- the server --


def serve(sock: socket.socket) -> None:
    for name in PRELOAD:
        # A driver this site may not have (psycopg without PostgreSQL) is imported
        # by no child either.
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    gc.collect()
    gc.freeze()  # the collector leaves what exists now alone: its pages stay shared
    signal.signal(signal.SIGCHLD, reap)
    while (request := receive(sock)) is not None:
        try:
            send(sock, {"pid": fork_service(request, sock)})
        except Exception as error:  # a bad request, or no fork possible
            send(sock, {"error": f"{type(error).__name__}: {error}"})


def reap(*_: object) -> None:
    """SIGCHLD: collect every child that ended."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def fork_service(request: dict[str, Any], sock: socket.socket) -> int:
    argv, env, cwd = request["argv"], request["env"], request["cwd"]
    user = request.get("user")
    if not (isinstance(argv, list) and isinstance(env, dict) and isinstance(cwd, str)):
        raise ValueError("argv, env and cwd are a list, an object and a string")
    account = pwd.getpwnam(user) if user else None  # before the fork: an error is said
    pid = os.fork()
    if pid:
        return pid
    code: Any = 1
    try:
        sock.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.setsid()  # its own session: the Hub's signals to the server do not reach it
        if account is not None:
            os.setgroups(os.getgrouplist(account.pw_name, account.pw_gid))
            os.setgid(account.pw_gid)
            os.setuid(account.pw_uid)
        os.chdir(cwd)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.environ.clear()
        os.environ.update(env)
        sys.argv = list(argv)
        from remoteappmanager.application import main

        main()
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])))
