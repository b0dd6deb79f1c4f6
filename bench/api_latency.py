"""How long ``GET {prefix}api/v1/applications`` takes for a user with 1, 50 and 200 grants.

    python bench/api_latency.py [--runs 100]

A real JupyterHub (tests/hub.py) checks the user's API token; the per-user service is
the ``remoteappmanager`` console script, started directly with the environment a
spawner gives it, on a temporary SQLite app database. Each grant is a distinct
application: the demo web app tagged N times (the tags are removed at the end). Every
request sends the token (the service caches the Hub's answer for 60 s). Measured in
the same run: the probe ``GET {prefix}api`` (no auth, database or Docker), the Docker
calls the handler makes (list the user's containers, inspect each image) made alone
with the service's own DockerClient, and the same requests through the Hub's proxy.
Needs a Docker engine and node_modules (npm ci). Prints one line per figure.

The other benchmarks of the service import the helpers defined here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import docker
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from remoteappmanager.db import Database  # noqa: E402
from remoteappmanager.docker import DockerClient  # noqa: E402
from remoteappmanager.docker.container import REALM_LABEL, USER_LABEL  # noqa: E402
from remoteappmanager.jupyterhub.forkserver import ForkServer  # noqa: E402
from remoteappmanager.services.catalogue import Catalogue  # noqa: E402
from remoteappmanager.services.policy import GrantPolicy  # noqa: E402
from tests.hub import CHP, Hub, free_port  # noqa: E402, F401 (CHP: for gateway.py)

WEBAPP = "remoteappmanager/demo-webapp:latest"
SERVICE = Path(sys.executable).with_name("remoteappmanager")
USER = "bench"
GRANTS = (1, 50, 200)


# -- helpers shared with gateway.py and service_footprint.py --


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    if q == 0.5:
        return statistics.median(ordered)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ensure_demo_image() -> None:
    """Build the demo images only when the engine has none (others may be using them)."""
    try:
        docker.from_env().images.get(WEBAPP)
    except docker.errors.ImageNotFound:
        subprocess.run([str(ROOT / "images" / "build")], check=True, stdout=subprocess.DEVNULL)


class Client:
    """One keep-alive HTTP/1.1 connection (http.client: little work on the client side)."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        self.headers = headers or {}

    def get(self, path: str) -> bytes:
        for attempt in range(2):
            try:
                self.connection.request("GET", path, headers=self.headers)
                response = self.connection.getresponse()
                body = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()  # an idle keep-alive connection the server closed
                if attempt:
                    raise
                continue
            if response.status != 200:
                raise RuntimeError(f"GET {path}: HTTP {response.status}: {body[:300]!r}")
            return body
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.connection.close()


def timed(call: Callable[[], object], runs: int, warmup: int = 10) -> list[float]:
    """Seconds of each of ``runs`` calls, one at a time, after ``warmup`` untimed ones."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        call()
        samples.append(time.perf_counter() - began)
    return samples


def wait_until_answers(
    url: str,
    timeout: float = 30,
    process: subprocess.Popen | None = None,
    headers: dict[str, str] | None = None,
) -> float:
    """Poll ``url`` every 5 ms until it answers 200 itself; seconds waited."""
    began = time.perf_counter()
    while True:
        try:
            with requests.get(url, headers=headers, allow_redirects=False, timeout=5) as response:
                if response.status_code == 200:
                    return time.perf_counter() - began
        except requests.ConnectionError:
            pass
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the process exited with {process.returncode}")
        if time.perf_counter() - began > timeout:
            raise TimeoutError(url)
        time.sleep(0.005)


@dataclass
class Service:
    """A ``remoteappmanager`` process for ``USER``, started as the Hub's spawner would:
    a process of its own (``start``), or forked from a fork server (``fork``)."""

    pid: int
    url: str  # http://127.0.0.1:<port>/user/bench/
    process: subprocess.Popen | None = None  # None when forked

    @staticmethod
    def command(workdir: Path, realm: str) -> list[str]:
        return [
            str(SERVICE),
            f"--ContainerIndex.realm={realm}",
            f"--ContainerService.workspace_root={workdir / 'workspaces'}",
        ]

    @staticmethod
    def environment(url: str, db_url: str, hub: Hub, token: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTERHUB_")}
        env.update(
            JUPYTERHUB_SERVICE_URL=url,
            JUPYTERHUB_SERVICE_PREFIX=f"/user/{USER}/",
            JUPYTERHUB_USER=USER,
            JUPYTERHUB_API_URL=hub.api_url,
            JUPYTERHUB_API_TOKEN=token,
            JUPYTERHUB_CLIENT_ID=f"jupyterhub-user-{USER}",
            REMOTEAPPMANAGER_DB_URL=db_url,
        )
        return env

    @classmethod
    def start(cls, workdir: Path, db_url: str, realm: str, hub: Hub, token: str) -> Service:
        url = f"http://127.0.0.1:{free_port()}/user/{USER}/"
        with open(workdir / "service.log", "ab") as log:
            process = subprocess.Popen(
                cls.command(workdir, realm),
                cwd=workdir,
                env=cls.environment(url, db_url, hub, token),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return cls(process.pid, url, process)

    @classmethod
    def fork(
        cls, server: ForkServer, workdir: Path, db_url: str, realm: str, hub: Hub, token: str
    ) -> Service:
        url = f"http://127.0.0.1:{free_port()}/user/{USER}/"
        env = cls.environment(url, db_url, hub, token)
        pid = asyncio.run(server.spawn(cls.command(workdir, realm), env, str(workdir)))
        return cls(pid, url)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                os.kill(self.pid, 0)  # the fork server reaps it: then this raises
                time.sleep(0.02)
            os.kill(self.pid, signal.SIGKILL)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, and SIGKILL if it is still there 10 s later."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Site:
    """A Hub, the user ``USER`` with a token, and an app database; cleaned up on exit.

    With ``deploy``, the Hub runs deploy/jupyterhub_config.py and spawns the service
    itself (as in tests/test_service_e2e.py); else the caller starts services.
    """

    def __init__(
        self,
        deploy: bool = False,
        app_origins: bool = False,
        hub_config: str = "",
        admin: bool = False,
    ) -> None:
        """``hub_config``: lines added to the Hub's configuration (with ``deploy``);
        ``admin``: ``USER`` is an admin of the Hub (and so of the site)."""
        self.deploy = deploy
        self.app_origins = app_origins
        self.hub_config = hub_config
        self.admin = admin
        self.workdir = Path(tempfile.mkdtemp(prefix="ram-bench-"))
        self.realm = f"bench-{secrets.token_hex(4)}"
        self.db_url = f"sqlite:///{self.workdir / 'app.sqlite'}"
        self.database = Database(url=self.db_url)
        self.hub: Hub | None = None
        self.services: list[Service] = []

    def __enter__(self) -> Site:
        try:
            self.database.initialise()
            with self.database.transaction() as session:
                Catalogue(session).create_user(USER)
            config, env = "", {}
            if self.deploy:
                service_config = self.workdir / "remoteappmanager_config.py"
                service_config.write_text(
                    f"c.ContainerIndex.realm = {self.realm!r}\n"
                    + ('c.ContainerService.app_origin = "http://{url_id}.{user_host}"\n'
                       if self.app_origins else "")
                )  # fmt: skip
                config = f"load_subconfig({str(ROOT / 'deploy' / 'jupyterhub_config.py')!r})\n"
                config += self.hub_config
                env = {
                    "REMOTEAPPMANAGER_DB_URL": self.db_url,
                    "REMOTEAPPMANAGER_WORKSPACES": str(self.workdir / "workspaces"),
                    "REMOTEAPPMANAGER_CONFIG": str(service_config),
                }
            self.hub = Hub.start(
                self.workdir / "hub",
                config,
                env=env,
                subdomains=self.app_origins,
                admin_users=[USER] if self.admin else [],
            )
            self.token = self.hub.api_token(USER)
        except BaseException:
            self.__exit__()
            raise
        return self

    def grant(self, image: str) -> str:
        with self.database.transaction() as session:
            catalogue = Catalogue(session)
            catalogue.create_application(image)
            return catalogue.grant(image, USER, GrantPolicy())[0].mapping_id

    def start_service(self, fork_server: ForkServer | None = None) -> Service:
        """A service of its own, or forked by ``fork_server``."""
        assert self.hub is not None
        where = (self.workdir, self.db_url, self.realm, self.hub, self.token)
        if fork_server is None:
            service = Service.start(*where)
        else:
            service = Service.fork(fork_server, *where)
        self.services.append(service)
        return service

    def __exit__(self, *exc_info: object) -> None:
        for service in self.services:
            service.stop()
        if self.hub is not None:
            self.hub.stop()
        self.database.dispose()
        engine = docker.from_env()
        for container in engine.containers.list(
            all=True, filters={"label": f"{REALM_LABEL}={self.realm}"}
        ):
            container.remove(force=True)
        shutil.rmtree(self.workdir, ignore_errors=True)


# -- the benchmark --


def docker_alone(realm: str, images: list[str], runs: int) -> list[float]:
    """What the handler asks the engine, through the same DockerClient, nothing else."""

    async def measure() -> list[float]:
        client = DockerClient()
        try:
            samples = []
            for _ in range(runs + 5):
                began = time.perf_counter()
                await asyncio.gather(
                    client.list_containers({REALM_LABEL: realm, USER_LABEL: USER}),
                    *(client.inspect_image(image) for image in images),
                )
                samples.append(time.perf_counter() - began)
            return samples[5:]
        finally:
            client.close()

    return asyncio.run(measure())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100, help="requests per figure (default 100)")
    args = parser.parse_args()
    runs = max(args.runs, 50)

    ensure_demo_image()
    engine = docker.APIClient()
    tags: list[str] = []
    try:
        with Site() as site:
            assert site.hub is not None
            service = site.start_service()
            wait_until_answers(f"{service.url}api", process=service.process)
            # The Hub's proxy routes /user/bench to the service too (a route the Hub
            # did not add, so it leaves it alone).
            requests.post(
                f"{site.hub.proxy_api_url}/api/routes/user/{USER}",
                json={"target": service.url.removesuffix(f"/user/{USER}/")},
                headers={"Authorization": f"token {site.hub.proxy_token}"},
                timeout=10,
            ).raise_for_status()
            auth = {"Authorization": f"token {site.token}"}
            direct, proxied = Client(service.url, auth), Client(site.hub.url, auth)
            path = f"/user/{USER}/api/v1/applications"

            probe = timed(lambda: direct.get(f"/user/{USER}/api"), runs)
            print(f"GET api (probe: no auth, database or Docker): p50 {ms(percentile(probe, 0.5))}")
            p50s, through_p50s = [], []
            for grants in GRANTS:
                while len(tags) < grants:
                    tag = f"remoteappmanager/bench-api-{site.realm}-{len(tags)}:latest"
                    engine.tag(WEBAPP, *tag.split(":"))
                    tags.append(tag)
                    site.grant(tag)
                label = f"{grants} grant" + "s" * (grants != 1)
                size = len(direct.get(path))
                ours, through = [], []
                for _ in range(5):  # alternating blocks: drift hits both alike
                    ours += timed(lambda: direct.get(path), runs // 5, warmup=2)
                    through += timed(lambda: proxied.get(path), runs // 5, warmup=2)
                alone = docker_alone(site.realm, tags, runs)
                p50, p90 = percentile(ours, 0.5), percentile(ours, 0.9)
                print(
                    f"GET applications, {label}: p50 {ms(p50)}, p90 {ms(p90)}"
                    f" ({size / 1024:.0f} KiB)"
                )
                print(
                    f"GET applications, {label}, through the proxy:"
                    f" p50 {ms(percentile(through, 0.5))}, p90 {ms(percentile(through, 0.9))}"
                )
                print(
                    f"for comparison, list + one inspection per image, {label}:"
                    f" p50 {ms(percentile(alone, 0.5))}"
                )
                p50s.append(p50)
                through_p50s.append(percentile(through, 0.5))
            print(f"GET applications p50, {GRANTS[-1]} grants / 1 grant: {p50s[-1] / p50s[0]:.1f}")
            share = through_p50s[0] - p50s[0]  # with 1 grant, where the noise is least
            print(f"proxy's share of GET applications (p50, 1 grant): {ms(share)}")
            direct.close()
            proxied.close()
    finally:
        for tag in tags:
            with contextlib.suppress(docker.errors.NotFound):
                engine.remove_image(tag)


if __name__ == "__main__":
    main()
