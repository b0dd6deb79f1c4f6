"""A scale run on this machine: 200 running apps on one engine, the admin list of
them, and 50 users starting at once.

    python bench/scale.py [--apps 200] [--users 50] [--runs 20]

1. One user with ``--apps`` grants (the demo web app tagged that many times) starts
   them all through the REST API of their own service (10 requests at a time), a
   real Hub (tests/hub.py) checking the token; the time of each start, and the
   service's memory once they run.
2. ``GET api/v1/admin/containers?limit=<apps>`` on that service (the user is a Hub
   admin), p50 and p90 of ``--runs``, against the engine's own list of the same
   containers (one docker SDK call) in the same run.
3. ``--users`` users, one grant each, start at once through ContainerService (the
   launcher every service uses), against as many raw ``docker create`` + ``start``
   at once, each polled until it answers; the errors are counted.

Bounded: everything runs on loopback, every container is labelled with the run's
realm (or the raw label) and removed at the end, with the image tags. Needs a Docker
engine and node_modules (npm ci); prints one line per figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from concurrent.futures import ThreadPoolExecutor

import docker
import requests
from api_latency import (
    USER,
    WEBAPP,
    Client,
    Site,
    ensure_demo_image,
    percentile,
    wait_until_answers,
)
from service_footprint import status_mb
from start_latency import clean_up, raw_start

from remoteappmanager.docker import DockerClient
from remoteappmanager.docker.container import REALM_LABEL
from remoteappmanager.services.catalogue import Catalogue
from remoteappmanager.services.container_index import ContainerIndex
from remoteappmanager.services.containers import ContainerService
from remoteappmanager.services.policy import GrantPolicy


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def many_apps(site: Site, apps: int, runs: int, tags: list[str]) -> None:
    engine = docker.APIClient()
    mapping_ids = []
    for n in range(apps):
        tag = f"remoteappmanager/bench-scale-{site.realm}-{n}:latest"
        engine.tag(WEBAPP, *tag.split(":"))
        tags.append(tag)
        mapping_ids.append(site.grant(tag))
    service = site.start_service()
    wait_until_answers(f"{service.url}api", process=service.process)
    headers = {"Authorization": f"token {site.token}"}

    def start(mapping_id: str) -> float:
        began = time.perf_counter()
        started = requests.post(
            f"{service.url}api/v1/containers",
            json={"mapping_id": mapping_id},
            headers=headers,
            timeout=120,
        )
        assert started.status_code == 201, started.text
        return time.perf_counter() - began

    began = time.perf_counter()
    with ThreadPoolExecutor(10) as pool:
        starts = list(pool.map(start, mapping_ids))
    wall = time.perf_counter() - began
    print(
        f"{apps} apps started through one service, 10 at a time: {wall:.1f} s in all, "
        f"each p50 {ms(percentile(starts, 0.5))}, p90 {ms(percentile(starts, 0.9))}"
    )
    running = engine.containers(filters={"label": f"{REALM_LABEL}={site.realm}"})
    print(f"running on the engine: {len(running)}")
    rss = status_mb(service.pid, "VmRSS")
    print(f"the service's RSS with {apps} apps running: {rss:.1f} MB")

    client = Client(service.url, headers)
    path = f"/user/{USER}/api/v1/admin/containers?limit={apps}"
    listed: list[float] = []
    for _ in range(runs + 3):
        began = time.perf_counter()
        body = client.get(path)
        listed.append(time.perf_counter() - began)
    client.close()
    listed = listed[3:]
    raw: list[float] = []
    for _ in range(runs + 3):
        began = time.perf_counter()
        engine.containers(filters={"label": f"{REALM_LABEL}={site.realm}"})
        raw.append(time.perf_counter() - began)
    raw = raw[3:]
    print(
        f"GET admin/containers?limit={apps} ({len(body) / 1024:.0f} KiB): "
        f"p50 {ms(percentile(listed, 0.5))}, p90 {ms(percentile(listed, 0.9))}; "
        f"the engine's list alone p50 {ms(percentile(raw, 0.5))}"
    )


async def users_at_once(site: Site, users: int) -> None:
    names = [f"scale{n}" for n in range(users)]
    with site.database.transaction() as session:
        catalogue = Catalogue(session)
        catalogue.create_application(WEBAPP)
        grants = {}
        for name in names:
            catalogue.create_user(name)
            grants[name] = catalogue.grant(WEBAPP, name, GrantPolicy())[0].mapping_id
    docker_client = DockerClient()
    service = ContainerService(
        database=site.database,
        docker=docker_client,
        index=ContainerIndex(docker=docker_client, realm=site.realm),
        workspace_root=str(site.workdir / "workspaces"),
    )
    errors: list[BaseException] = []

    async def start(name: str) -> None:
        try:
            await service.start(name, grants[name])
        except Exception as error:  # counted: the figure is how many fail
            errors.append(error)

    began = time.perf_counter()
    await asyncio.gather(*(start(name) for name in names))
    ours = time.perf_counter() - began
    docker_client.close()

    engine = docker.APIClient()
    began = time.perf_counter()
    raw_errors = 0
    with ThreadPoolExecutor(users) as pool:
        for done in [pool.submit(raw_start, engine, WEBAPP) for _ in range(users)]:
            with contextlib.suppress(Exception):
                done.result()
                continue
            raw_errors += 1
    raw = time.perf_counter() - began
    print(
        f"{users} users starting at once: every start done in {ours:.1f} s, "
        f"{len(errors)} failed; {users} raw docker starts at once: {raw:.1f} s, "
        f"{raw_errors} failed; ratio {ours / raw:.2f}"
    )
    for error in errors[:3]:
        print(f"  a failure: {error!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--apps", type=int, default=200, help="apps of one user (default 200)")
    parser.add_argument("--users", type=int, default=50, help="users at once (default 50)")
    parser.add_argument("--runs", type=int, default=20, help="admin lists timed (default 20)")
    args = parser.parse_args()
    ensure_demo_image()
    tags: list[str] = []
    engine = docker.APIClient()
    try:
        with Site(admin=True) as site:
            many_apps(site, args.apps, args.runs, tags)
            clean_up(engine, site.realm)
            asyncio.run(users_at_once(site, args.users))
            clean_up(engine, site.realm)
    finally:
        for tag in tags:
            with contextlib.suppress(docker.errors.NotFound):
                engine.remove_image(tag)


if __name__ == "__main__":
    main()
