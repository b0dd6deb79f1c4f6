"""The fork server (remoteappmanager/jupyterhub/forkserver.py) on its own: what a
forked service starts with, and what the server does with bad requests and ended
children. Every test of the whole site runs its services through it as well (the
deployment's VirtualUserSpawner forks them)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from remoteappmanager.jupyterhub.forkserver import ForkFailed, ForkServer

from .support import wait_for

# A configuration file that writes down what the service started with, then ends it.
SEEN = """
import json, os, sys
with open("seen.json", "w") as seen:
    json.dump({
        "env": dict(os.environ),
        "cwd": os.getcwd(),
        "session": os.getsid(0) == os.getpid(),
        "stdin": os.readlink("/proc/self/fd/0"),
        "argv": sys.argv,
        "imported": "jupyterhub.services.auth" in sys.modules,
    }, seen)
sys.exit(0)
"""


@pytest.fixture
def server() -> Iterator[ForkServer]:
    started = ForkServer.start()
    yield started
    started.close()


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def test_a_service_starts_where_and_with_what_it_is_given_alone(
    server: ForkServer, tmp_path: Path
) -> None:
    (tmp_path / "config.py").write_text(SEEN)
    env = {"PATH": "/usr/bin:/bin", "JUPYTERHUB_USER": "alice", "ONLY": "this"}
    argv = ["remoteappmanager", "--config=config.py"]
    pid = await server.spawn(argv, env, str(tmp_path))
    seen_file = tmp_path / "seen.json"
    await wait_for(seen_file.exists, timeout=30, what="the forked service's record")
    await wait_for(lambda: gone(pid), timeout=30, what="the forked service to end and be reaped")
    seen = json.loads(seen_file.read_text())
    assert seen["env"] == env  # nothing of the server's (the test's) environment
    assert seen["cwd"] == str(tmp_path)
    assert seen["session"] is True  # its own session: the Hub's signals to the server miss it
    assert seen["stdin"] == os.devnull
    assert seen["argv"] == argv
    assert seen["imported"] is True  # the server's imports, not its own


async def test_a_bad_request_is_refused_with_a_reason_and_the_server_goes_on(
    server: ForkServer, tmp_path: Path
) -> None:
    with pytest.raises(ForkFailed, match=r"KeyError.*no-such-user-here"):
        await server.spawn(["remoteappmanager"], {}, str(tmp_path), user="no-such-user-here")
    (tmp_path / "config.py").write_text(SEEN)
    pid = await server.spawn(["remoteappmanager", "--config=config.py"], {}, str(tmp_path))
    await wait_for(lambda: gone(pid), timeout=30, what="the second service to end")
    assert (tmp_path / "seen.json").exists()


async def test_many_services_start_and_every_ended_one_is_reaped(
    server: ForkServer, tmp_path: Path
) -> None:
    """A child the server did not reap would stay a zombie, which the Hub's poll (a
    signal 0 to its pid) takes for a running service."""
    (tmp_path / "config.py").write_text(SEEN)
    began = time.monotonic()
    pids = [
        await server.spawn(["remoteappmanager", "--config=config.py"], {}, str(tmp_path))
        for _ in range(10)
    ]
    print(f"10 forks in {time.monotonic() - began:.2f} s (the first waits for the imports)")
    assert len(set(pids)) == 10
    await wait_for(lambda: all(gone(pid) for pid in pids), timeout=60, what="every child reaped")


def test_closing_the_socket_ends_the_server(tmp_path: Path) -> None:
    started = ForkServer.start()
    assert started.running
    started.close()
    assert not started.running
