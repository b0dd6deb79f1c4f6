"""Helpers and constants the tests share: paths of the checkout and of the console
scripts, the demo images' names, the label of the test images, `unavailable` (skip, or
fail in CI, when a service is missing), `built_images`, the `Proxy` handle,
`stop_router` and `wait_for`.

Fixtures and pytest hooks are in tests/conftest.py, which imports what it needs from here.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL_ENV = "REMOTEAPPMANAGER_TEST_POSTGRES_URL"
REMOTEAPPDB = str(Path(sys.executable).with_name("remoteappdb"))
ROUTER = Path(sys.executable).with_name("remoteappmanager-router")
TEST_LABEL = "org.remoteappmanager.test"
DEMO_WEBAPP = "remoteappmanager/demo-webapp:latest"
DEMO_DESKTOP = "remoteappmanager/demo-desktop:latest"
# The real applications of images/ (a noVNC desktop, JupyterLab): minutes to build.
REAL_DESKTOP = "remoteappmanager/desktop:latest"
REAL_JUPYTERLAB = "remoteappmanager/jupyterlab:latest"


def unavailable(reason: str) -> None:
    """Skip, or fail when CI asked for every service to be there."""
    if os.environ.get("REMOTEAPPMANAGER_TEST_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(f"SKIPPED, service missing: {reason}")


@contextmanager
def built_images(docker_engine: Any) -> Iterator[Callable[[Path, str, str], str]]:
    """``build(context, dockerfile, tag)``: an image from a Dockerfile's text in the
    folder ``context``; every image built is removed at the end."""
    made: list[str] = []

    def build(context: Path, dockerfile: str, tag: str) -> str:
        (context / "Dockerfile").write_text(dockerfile)
        docker_engine.images.build(path=str(context), tag=tag, rm=True)
        made.append(tag)
        return tag

    try:
        yield build
    finally:
        for tag in made:
            docker_engine.images.remove(tag, force=True)


@dataclass
class Proxy:
    """A configurable-http-proxy of our own, with no Hub."""

    url: str
    api_url: str
    token: str

    def routes(self) -> dict[str, Any]:
        response = requests.get(f"{self.api_url}/api/routes", headers=self.auth, timeout=10)
        response.raise_for_status()
        routes: dict[str, Any] = response.json()
        return routes

    def add(self, path: str, target: str, **data: Any) -> None:
        body = {"target": target, **data}
        url = f"{self.api_url}/api/routes{path}"
        requests.post(url, json=body, headers=self.auth, timeout=10).raise_for_status()

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}


def stop_router(process: subprocess.Popen[str]) -> None:
    """Stop the router as the Hub does; it must exit cleanly."""
    process.send_signal(signal.SIGTERM)
    _, errors = process.communicate(timeout=20)
    assert process.returncode == 0, errors


async def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"no {what} after {timeout:g} s"
        await asyncio.sleep(0.05)


def listening_ports(pid: int) -> list[int]:
    """The TCP ports process ``pid`` listens on (its sockets, matched in /proc/net)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    ports = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return sorted(ports)
