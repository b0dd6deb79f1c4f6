"""Third-party web apps, unmodified, on their own origins, in Chromium.

Streamlit, Panel (Bokeh), code-server and a static site that serves at ``/`` run
with their upstream defaults; only their images' labels (``port``, ``strip-prefix``,
``ready-path``, ``host``) tell the service how to reach them. Each is started from
alice's dashboard and used in its frame, as a person does: Streamlit counts a click
over its websocket and receives a file upload (its own XSRF cookie goes both ways),
Panel counts clicks on the server (Bokeh's default websocket-origin check passes),
code-server runs a command typed in its terminal and, with a password, lets alice
log in (its session cookie comes back), the static site shows its page.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Frame,
    FrameLocator,
    Locator,
    Page,
    WebSocket,
    expect,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from remoteappmanager.db import Database
from remoteappmanager.docker.image import LABEL_PREFIX
from remoteappmanager.services.catalogue import Catalogue
from remoteappmanager.services.policy import GrantPolicy

from .browser import browsing, chromium, log_in, screenshot
from .hub import resolve_localhost_subdomains
from .site import Site, running_site
from .support import ROOT
from .test_real_apps import engine_container

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.browser]

STREAMLIT = "remoteappmanager/streamlit:latest"
PANEL = "remoteappmanager/panel:latest"
CODE_SERVER = "remoteappmanager/code-server:latest"
# code-server with upstream's password login on (its PASSWORD variable).
CODE_SERVER_PASSWORD = "remoteappmanager-test/code-server-password:latest"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="session")
def third_party_images(
    docker_engine: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """Built by ``images/build`` from PyPI and npm: a minute or two each the first
    time on a machine, seconds once Docker's build cache has them."""
    built = subprocess.run(
        [str(ROOT / "images" / "build"), "streamlit", "panel", "code-server"],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    context = tmp_path_factory.mktemp("code-server-password")
    (context / "Dockerfile").write_text(
        f'FROM {CODE_SERVER}\nENV PASSWORD="{PASSWORD}"\n'
        f'LABEL {LABEL_PREFIX}ui_name="code-server with a password"\n'
    )
    docker_engine.images.build(path=str(context), tag=CODE_SERVER_PASSWORD, rm=True)
    yield {
        "Streamlit": STREAMLIT,
        "Panel": PANEL,
        "code-server": CODE_SERVER,
        "code-server with a password": CODE_SERVER_PASSWORD,
    }
    docker_engine.images.remove(CODE_SERVER_PASSWORD, force=True)


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory,
    third_party_images: dict[str, str],
    static_site_images: dict[str, str],
    docker_engine: Any,
) -> Iterator[Site]:
    """An app-origin site where alice may run each of them."""
    with (
        resolve_localhost_subdomains(),
        running_site(
            tmp_path_factory.mktemp("third-party"), docker_engine, app_origins=True
        ) as running,
    ):
        database = Database(url=running.env["REMOTEAPPMANAGER_DB_URL"])
        with database.transaction() as session:
            catalogue = Catalogue(session)
            for image in (*third_party_images.values(), static_site_images["labelled"]):
                catalogue.create_application(image)
                catalogue.grant(image, "alice", GrantPolicy())
        database.dispose()
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


@pytest.fixture
def context(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    with browsing(browser, request, 1280, 900, "third-party") as context:
        yield context


def open_app(
    page: Page,
    site: Site,
    name: str,
    image: str,
    shows: Callable[[FrameLocator], Locator],
    timeout: float = 60_000,
) -> tuple[FrameLocator, dict[str, Any]]:
    """Log alice in, start ``name`` from her dashboard, wait until its frame ``shows``
    what the app draws once loaded; its frame and its container.

    Chromium cuts the loads under way when the host's interfaces change, as they do
    when Docker attaches a container to its bridge ("net::ERR_NETWORK_CHANGED" in the
    console): for that cause alone, and said aloud, the page is loaded once more."""
    cut: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "ERR_NETWORK_CHANGED" in message.text:
            cut.append(message.text)

    page.on("console", on_console)
    log_in(page, site.hub, "alice")
    page.get_by_test_id("app-card").filter(
        has=page.get_by_test_id("app-name").get_by_text(name, exact=True)
    ).click()
    page.get_by_test_id("start-button").click()
    expect(page.get_by_test_id("app-frame")).to_be_visible(timeout=90_000)
    listed = site.session("alice").get(f"{site.api('alice')}containers", timeout=30)
    [container] = [c for c in listed.json()["items"] if c["image"] == image]
    app = page.frame_locator("[data-testid=app-frame]")
    try:
        expect(shows(app)).to_be_visible(timeout=timeout)
    except AssertionError:
        if not cut:
            raise
        print(f"Chromium saw the network change ({len(cut)} loads cut): loading the page again")
        page.reload()
        expect(shows(app)).to_be_visible(timeout=timeout)
    finally:
        page.remove_listener("console", on_console)
    return app, container


def on_its_origin(socket: WebSocket, container: dict[str, Any]) -> bool:
    return socket.url.startswith(container["origin"].replace("http://", "ws://", 1) + "/")


def stop_app(site: Site, container: dict[str, Any]) -> None:
    stopped = site.write("alice", "DELETE", f"containers/{container['url_id']}")
    assert stopped.status_code == 204, stopped.text


def test_streamlit_reacts_over_its_websocket_and_receives_an_upload(
    site: Site, context: BrowserContext, docker_engine: Any
) -> None:
    page = context.new_page()
    sockets: list[WebSocket] = []
    page.on("websocket", lambda socket: sockets.append(socket))
    app, container = open_app(
        page,
        site,
        "Streamlit",
        STREAMLIT,
        lambda app: app.get_by_text("Streamlit in remoteappmanager"),
    )
    assert container["origin"].endswith(
        ".alice.localhost:" + site.hub.url.rsplit(":", 1)[1].strip("/")
    )

    app.get_by_role("button", name="Click me").click()
    expect(app.get_by_text("clicks: 1")).to_be_visible(timeout=30_000)

    # A file upload: Streamlit's XSRF check needs its own cookie back, which the
    # gateway passes on the app's origin.
    data = os.urandom(3_000_000)
    app.locator("input[type=file]").set_input_files(
        files=[{"name": "measurements.bin", "mimeType": "application/octet-stream", "buffer": data}]
    )
    expect(app.get_by_text("received measurements.bin: 3000000 bytes")).to_be_visible(
        timeout=60_000
    )
    screenshot(page, "streamlit")
    log = engine_container(docker_engine, container).exec_run(["cat", "/tmp/uploads.log"])
    assert log.output.decode() == "received measurements.bin: 3000000 bytes\n"

    assert sockets and all(on_its_origin(socket, container) for socket in sockets)
    stop_app(site, container)


def test_panel_counts_clicks_on_the_server_over_bokehs_websocket(
    site: Site, context: BrowserContext
) -> None:
    page = context.new_page()
    sockets: list[WebSocket] = []
    page.on("websocket", lambda socket: sockets.append(socket))
    app, container = open_app(
        page, site, "Panel", PANEL, lambda app: app.get_by_text("Panel in remoteappmanager")
    )
    button = app.get_by_role("button", name="Click me")
    for clicks in (1, 2):
        button.click()
        expect(app.get_by_text(f"clicks: {clicks}")).to_be_visible(timeout=30_000)
    screenshot(page, "panel")
    assert sockets and all(on_its_origin(socket, container) for socket in sockets)
    stop_app(site, container)


def test_a_static_site_that_serves_at_the_root_shows_its_page(
    site: Site, context: BrowserContext, static_site_images: dict[str, str]
) -> None:
    page = context.new_page()
    app, container = open_app(
        page,
        site,
        "Static site",
        static_site_images["labelled"],
        lambda app: app.get_by_text("a static site", exact=True),
    )
    expect(app.locator("body")).to_have_text("a static site")
    stop_app(site, container)


def app_frame(page: Page) -> Frame:
    """The app's frame itself (code-server's page holds frames of its own)."""
    handle = page.locator("[data-testid=app-frame]").element_handle()
    frame = handle.content_frame() if handle else None
    assert frame is not None
    return frame


def open_terminal(page: Page, workbench: Frame) -> None:
    """code-server's new-terminal shortcut, until the terminal has the focus: pressed
    at once after the workbench shows, it is sometimes lost."""
    for attempt in range(6):
        workbench.locator(".part.statusbar").click()
        page.keyboard.press("Control+Shift+Backquote")
        try:
            workbench.wait_for_function(
                "() => document.activeElement?.classList.contains('xterm-helper-textarea')",
                timeout=5_000,
            )
            return
        except PlaywrightTimeout:
            print(f"code-server's terminal did not take the focus (try {attempt + 1})")
    raise AssertionError("code-server's terminal never took the focus")


def file_in(docker_engine: Any, container: dict[str, Any], path: str, timeout: float = 30) -> str:
    """What ``path`` holds in the container, once it is there."""
    running = engine_container(docker_engine, container)
    deadline = time.monotonic() + timeout
    while (read := running.exec_run(["cat", path])).exit_code != 0:
        assert time.monotonic() < deadline, f"no {path} in the container: {read.output!r}"
        time.sleep(0.3)
    return str(read.output.decode())


def test_code_server_runs_a_command_typed_in_its_terminal(
    site: Site, context: BrowserContext, docker_engine: Any
) -> None:
    page = context.new_page()
    _, container = open_app(
        page, site, "code-server", CODE_SERVER, lambda app: app.locator(".monaco-workbench"), 90_000
    )
    workbench = app_frame(page)
    expect(workbench.locator(".explorer-folders-view")).to_be_visible(timeout=30_000)
    open_terminal(page, workbench)
    # The terminal draws on a canvas: what the command did is read from the file.
    page.keyboard.type("echo hello-$((6*7)) > /tmp/from-terminal")
    page.keyboard.press("Enter")
    assert file_in(docker_engine, container, "/tmp/from-terminal") == "hello-42\n"
    screenshot(page, "code-server")
    stop_app(site, container)


def test_code_servers_password_login_keeps_its_session(site: Site, context: BrowserContext) -> None:
    """Its session cookie comes back on the app's origin: no loop back to /login."""
    page = context.new_page()
    name, image = "code-server with a password", CODE_SERVER_PASSWORD
    _, container = open_app(
        page, site, name, image, lambda app: app.locator("input[name=password]"), 90_000
    )
    password = app_frame(page).locator("input[name=password]")
    password.fill(PASSWORD)
    password.press("Enter")
    workbench = app_frame(page)
    expect(workbench.locator(".monaco-workbench")).to_be_visible(timeout=60_000)
    assert "/login" not in workbench.url
    stop_app(site, container)
