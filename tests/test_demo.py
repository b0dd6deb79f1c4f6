"""`make demo` the way a newcomer runs it: in a fresh copy of the repository (its own
virtual environment, node_modules and .demo/), in the background; the Hub comes up,
alice logs in through the proxy, starts the demo web app and reads its page; then
Ctrl-C, and nothing of the demo is left: no process, no container.

Slow: the first `make demo` of a copy installs the package and its dependencies.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from remoteappmanager.docker.container import REALM_LABEL

from .hub import Hub, free_port, login, open_server, resolve_localhost_subdomains
from .support import ROOT, TEST_LABEL

pytestmark = [pytest.mark.docker, pytest.mark.slow]

START_TIMEOUT = 900  # a first run installs everything from PyPI and npm


def fresh_copy(target: Path) -> None:
    """The repository's files as a clone would have them, uncommitted changes included."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / name.decode()
        if source.is_file():
            destination = target / name.decode()
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)


def ports() -> int:
    """A port P with P, P + 1 and P + 81 free (the Hub, the proxy's API, the Hub's API)."""
    while True:
        port = free_port()
        if port + 81 < 65536 and all(free(p) for p in (port + 1, port + 81)):
            return port


def free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


@dataclass
class Demo:
    process: subprocess.Popen[bytes]
    copy: Path
    port: int
    realm: str


@pytest.fixture
def demo(tmp_path: Path, docker_engine: Any) -> Iterator[Demo]:
    copy = tmp_path / "remoteappmanager"
    fresh_copy(copy)
    port, realm = ports(), f"test-demo-{secrets.token_hex(4)}"
    env = {
        **{
            k: v for k, v in os.environ.items() if not k.startswith(("JUPYTERHUB_", "CONFIGPROXY_"))
        },
        "DEMO_PORT": str(port),
        "DEMO_REALM": realm,
    }
    with open(tmp_path / "make-demo.log", "wb") as log:
        process = subprocess.Popen(
            ["make", "demo"], cwd=copy, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal's foreground job
        )  # fmt: skip
    try:
        yield Demo(process, copy, port, realm)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        print((tmp_path / "make-demo.log").read_text(errors="replace")[-5000:])
        for container in docker_engine.containers.list(
            all=True, filters={"label": f"{REALM_LABEL}={realm}"}
        ):
            container.remove(force=True)


def test_make_demo_runs_the_whole_system_and_ctrl_c_stops_it(
    demo: Demo, docker_engine: Any
) -> None:
    url = f"http://localhost:{demo.port}/"
    started = time.monotonic()
    while True:
        assert demo.process.poll() is None, "make demo stopped before the Hub answered"
        assert time.monotonic() - started < START_TIMEOUT, "the demo did not come up"
        try:
            if requests.get(f"{url}hub/api", timeout=5).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        time.sleep(1)
    print(f"make demo: the Hub answered after {time.monotonic() - started:.0f} s")

    # The passwords make demo printed, as a person would copy them.
    password = (demo.copy / ".demo" / "password").read_text().strip()
    admin_password = (demo.copy / ".demo" / "admin-password").read_text().strip()
    hub = Hub(
        workdir=demo.copy / ".demo",
        process=demo.process,
        url=url,
        api_url=f"{url}hub/api",
        proxy_api_url=f"http://127.0.0.1:{demo.port + 1}",
        proxy_token="",
        password=password,
        admin_password=admin_password,
        admin_users=frozenset({"admin"}),
        admin_token="",
        _proxy_api_port=demo.port + 1,
    )
    alice = login(hub, "alice")
    with resolve_localhost_subdomains():  # the demo gives each user and app a host
        use_the_demo_app(hub, alice, demo.port)

    os.killpg(demo.process.pid, signal.SIGINT)  # Ctrl-C in the terminal
    demo.process.wait(120)
    labels = {"label": f"{REALM_LABEL}={demo.realm}"}
    assert docker_engine.containers.list(all=True, filters=labels) == []
    left = [
        pid.name
        for pid in Path("/proc").iterdir()
        if pid.name.isdigit() and str(demo.copy).encode() in _cmdline(pid)
    ]
    assert left == [], f"processes of the demo still running: {left}"


def use_the_demo_app(hub: Hub, alice: requests.Session, port: int) -> None:
    """alice starts the demo web app and opens it on its own origin."""
    assert open_server(alice, hub, "alice").status_code == 200
    server = f"http://alice.localhost:{port}"
    api = f"{server}/user/alice/api/v1/"
    apps = alice.get(f"{api}applications", timeout=30).json()["items"]
    [webapp] = [app for app in apps if app["name"] == "Demo web app"]
    xsrf = alice.cookies.get("_xsrf", path="/user/alice/") or ""
    started_app = alice.post(
        f"{api}containers",
        json={"mapping_id": webapp["mapping_id"]},
        headers={"X-XSRFToken": xsrf},
        timeout=60,
    )
    assert started_app.status_code == 201, started_app.text
    container = started_app.json()
    assert container["origin"] == f"http://{container['url_id']}.alice.localhost:{port}"
    # The dashboard waits for the app's origin to be routed, as this does.
    deadline = time.monotonic() + 30
    while not requests.get(f"{container['origin']}/_remoteappmanager/ping", timeout=5).ok:
        assert time.monotonic() < deadline, "the app's origin was never routed"
        time.sleep(0.1)
    page = alice.get(f"{server}{container['url']}env.json", timeout=30)
    assert page.url.startswith(container["origin"])
    assert page.status_code == 200 and page.json()["JPY_USER"] == "alice"


def _cmdline(pid: Path) -> bytes:
    try:
        return (pid / "cmdline").read_bytes()
    except OSError:
        return b""


def demo_script() -> Any:
    """deploy/demo.py as a module, for its functions (it runs only as __main__)."""
    spec = importlib.util.spec_from_file_location("demo_script", ROOT / "deploy" / "demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ctrl_c_leaves_the_engine_it_started_running_while_others_use_it(
    docker_engine: Any, busybox_image: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The demo's dockerd may be serving other sites by the time of Ctrl-C: it is
    stopped only when no container but the demo's runs on it."""
    demo = demo_script()
    realm = f"demo-{secrets.token_hex(4)}"
    labels = {TEST_LABEL: "1"}
    ours = docker_engine.containers.run(
        busybox_image, ["sleep", "600"], labels={**labels, REALM_LABEL: realm}, detach=True
    )
    theirs = docker_engine.containers.run(
        busybox_image, ["sleep", "600"], labels=labels, detach=True
    )
    try:
        others = demo.containers_of_others(realm)
    finally:
        for container in (ours, theirs):
            container.remove(force=True)
    assert theirs.name in others and ours.name not in others

    engine = subprocess.Popen(["sleep", "600"])  # stands for the dockerd the demo started
    try:
        demo.stop_engine_unless_used(engine, [theirs.name])
        assert engine.poll() is None
        said = capsys.readouterr().out
        assert "leaving the dockerd the demo started running" in said
        assert theirs.name in said and f"kill {engine.pid}" in said
        demo.stop_engine_unless_used(engine, [])
        assert engine.poll() is not None
        assert "stopping the dockerd the demo started" in capsys.readouterr().out
    finally:
        if engine.poll() is None:
            engine.kill()
            engine.wait()
