"""SECURITY-TESTS 29: the Docker engine stops in the middle of a start.

This stops the real dockerd and starts it again, so it runs only where the
environment says how: ``$REMOTEAPPMANAGER_TEST_RESTART_DOCKERD`` names the command
that starts the engine (``.ci/run`` sets it to ``.ci/dockerd``). It runs after
every other test (see ``conftest.py``).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from remoteappmanager.errors import Unavailable
from remoteappmanager.services.containers import ContainerService

from .support import DEMO_WEBAPP, Proxy, stop_router, unavailable, wait_for

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.engine_restart]


@pytest.fixture
def restart_engine() -> str:
    command = os.environ.get("REMOTEAPPMANAGER_TEST_RESTART_DOCKERD")
    if not command:
        unavailable("$REMOTEAPPMANAGER_TEST_RESTART_DOCKERD does not say how to restart dockerd")
    assert command is not None
    return command


@pytest.fixture
def slow_image(demo_images: Any, docker_engine: Any, tmp_path: Path) -> Iterator[str]:
    """The demo web app, answering only after 3 s."""
    (tmp_path / "Dockerfile").write_text(
        f"FROM {DEMO_WEBAPP}\n"
        'ENTRYPOINT ["/bin/sh", "-c", "sleep 3; exec /bin/sh /opt/demo/entrypoint.sh"]\n'
    )
    tag = "remoteappmanager-test/slow:latest"
    docker_engine.images.build(path=str(tmp_path), tag=tag, rm=True)
    yield tag
    docker_engine.images.remove(tag, force=True)


def stop_dockerd() -> None:
    pids = subprocess.run(["pgrep", "-x", "dockerd"], capture_output=True, text=True).stdout.split()
    assert len(pids) == 1, f"expected one dockerd, found {pids}"
    pid = int(pids[0])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 60
    while Path(f"/proc/{pid}").exists():
        assert time.monotonic() < deadline, "dockerd did not stop within 60 s"
        time.sleep(0.2)


async def test_the_engine_stopping_during_a_start_gives_a_clear_error_and_a_retry_works(
    containers: ContainerService,
    grant: Callable[..., str],
    slow_image: str,
    docker_engine: Any,
    restart_engine: str,
    demo_images: Any,
    proxy: Proxy,
    router: Callable[..., subprocess.Popen[str]],
) -> None:
    """And SECURITY-TESTS 33: after the restart, ports are handed out again; neither
    the gateway's route to bob's old app nor a proxy route of the router in direct
    mode (straight to the port) may lead to alice's new one."""
    started_router = router(containers.index.realm, "c.RouteTable.mode = 'direct'")
    bobs, _ = await containers.start("bob", grant("bob", DEMO_WEBAPP))
    bobs_path = bobs.urlpath.rstrip("/")
    await wait_for(lambda: bobs_path in proxy.routes(), "direct route of bob's app")
    assert proxy.routes()[bobs_path]["target"] == bobs.address
    for _ in range(100):  # the gateway's route to bob's app, remembered
        if (
            containers.index._watching
            and (await containers.index.route(bobs.url_id, "bob")) == bobs
        ):
            break
        await asyncio.sleep(0.05)
    assert (await containers.index.route(bobs.url_id, "bob")) == bobs

    mapping_id = grant("alice", slow_image)
    start = asyncio.ensure_future(containers.start("alice", mapping_id))
    for _ in range(100):
        await asyncio.sleep(0.05)
        if await containers.index.list_for_user("alice"):
            break
    try:
        await asyncio.to_thread(stop_dockerd)
        began = time.monotonic()
        with pytest.raises(Unavailable, match="Docker engine"):
            await asyncio.wait_for(start, timeout=60)
        assert time.monotonic() - began < containers.start_timeout
    finally:
        subprocess.run([restart_engine], check=True, timeout=120)

    # Nothing is taken for running; the same start works again.
    assert not any(c.running for c in await containers.index.list_for_user("alice"))
    container, created = await containers.start("alice", mapping_id)
    assert created and container.running
    with urllib.request.urlopen(f"{container.address}{container.urlpath}", timeout=10) as page:
        assert page.status == 200
    routed = await containers.index.route(bobs.url_id, "bob")
    assert routed is not None and routed.address is None  # stopped: the gateway says 404
    for _ in range(100):  # the event stream opens again once the engine is back
        if containers.index._watching:
            break
        await asyncio.sleep(0.1)
    assert containers.index._watching

    # The router saw the engine come back: bob's route is gone, alice's leads to her.
    alices_path = container.urlpath.rstrip("/")
    await wait_for(lambda: bobs_path not in proxy.routes(), "removal of bob's route")
    await wait_for(lambda: alices_path in proxy.routes(), "route of alice's app")
    assert proxy.routes()[alices_path]["target"] == container.address
    stop_router(started_router)
