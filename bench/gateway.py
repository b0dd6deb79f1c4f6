"""What the authenticated gateway costs, against a direct proxy route to the same app.

    python bench/gateway.py [--runs 500]

A whole site as in tests/test_service_e2e.py (JupyterHub with deploy/jupyterhub_config.py,
its configurable-http-proxy, the user's service spawned by the Hub, an API token), and
the user's apps started through the REST API. Two ways to the same container, one proxy
hop each: (a) direct: a second configurable-http-proxy whose only route is the app's
prefix -> the container's port; (b) gateway: the site's proxy -> the user's service ->
the container. For the demo web app's index.html (about 600 bytes; busybox httpd, which
closes the connection after every response), for the echo app's plain HTTP answer (15
bytes; node, which keeps connections alive, as most apps do) and for a websocket echo
(a 100-byte message): latency p50/p99 over ``--runs`` requests on one keep-alive
connection (alternating a and b in blocks), and throughput of 2,000 requests on 4
connections at once; then, with wrk (Debian's package, if installed), a 1 KB page of
the echo app kept alive at 10 and at 50 connections. The echo app is `images/build
websocket-echo` (this machine's node and its libraries, no registry needed); without
node, its figures are skipped.
Then the same on a second site with app origins (the Hub's subdomain_host): (c) app
origin: the site's proxy routing the app's host -> the user's service -> the
container, the browser known by its app session cookie, against (a) again, in the
same run. Needs a Docker engine and node_modules (npm ci). Prints one line per figure.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import docker
import requests
from api_latency import (
    CHP,
    ROOT,
    USER,
    WEBAPP,
    Client,
    Site,
    ensure_demo_image,
    free_port,
    ms,
    percentile,
    stop_process,
    timed,
    wait_until_answers,
)
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from remoteappmanager.docker import DockerClient
from remoteappmanager.docker.container import REALM_LABEL, URL_ID_LABEL, USER_LABEL
from tests.hub import resolve_localhost_subdomains

TOTAL, CONNECTIONS, BLOCKS = 2000, 4, 5
WRK_CONNECTIONS = (10, 50)
MESSAGE = "x" * 100
ECHO = "remoteappmanager/websocket-echo:latest"


def build_echo_image() -> str | None:
    """images/build websocket-echo (node from this machine); None, or why it failed."""
    built = subprocess.run(
        [str(ROOT / "images" / "build"), "websocket-echo"], capture_output=True, text=True
    )
    return None if built.returncode == 0 else built.stderr.strip()


class DirectProxy:
    """A second configurable-http-proxy with no default target; routes added by `route`."""

    def __init__(self, workdir: Path) -> None:
        port, api_port = free_port(), free_port()
        self.url, self.api_url = f"http://127.0.0.1:{port}/", f"http://127.0.0.1:{api_port}"
        self.token = secrets.token_hex(32)
        command = [CHP, "--ip", "127.0.0.1", "--port", str(port), "--api-ip", "127.0.0.1"]
        with open(workdir / "direct-proxy.log", "ab") as log:
            self.process = subprocess.Popen(
                [*command, "--api-port", str(api_port)],
                env={**os.environ, "CONFIGPROXY_AUTH_TOKEN": self.token},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        headers = {"Authorization": f"token {self.token}"}
        wait_until_answers(f"{self.api_url}/api/routes", process=self.process, headers=headers)

    def route(self, prefix: str, target: str) -> None:
        requests.post(
            f"{self.api_url}/api/routes{prefix}",
            json={"target": target},
            headers={"Authorization": f"token {self.token}"},
            timeout=10,
        ).raise_for_status()

    def stop(self) -> None:
        stop_process(self.process)


def start_app(site: Site, mapping_id: str, server: str | None = None) -> tuple[str, str]:
    """Start a grant through the user's REST API (at ``server``, the user's server,
    by default under the Hub's host); (its URL path, its host port)."""
    assert site.hub is not None
    server = server or f"{site.hub.url}user/{USER}/"
    started = requests.post(
        f"{server}api/v1/containers",
        json={"mapping_id": mapping_id},
        headers={"Authorization": f"token {site.token}"},
        timeout=60,
    )
    assert started.status_code == 201, started.text
    url_id = started.json()["url_id"]
    [container] = docker.from_env().containers.list(filters={"label": f"{URL_ID_LABEL}={url_id}"})
    [port] = [bound[0]["HostPort"] for bound in container.ports.values() if bound]
    return started.json()["url"], port


def app_session(site: Site, server: str, prefix: str) -> dict[str, str]:
    """The headers of a browser in the app at ``prefix`` on its own origin: its Host
    and its app session cookie, got with a ticket from the user's ``server``."""
    launcher = f"{server.split('/user/', 1)[0]}{prefix}"
    auth = {"Authorization": f"token {site.token}"}
    deadline = time.monotonic() + 30
    while True:  # the router adds the app's host route just after the start
        launched = requests.get(launcher, headers=auth, allow_redirects=False, timeout=30)
        ticket = launched.headers["Location"]
        entered = requests.get(ticket, allow_redirects=False, timeout=30)
        if "remoteappmanager-app" in entered.cookies:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"no app session at {ticket}: HTTP {entered.status_code}")
        time.sleep(0.1)
    cookie = entered.cookies["remoteappmanager-app"]
    return {"Host": ticket.split("/")[2], "Cookie": f"remoteappmanager-app={cookie}"}


async def lookup(realm: str, prefix: str, runs: int) -> list[float]:
    """The Docker call the gateway makes for every request (ContainerService.find), alone."""
    url_id = prefix.rstrip("/").rsplit("/", 1)[1]
    labels = {REALM_LABEL: realm, URL_ID_LABEL: url_id, USER_LABEL: USER}
    client = DockerClient()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        await client.list_containers(labels)
        samples.append(time.perf_counter() - began)
    client.close()
    return samples


def http_throughput(base: str, path: str, headers: dict[str, str]) -> float:
    def run(_: int) -> None:
        client = Client(base, headers)
        for _ in range(TOTAL // CONNECTIONS):
            client.get(path)
        client.close()

    began = time.perf_counter()
    with ThreadPoolExecutor(CONNECTIONS) as pool:
        list(pool.map(run, range(CONNECTIONS)))
    return TOTAL / (time.perf_counter() - began)


def wrk_figures(bases: dict[str, str], path: str, headers: dict[str, dict[str, str]]) -> None:
    """The 1 KB page kept alive, at 10 and 50 connections, by wrk (Debian's package):
    a load generator in C, so that the client is not what limits the figure."""
    wrk = shutil.which("wrk")
    if wrk is None:
        print("1 KB page at 10 and 50 connections: not measured (no wrk: apt-get install wrk)")
        return

    def header_args(base: str) -> list[str]:
        return [arg for name, value in headers[base].items() for arg in ("-H", f"{name}: {value}")]

    for connections in WRK_CONNECTIONS:
        rates: dict[str, list[float]] = {way: [] for way in bases}
        for _ in range(3):  # alternating: drift hits both alike
            for way, base in bases.items():
                command = [
                    wrk,
                    "-t2",
                    f"-c{connections}",
                    "-d3s",
                    *header_args(base),
                    base.rstrip("/") + path,
                ]
                output = subprocess.run(command, capture_output=True, text=True, check=True)
                found = re.search(r"Requests/sec:\s+([\d.]+)", output.stdout)
                assert found and "Non-2xx" not in output.stdout, output.stdout
                rates[way].append(float(found.group(1)))
        median = {way: statistics.median(values) for way, values in rates.items()}
        for way, rate in median.items():
            print(f"1 KB page kept alive, {connections} connections (wrk), {way}: {rate:.0f} req/s")
        for way in [way for way in bases if way != "direct"]:
            ratio = median[way] / median["direct"]
            print(f"1 KB page, {connections} connections, {way} throughput ratio: {ratio:.2f}")


async def echo(ws: WebSocketClientConnection) -> None:
    await ws.write_message(MESSAGE)
    if await ws.read_message() != MESSAGE:
        raise RuntimeError("the echo differs")


async def ws_latency(url: str, headers: dict[str, str], runs: int) -> list[float]:
    ws = await websocket_connect(HTTPRequest(url, headers=headers))
    samples = []
    for i in range(runs + 20):
        began = time.perf_counter()
        await echo(ws)
        if i >= 20:
            samples.append(time.perf_counter() - began)
    ws.close()
    return samples


async def ws_throughput(url: str, headers: dict[str, str]) -> float:
    sockets = [
        await websocket_connect(HTTPRequest(url, headers=headers)) for _ in range(CONNECTIONS)
    ]

    async def run(ws: WebSocketClientConnection) -> None:
        for _ in range(TOTAL // CONNECTIONS):
            await echo(ws)

    began = time.perf_counter()
    await asyncio.gather(*(run(ws) for ws in sockets))
    elapsed = time.perf_counter() - began
    for ws in sockets:
        ws.close()
    return TOTAL / elapsed


def compare(
    what: str,
    bases: dict[str, str],
    latency: Callable[[str, int], list[float]],
    throughput: Callable[[str], float],
    runs: int,
    unit: str = "req/s",
) -> None:
    """Latency in alternating blocks, then throughput alternating, for both ways."""
    samples: dict[str, list[float]] = {way: [] for way in bases}
    rates: dict[str, list[float]] = {way: [] for way in bases}
    for _ in range(BLOCKS):
        for way, base in bases.items():
            samples[way] += latency(base, runs // BLOCKS)
    for _ in range(3):
        for way, base in bases.items():
            rates[way].append(throughput(base))
    for way in bases:
        p50, p99 = percentile(samples[way], 0.5), percentile(samples[way], 0.99)
        rate = statistics.median(rates[way])
        print(f"{what}, {way}: p50 {ms(p50)}, p99 {ms(p99)}, {rate:.0f} {unit}")
    direct = samples["direct"]
    for way in [way for way in bases if way != "direct"]:
        through = samples[way]
        added = percentile(through, 0.5) - percentile(direct, 0.5)
        ratio = statistics.median(rates[way]) / statistics.median(rates["direct"])
        prefix = way if what == "page" else f"{what} {way}"
        print(f"{prefix} added latency p50: {ms(added)}")
        added_p99 = percentile(through, 0.99) - percentile(direct, 0.99)
        print(f"{prefix} added latency p99: {ms(added_p99)}")
        print(f"{prefix} throughput ratio: {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=500, help="requests per latency figure")
    args = parser.parse_args()
    runs = max(args.runs, 100)

    ensure_demo_image()
    no_echo = build_echo_image()
    direct: DirectProxy | None = None
    try:
        with Site(deploy=True) as site:
            assert site.hub is not None
            auth = {"Authorization": f"token {site.token}"}
            webapp = site.grant(WEBAPP)
            echo_app = None if no_echo else site.grant(ECHO)
            spawned = requests.post(
                f"{site.hub.api_url}/users/{USER}/server", headers=auth, timeout=60
            )
            assert spawned.status_code in (201, 202), spawned.text
            wait_until_answers(f"{site.hub.url}user/{USER}/api/v1/applications", headers=auth)

            direct = DirectProxy(site.workdir)
            bases = {"direct": direct.url, "gateway": site.hub.url}
            page_prefix, page_port = start_app(site, webapp)
            direct.route(page_prefix.rstrip("/"), f"http://127.0.0.1:{page_port}")
            page = f"{page_prefix}index.html"
            clients = {base: Client(base, auth) for base in bases.values()}
            print(f"page: {page}, {len(clients[site.hub.url].get(page))} bytes")
            compare(
                "page",
                bases,
                lambda base, n: timed(lambda: clients[base].get(page), n),
                lambda base: http_throughput(base, page, auth),
                runs,
            )
            alone = asyncio.run(lookup(site.realm, page_prefix, runs))
            print(
                "for comparison, one Docker lookup by labels (saved by the route cache):"
                f" p50 {ms(percentile(alone, 0.5))}"
            )

            if echo_app is None:
                print(f"keep-alive page and websocket echo: not measured ({no_echo})")
                return
            echo_prefix, echo_port = start_app(site, echo_app)
            direct.route(echo_prefix.rstrip("/"), f"http://127.0.0.1:{echo_port}")
            answer = f"{echo_prefix}page"
            for base in bases.values():
                clients[base].get(answer)  # the app answers, through both ways
            compare(
                "keep-alive page",
                bases,
                lambda base, n: timed(lambda: clients[base].get(answer), n),
                lambda base: http_throughput(base, answer, auth),
                runs,
            )
            wrk_figures(bases, f"{echo_prefix}1k", {base: auth for base in bases.values()})
            ws = {
                way: f"ws{base.removeprefix('http')}{echo_prefix[1:]}ws"
                for way, base in bases.items()
            }
            compare(
                "websocket echo",
                ws,
                lambda url, n: asyncio.run(ws_latency(url, auth, n)),
                lambda url: asyncio.run(ws_throughput(url, auth)),
                runs,
                unit="echoes/s",
            )
    finally:
        if direct is not None:
            direct.stop()
    app_origin_figures(runs, no_echo)


def app_origin_figures(runs: int, no_echo: str | None) -> None:
    """(a) direct against (c) the app's own origin, on a site with app origins."""
    direct: DirectProxy | None = None
    try:
        with resolve_localhost_subdomains(), Site(deploy=True, app_origins=True) as site:
            assert site.hub is not None
            auth = {"Authorization": f"token {site.token}"}
            webapp = site.grant(WEBAPP)
            echo_app = None if no_echo else site.grant(ECHO)
            spawned = requests.post(
                f"{site.hub.api_url}/users/{USER}/server", headers=auth, timeout=60
            )
            assert spawned.status_code in (201, 202), spawned.text
            port = urlsplit(site.hub.url).port
            server = f"http://{USER}.localhost:{port}/user/{USER}/"
            wait_until_answers(f"{server}api/v1/applications", headers=auth)
            direct = DirectProxy(site.workdir)
            # The app's origin through the site's proxy at 127.0.0.1, by its Host.
            proxy = f"http://127.0.0.1:{port}/"
            page_prefix, page_port = start_app(site, webapp, server)
            direct.route(page_prefix.rstrip("/"), f"http://127.0.0.1:{page_port}")
            headers = {direct.url: auth, proxy: app_session(site, server, page_prefix)}
            bases = {"direct": direct.url, "app origin": proxy}
            page = f"{page_prefix}index.html"
            clients = {base: Client(base, headers[base]) for base in bases.values()}
            compare(
                "page",
                bases,
                lambda base, n: timed(lambda: clients[base].get(page), n),
                lambda base: http_throughput(base, page, headers[base]),
                runs,
            )
            if echo_app is None:
                print(f"app origin, keep-alive page and websocket echo: not measured ({no_echo})")
                return
            echo_prefix, echo_port = start_app(site, echo_app, server)
            direct.route(echo_prefix.rstrip("/"), f"http://127.0.0.1:{echo_port}")
            headers = {direct.url: auth, proxy: app_session(site, server, echo_prefix)}
            clients = {base: Client(base, headers[base]) for base in bases.values()}
            answer = f"{echo_prefix}page"
            compare(
                "keep-alive page",
                bases,
                lambda base, n: timed(lambda: clients[base].get(answer), n),
                lambda base: http_throughput(base, answer, headers[base]),
                runs,
            )
            wrk_figures(bases, f"{echo_prefix}1k", headers)
            origin = {"Origin": f"http://{headers[proxy]['Host']}"}
            ws = {
                way: f"ws{base.removeprefix('http')}{echo_prefix[1:]}ws"
                for way, base in bases.items()
            }
            ws_headers = {ws["direct"]: auth, ws["app origin"]: {**headers[proxy], **origin}}
            compare(
                "websocket echo",
                ws,
                lambda url, n: asyncio.run(ws_latency(url, ws_headers[url], n)),
                lambda url: asyncio.run(ws_throughput(url, ws_headers[url])),
                runs,
                unit="echoes/s",
            )
    finally:
        if direct is not None:
            direct.stop()


if __name__ == "__main__":
    main()
