"""How long a start and a stop take, against raw Docker on the same machine.

    python bench/start_latency.py [--runs 20] [--real-only]

Every figure is measured in this run: the raw baseline is the docker SDK creating
and starting the same image, published the same way, polled the same way until
its first answer (a 2xx, or a 3xx as JupyterLab's redirect to its page) on the
port and path its labels give (``port``, ``strip-prefix``, ``ready-path``). Needs a
running Docker engine; builds the demo images and the real ones (the noVNC desktop,
JupyterLab, Streamlit, Panel and code-server: ``images/build desktop jupyterlab
streamlit panel code-server``)
first. Prints one line per figure; ``--real-only`` measures only the real images.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docker

from remoteappmanager.db import Database
from remoteappmanager.docker import DockerClient
from remoteappmanager.docker.container import REALM_LABEL
from remoteappmanager.docker.image import Serving
from remoteappmanager.services.catalogue import Catalogue
from remoteappmanager.services.container_index import ContainerIndex
from remoteappmanager.services.containers import ContainerService
from remoteappmanager.services.policy import GrantPolicy

ROOT = Path(__file__).resolve().parents[1]
WEBAPP = "remoteappmanager/demo-webapp:latest"
# The real applications, on the Debian base: a noVNC desktop, JupyterLab, and three
# third-party apps with their upstream defaults.
REAL_IMAGES = {
    "desktop": "remoteappmanager/desktop:latest",
    "jupyterlab": "remoteappmanager/jupyterlab:latest",
    "streamlit": "remoteappmanager/streamlit:latest",
    "panel": "remoteappmanager/panel:latest",
    "code-server": "remoteappmanager/code-server:latest",
}
STUBBORN = "remoteappmanager/bench-stubborn:latest"
RAW_LABEL = "org.remoteappmanager.bench"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # a redirect is an answer, as for ContainerService


OPENER = urllib.request.build_opener(NoRedirect)


def poll_until_ok(url: str, timeout: float = 30.0) -> None:
    """The same schedule and test as ContainerService: 5 ms, growing by 1.5 up to
    100 ms, until a 2xx or 3xx."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        try:
            with OPENER.open(url, timeout=5):
                return
        except urllib.error.HTTPError as error:
            if error.code < 400:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(url) from None
            time.sleep(delay)
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise TimeoutError(url) from None
            time.sleep(delay)
            delay = min(delay * 1.5, 0.1)


def build_stubborn_image(workdir: Path) -> None:
    """The demo web app, but deaf to SIGTERM: only the kill after the grace ends it."""
    (workdir / "Dockerfile").write_text(
        f"FROM {WEBAPP}\n"
        'ENTRYPOINT ["/bin/sh", "-c", "trap \'\' TERM; /bin/sh /opt/demo/entrypoint.sh & wait"]\n'
    )
    docker.from_env().images.build(path=str(workdir), tag=STUBBORN, rm=True)


def raw_start(client: docker.APIClient, image: str) -> str:
    """docker create + start, publish the app's port on loopback, wait for the first
    answer where it is ready."""
    serving = Serving.from_labels(client.inspect_image(image)["Config"].get("Labels") or {})
    url_id = secrets.token_hex(16)
    prefix = "/" if serving.strip_prefix else f"/user/raw/containers/{url_id}/"
    config = client.create_host_config(port_bindings={serving.port: ("127.0.0.1", None)}, init=True)
    created = client.create_container(
        image,
        environment={
            "JPY_BASE_USER_URL": "/user/raw",
            "URL_ID": url_id,
            "JPY_USER": "raw",
            "USER": "raw",
        },
        labels={RAW_LABEL: "1"},
        ports=[serving.port],
        host_config=config,
        detach=True,
    )
    client.start(created["Id"])
    port = client.port(created["Id"], serving.port)[0]["HostPort"]
    poll_until_ok(f"http://127.0.0.1:{port}{prefix}{serving.ready_path}")
    return str(created["Id"])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def median_p90(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


def clean_up(client: docker.APIClient, realm: str) -> None:
    for labels in ({RAW_LABEL: "1"}, {REALM_LABEL: realm}):
        filters = {"label": [f"{k}={v}" for k, v in labels.items()]}
        for container in client.containers(all=True, filters=filters):
            client.remove_container(container["Id"], force=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="runs per figure (default 20)")
    parser.add_argument(
        "--real-only", action="store_true", help="only the figures of the real images"
    )
    args = parser.parse_args()

    subprocess.run([str(ROOT / "images" / "build")], check=True, stdout=subprocess.DEVNULL)
    # Minutes the first time on a machine (the Debian base, then the images), seconds
    # after; its progress goes to stderr, the figures alone to stdout.
    subprocess.run([str(ROOT / "images" / "build"), *REAL_IMAGES], check=True, stdout=sys.stderr)
    client = docker.APIClient()
    workdir = Path(tempfile.mkdtemp(prefix="ram-bench-"))
    database = Database(url=f"sqlite:///{workdir / 'bench.sqlite'}")
    database.initialise()
    realm = f"bench-{secrets.token_hex(4)}"
    engine = DockerClient()
    service = ContainerService(
        database=database,
        docker=engine,
        index=ContainerIndex(docker=engine, realm=realm),
        workspace_root=str(workdir / "workspaces"),
    )
    # Ten users with the web app, and one user with ten apps (ten tags of one image).
    images = [f"remoteappmanager/bench-app-{n}:latest" for n in range(10)]
    for image in images:
        client.tag(WEBAPP, *image.split(":"))
    build_stubborn_image(workdir)
    with database.transaction() as session:
        catalogue = Catalogue(session)
        catalogue.create_application(WEBAPP)
        for image in images:
            catalogue.create_application(image)
        users = [f"user{n}" for n in range(10)]
        for user in [*users, "solo"]:
            catalogue.create_user(user)
        per_user = {u: catalogue.grant(WEBAPP, u, GrantPolicy())[0].mapping_id for u in users}
        solo = [catalogue.grant(image, "solo", GrantPolicy())[0].mapping_id for image in images]
        catalogue.create_application(STUBBORN)
        stubborn = catalogue.grant(STUBBORN, "solo", GrantPolicy())[0].mapping_id
        real = {}
        for label, image in REAL_IMAGES.items():
            catalogue.create_application(image)
            real[label] = catalogue.grant(image, "user0", GrantPolicy())[0].mapping_id
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(16)

    def raw() -> Awaitable[object]:
        return loop.run_in_executor(pool, raw_start, client, WEBAPP)

    async def wall(starts: list[Callable[[], Awaitable[object]]]) -> float:
        """Seconds until every start of the list, launched at once, is done."""
        began = time.perf_counter()
        await asyncio.gather(*(start() for start in starts))
        elapsed = time.perf_counter() - began
        clean_up(client, realm)
        return elapsed

    try:
        # The real images: start to ready, through the service (which adds the limits:
        # 1 CPU, 2 GB, no-new-privileges) and raw, alternating; then the service's stop.
        for label, mapping_id in real.items():
            image = REAL_IMAGES[label]
            raw_times, our_times, stops = [], [], []
            for _ in range(args.runs):
                raw_times.append(
                    await wall([lambda i=image: loop.run_in_executor(pool, raw_start, client, i)])
                )
                began = time.perf_counter()
                container, _ = await service.start("user0", mapping_id)
                our_times.append(time.perf_counter() - began)
                began = time.perf_counter()
                await service.stop("user0", container.url_id)
                stops.append(time.perf_counter() - began)
            raw_median, raw_p90 = median_p90(raw_times)
            our_median, our_p90 = median_p90(our_times)
            stop_median, _ = median_p90(stops)
            raw_figure = f"{ms(raw_median)} median, {ms(raw_p90)} p90"
            our_figure = f"{ms(our_median)} median, {ms(our_p90)} p90"
            print(f"{label}: raw docker start to first answer: {raw_figure}")
            print(f"{label}: ContainerService.start to ready: {our_figure}")
            print(f"{label}: start overhead: {ms(our_median - raw_median)}")
            print(f"{label}: stop: {ms(stop_median)} median")
        if args.real_only:
            return

        # One start at a time, alternating raw and service so drift hits both alike.
        raw_times, our_times = [], []
        for _ in range(args.runs):
            raw_times.append(await wall([raw]))
            our_times.append(await wall([lambda: service.start("user0", per_user["user0"])]))
        raw_median, raw_p90 = median_p90(raw_times)
        our_median, our_p90 = median_p90(our_times)
        print(f"raw docker start to first 200: {ms(raw_median)} median, {ms(raw_p90)} p90")
        print(f"ContainerService.start to ready: {ms(our_median)} median, {ms(our_p90)} p90")
        print(f"start overhead: {ms(our_median - raw_median)}")

        rounds = max(3, args.runs // 4)
        ten_users = [lambda u=u: service.start(u, per_user[u]) for u in users]
        one_user = [lambda m=m: service.start("solo", m) for m in solo]
        for label, starts in (("ten-user", ten_users), ("one-user", one_user)):
            raw_walls, our_walls = [], []
            for _ in range(rounds):
                raw_walls.append(await wall([raw] * 10))
                our_walls.append(await wall(starts))
            raw_wall, our_wall = statistics.median(raw_walls), statistics.median(our_walls)
            print(f"{label} 10 starts at once: raw {ms(raw_wall)}, service {ms(our_wall)}")
            print(f"{label} concurrent ratio: {our_wall / raw_wall:.2f}")

        for label, mapping_id, user in (
            ("app honours SIGTERM", per_user["user0"], "user0"),
            (f"app ignores SIGTERM, grace {service.stop_grace:g} s", stubborn, "solo"),
        ):
            stops = []
            for _ in range(max(5, args.runs // 2)):
                container, _ = await service.start(user, mapping_id)
                began = time.perf_counter()
                await service.stop(user, container.url_id)
                stops.append(time.perf_counter() - began)
            stop_median, stop_p90 = median_p90(stops)
            print(f"stop ({label}): {ms(stop_median)} median, {ms(stop_p90)} p90")
    finally:
        clean_up(client, realm)
        for image in [*images, STUBBORN]:
            client.remove_image(image)
        service.docker.close()
        database.dispose()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
