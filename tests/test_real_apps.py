"""The real application images of ``images/``, through the whole site, in Chromium.

The remote desktop (``images/desktop``: Xvnc, JWM, xterm, websockify, noVNC) and
JupyterLab (``images/jupyterlab``) are built once per session, granted to alice, and
used the way a person uses them: through the Hub's proxy and alice's gateway. The
desktop's noVNC canvas connects over the gateway's websocket and shows the desktop
at the size alice chose; bob is refused. A notebook in JupyterLab runs ``1+1`` in
a kernel (its websocket through the gateway too) and shows ``2``.
Screenshots are saved under test-artifacts/screenshots/.
"""

from __future__ import annotations

import base64
import os
import re
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, WebSocket, expect

from remoteappmanager.db import Database
from remoteappmanager.docker.container import URL_ID_LABEL
from remoteappmanager.naming import escape_name
from remoteappmanager.services.catalogue import Catalogue
from remoteappmanager.services.policy import GrantPolicy

from .browser import SCREENSHOTS, browsing, chromium, log_in, screenshot
from .site import Site, app_url, route_of, running_site
from .support import REAL_DESKTOP, REAL_JUPYTERLAB

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.browser]

DESKTOP = REAL_DESKTOP
JUPYTERLAB = REAL_JUPYTERLAB
# The desktop's background colour (images/desktop/jwmrc) and xterm's white.
BACKGROUND = (0x3A, 0x6E, 0xA5)
WHITE = (255, 255, 255)


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory,
    demo_images: Any,
    real_app_images: tuple[str, str],
    docker_engine: Any,
) -> Iterator[Site]:
    """The test site, with the desktop (startup data allowed) and JupyterLab granted
    to alice, both with her workspace."""
    with running_site(tmp_path_factory.mktemp("site"), docker_engine) as running:
        database = Database(url=running.env["REMOTEAPPMANAGER_DB_URL"])
        with database.transaction() as session:
            catalogue = Catalogue(session)
            for key, image, policy in (
                (
                    "alice-real-desktop",
                    DESKTOP,
                    GrantPolicy(allow_home=True, allow_startup_data=True),
                ),
                ("alice-jupyterlab", JUPYTERLAB, GrantPolicy(allow_home=True)),
            ):
                catalogue.create_application(image)
                running.mapping_ids[key] = catalogue.grant(image, "alice", policy)[0].mapping_id
        database.dispose()
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


@pytest.fixture
def context(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    with browsing(browser, request, 1280, 900, "real") as context:
        yield context


def start_app(site: Site, key: str, configurables: dict[str, str] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"mapping_id": site.mapping_ids[key]}
    if configurables:
        body["configurables"] = configurables
    started = site.write("alice", "POST", "containers", json=body)
    assert started.status_code in (200, 201), started.text
    container: dict[str, Any] = started.json()
    return container


def stop_app(site: Site, container: dict[str, Any]) -> None:
    stopped = site.write("alice", "DELETE", f"containers/{container['url_id']}")
    assert stopped.status_code == 204, stopped.text


def engine_container(docker_engine: Any, container: dict[str, Any]) -> Any:
    [found] = docker_engine.containers.list(
        filters={"label": f"{URL_ID_LABEL}={container['url_id']}"}
    )
    return found


def processes(docker_container: Any) -> list[tuple[int, str]]:
    """(uid, command line) of every process in the container but Docker's init."""
    listed = docker_container.top(ps_args="-o pid,uid,args")
    return [
        (int(uid), args)
        for _, uid, args in listed["Processes"]
        if not args.startswith("/sbin/docker-init")
    ]


def _tcp_sockets(state: str, port: int, end: int) -> set[str]:
    """Inodes of this machine's TCP sockets in ``state`` whose local (end 1) or remote
    (end 2) port is ``port``, from /proc/net/tcp{,6}."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                if fields[3] == state and int(fields[end].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    return inodes


def _owners(inodes: set[str]) -> set[int]:
    """The processes holding these sockets (those this user may look into)."""
    links = {f"socket:[{inode}]" for inode in inodes}
    owners = set()
    for process in Path("/proc").iterdir():
        if not process.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in links for fd in (process / "fd").iterdir()):
                owners.add(int(process.name))
        except OSError:  # gone, or not ours
            continue
    return owners


def tcp_clients_of(port: int) -> set[int]:
    """PIDs of the processes with a TCP connection open to ``port`` on this machine."""
    return _owners(_tcp_sockets("01", port, 2))  # 01: established


def tcp_listener(port: int) -> int:
    """PID of the process listening on ``port``."""
    [pid] = _owners(_tcp_sockets("0A", port, 1))  # 0A: listening
    return pid


def assert_only_the_gateway_reaches(site: Site, container: dict[str, Any], running: Any) -> None:
    """The app's route leads to alice's service (the gateway), and while the browser
    holds its websockets open, that service is the one process connected to the
    container's port, which is published on the loopback only: the gateway took the
    upgrades and opened the websockets to the app on its side."""
    target = urlsplit(route_of(site, container)["target"])
    assert target.geturl() == site.hub.routes()["/user/alice"]["target"]
    [binding] = running.attrs["NetworkSettings"]["Ports"]["8888/tcp"]
    assert binding["HostIp"] == "127.0.0.1"
    assert tcp_clients_of(int(binding["HostPort"])) == {tcp_listener(target.port or 80)}


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# Counts, in a sample of the canvas's pixels, those of the desktop's background and
# white ones (the terminal): both there means the desktop has been drawn.
CANVAS_STATE = """([background, white]) => {
    const canvas = document.querySelector("#noVNC_container canvas");
    if (!canvas || !document.documentElement.classList.contains("noVNC_connected")) {
        return null;
    }
    const state = {width: canvas.width, height: canvas.height, background: 0, white: 0};
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    const near = (i, [r, g, b]) =>
        Math.abs(pixels[i] - r) + Math.abs(pixels[i + 1] - g) + Math.abs(pixels[i + 2] - b) < 24;
    for (let i = 0; i < pixels.length; i += 4 * 13) {
        if (near(i, background)) state.background++;
        else if (near(i, white)) state.white++;
    }
    return state;
}"""


# Chromium aborts the loads under way (net::ERR_NETWORK_CHANGED) when a network
# interface comes or goes, as Docker's do with every container started or removed
# on this machine (the tests' own, and anyone else's). A page whose scripts were
# cut off never starts: load it again, a bounded number of times.
RELOADS = 2


def wait_for_desktop(page: Page, timeout: float = 60) -> dict[str, int]:
    """noVNC's canvas, once connected and showing the desktop."""
    deadline = time.monotonic() + timeout
    reloads, since = 0, time.monotonic()
    while True:
        state = page.evaluate(CANVAS_STATE, [list(BACKGROUND), list(WHITE)])
        samples = 1024 * 768 // 13
        if state and state["background"] > samples // 10 and state["white"] > samples // 20:
            return dict(state)
        assert time.monotonic() < deadline, f"no desktop in the canvas after {timeout:g} s: {state}"
        if state is None and time.monotonic() - since > 15 and reloads < RELOADS:
            print("noVNC did not connect in 15 s: loading its page again")
            page.reload()
            reloads, since = reloads + 1, time.monotonic()
        time.sleep(0.25)


def wait_for_visible(page: Page, locator: Any, timeout: float = 30) -> None:
    """``locator`` visible, loading the page again if it does not show (see RELOADS)."""
    for attempt in range(RELOADS + 1):
        try:
            expect(locator).to_be_visible(timeout=timeout * 1000)
            return
        except AssertionError:
            if attempt == RELOADS:
                raise
            print(f"{locator} did not show in {timeout:g} s: loading the page again")
            page.reload()


def test_the_desktop_shows_in_novnc_through_the_gateway_and_only_to_its_owner(
    site: Site, context: BrowserContext, docker_engine: Any
) -> None:
    # A file of alice's, made by the service's user (root here, as in CI).
    workspace = Path(site.env["REMOTEAPPMANAGER_WORKSPACES"], escape_name("alice"))
    workspace.mkdir(mode=0o700, parents=True, exist_ok=True)
    (workspace / "notes.txt").write_text("Notes of alice\n")
    container = start_app(
        site, "alice-real-desktop", {"resolution": "1024x768", "startupdata": "notes.txt"}
    )
    url = app_url(site, container)
    websockets: list[WebSocket] = []
    handshakes: list[bytes] = []

    def watch(socket: WebSocket) -> None:
        websockets.append(socket)
        socket.on(
            "framereceived",
            lambda payload: handshakes.append(payload if isinstance(payload, bytes) else b""),
        )

    page = context.new_page()
    page.on("websocket", watch)
    log_in(page, site.hub, "alice")
    expect(page.get_by_test_id("app-card")).to_have_count(4)  # 2 demo apps, 2 real ones
    screenshot(page, "real-apps-dashboard")
    page.goto(url)
    # The page at the prefix opens noVNC, connecting to the websocket under the prefix.
    page.wait_for_url(lambda now: urlsplit(now).path == f"{container['url']}vnc.html")
    state = wait_for_desktop(page)
    assert (state["width"], state["height"]) == (1024, 768)

    # What the canvas holds, as the VNC server sent it, and the page around it.
    canvas = page.evaluate('document.querySelector("#noVNC_container canvas").toDataURL()')
    picture = base64.b64decode(canvas.split(",", 1)[1])
    assert png_size(picture) == (1024, 768)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "desktop-canvas.png").write_bytes(picture)
    screenshot(page, "desktop-novnc")

    # The websocket went to the public proxy, under the app's prefix, whose route
    # leads to alice's service (the gateway), and carried the VNC protocol.
    hub = urlsplit(site.hub.url)
    assert {socket.url for socket in websockets} == {
        f"ws://{hub.netloc}{container['url']}websockify"
    }
    assert handshakes and handshakes[0].startswith(b"RFB 003.008")
    running = engine_container(docker_engine, container)
    assert_only_the_gateway_reaches(site, container, running)

    # Nothing runs as root; the terminal edits the startup file in the workspace, which
    # the app's user now owns.
    seen = processes(running)
    assert all(uid != 0 for uid, _ in seen), seen
    assert any(args == "nano -- notes.txt" for _, args in seen), seen
    mounts = {m["Destination"]: m["Source"] for m in running.attrs["Mounts"]}
    assert Path(mounts["/workspace"]) == workspace
    uid = next(uid for uid, args in seen if args.startswith("Xvnc"))
    assert workspace.stat().st_uid == (workspace / "notes.txt").stat().st_uid == uid

    # bob, logged in, cannot open it: his browser is sent to the Hub's login for
    # alice's service, which refuses him (403); the websocket is a 404 at once.
    bob = site.session("bob")
    page_of_bob = bob.get(url, timeout=30)
    assert page_of_bob.status_code in (403, 404), page_of_bob.url
    assert urlsplit(page_of_bob.url).path.startswith("/hub/"), page_of_bob.url
    assert "noVNC" not in page_of_bob.text
    upgrade = bob.get(
        f"{url}websockify",
        headers={
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
        timeout=30,
    )
    assert upgrade.status_code == 404

    page.close()
    stop_app(site, container)


def test_a_notebook_in_jupyterlab_runs_code_in_a_kernel(
    site: Site, context: BrowserContext, docker_engine: Any
) -> None:
    container = start_app(site, "alice-jupyterlab")
    websockets: list[str] = []
    page = context.new_page()
    page.on("websocket", lambda socket: websockets.append(socket.url))
    log_in(page, site.hub, "alice")
    page.goto(app_url(site, container))
    page.wait_for_url(lambda now: urlsplit(now).path == f"{container['url']}lab")

    launcher = page.locator(".jp-Launcher")
    wait_for_visible(page, launcher)
    launcher.locator('.jp-LauncherCard[data-category="Notebook"]').first.click()
    notebook = page.locator(".jp-NotebookPanel")
    expect(notebook).to_be_visible(timeout=30_000)
    # The status bar says Idle once the kernel has answered over its websocket.
    kernel = page.locator(".jp-StatusBar-Widget").get_by_text(re.compile(r"\| Idle$"))
    expect(kernel).to_be_visible(timeout=60_000)

    # Typing into the first cell, checked, then running it. A request sent while the
    # kernel's websocket reconnects (a new notebook may switch kernels as it opens, a
    # network change cuts it) is lost: then the cell is run again.
    cell = notebook.locator(".jp-Cell").first
    editor, output = cell.locator(".cm-content"), cell.locator(".jp-OutputArea-output")
    for attempt in range(3):
        editor.fill("1+1")
        expect(editor).to_have_text("1+1")
        editor.press("Shift+Enter")
        try:
            expect(output).to_have_text("2", timeout=30_000)
            break
        except AssertionError:
            if attempt == 2:
                raise
            print("the cell did not run: typing it again")
    expect(cell.locator(".jp-InputPrompt")).to_have_text(re.compile(r"\[\d+\]:"))
    screenshot(page, "jupyterlab-notebook")

    # The kernel's websocket went through the public proxy, under the app's prefix.
    hub = urlsplit(site.hub.url)
    kernels = f"ws://{hub.netloc}{container['url']}api/kernels/"
    assert any(url.startswith(kernels) for url in websockets), websockets
    running = engine_container(docker_engine, container)
    assert_only_the_gateway_reaches(site, container, running)
    # The notebook is in alice's workspace, JupyterLab's root, written by a non-root user.
    [workspace] = [m["Source"] for m in running.attrs["Mounts"] if m["Destination"] == "/workspace"]
    notebooks = list(Path(workspace).glob("*.ipynb"))
    assert notebooks, os.listdir(workspace)
    assert all(uid != 0 for uid, _ in processes(running))
    assert notebooks[0].stat().st_uid != 0

    page.close()
    stop_app(site, container)
