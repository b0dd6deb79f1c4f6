"""The hub image (Dockerfile-ubuntu) and docker-compose.yml, the way an operator uses them.

The image is built with `make hub-image` on the local Debian base (there is no registry
to pull ubuntu:24.04 from) and run as deploy/docker/README.md says: the host's network,
the host's Docker socket and its group, the workspaces at the same path inside and
outside, the shipped trial login of deploy/docker/site/. The operator's `remoteappdb`
runs inside the container; alice logs in through the proxy, starts the demo web app
and reads its page; a restart keeps the database (`db upgrade`, not `db init`).

Slow: the first build takes about a minute (the base image another, once). The image
stays tagged remoteappmanager/hub:test for Docker's build cache, as the base and the
demo images stay; the image a rebuild replaces is removed, and so are the hub's
container and the application containers of its realm.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest
import requests
import yaml

from remoteappmanager.docker.container import REALM_LABEL
from remoteappmanager.naming import escape_name

from .hub import Hub, free_port, login, open_server
from .support import ROOT, TEST_LABEL, unavailable

pytestmark = [pytest.mark.docker, pytest.mark.slow]

HUB_IMAGE = "remoteappmanager/hub:test"
SOCKET = Path("/var/run/docker.sock")
SITE = "/etc/remoteappmanager/site"
TEST_CONFIG = "/etc/remoteappmanager/test"  # the realm of this test's containers


def makefile_default(name: str) -> str:
    match = re.search(rf"^{name} \?= (\S+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, f"no `{name} ?= ...` in the Makefile"
    return match.group(1)


@pytest.fixture(scope="module")
def hub_image(docker_engine: Any) -> str:
    """remoteappmanager/hub:test, built by `make hub-image` on the local Debian base."""
    base = subprocess.run(
        [str(ROOT / "images" / "debian-base" / "build")], capture_output=True, text=True,
        timeout=900,
    )  # fmt: skip
    if base.returncode != 0 and os.geteuid() != 0:
        unavailable(f"the Debian base image needs root to build: {base.stderr.strip()}")
    assert base.returncode == 0, base.stderr
    previous = _image_id(docker_engine, HUB_IMAGE)
    started = time.monotonic()
    build = subprocess.run(
        ["make", "hub-image", f"BASE={base.stdout.split()[-1]}", f"HUB_IMAGE={HUB_IMAGE}"],
        cwd=ROOT, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert build.returncode == 0, (build.stdout + build.stderr)[-5000:]
    print(f"make hub-image: {time.monotonic() - started:.0f} s")
    current = _image_id(docker_engine, HUB_IMAGE)
    if previous not in (None, current):
        # The image this build replaced, unless something else still uses it.
        with suppress(docker.errors.APIError):
            if not docker_engine.images.get(previous).tags:
                docker_engine.images.remove(previous)
    return HUB_IMAGE


def _image_id(docker_engine: Any, name: str) -> str | None:
    try:
        image_id: str = docker_engine.images.get(name).id
        return image_id
    except docker.errors.ImageNotFound:
        return None


@dataclass(eq=False)
class HubContainer(Hub):
    """The Hub of the image, in its container; its log is the container's. ``realm``
    labels its application containers; ``workspaces`` is the same path for both."""

    container: Any = None
    realm: str = ""
    workspaces: Path = Path()

    def log_tail(self, n: int = 60) -> str:
        return str(self.container.logs(tail=n).decode(errors="replace"))

    def stop(self) -> None:
        self.container.stop(timeout=60)

    def wait_up(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            self.container.reload()
            assert self.container.status == "running", f"the hub stopped:\n{self.log_tail()}"
            try:
                if requests.get(self.api_url, timeout=5).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, f"no Hub after {timeout:g} s:\n{self.log_tail()}"
            time.sleep(0.5)

    def remoteappdb(self, *args: str) -> str:
        code, output = self.container.exec_run(["remoteappdb", *args])
        text = str(output.decode(errors="replace"))
        assert code == 0, f"remoteappdb {' '.join(args)}: exit {code}\n{text}"
        return text


@pytest.fixture
def hub(
    request: pytest.FixtureRequest, tmp_path: Path, docker_engine: Any, hub_image: str
) -> Iterator[HubContainer]:
    if not SOCKET.is_socket():
        unavailable(f"no Docker socket at {SOCKET} to mount into the hub's container")
    # The image's user must own the workspaces, which the engine finds at the same path.
    uid, gid = (
        int(docker_engine.containers.run(hub_image, ["id", flag], remove=True))
        for flag in ("-u", "-g")
    )
    workspaces = tmp_path / "workspaces"
    workspaces.mkdir()
    if os.geteuid() == 0:
        os.chown(workspaces, uid, gid)
    else:
        workspaces.chmod(0o777)
    realm = f"test-hub-image-{secrets.token_hex(4)}"
    config = tmp_path / "config"
    config.mkdir()
    (config / "remoteappmanager_config.py").write_text(f"c.ContainerIndex.realm = {realm!r}\n")
    ports: set[int] = set()
    while len(ports) < 3:
        ports.add(free_port())
    public, proxy_api, hub_api = ports
    password = secrets.token_hex(16)
    container = docker_engine.containers.run(
        hub_image,
        detach=True,
        name=f"remoteappmanager-hub-test-{secrets.token_hex(4)}",
        labels={TEST_LABEL: "hub-image"},
        network_mode="host",
        group_add=[str(SOCKET.stat().st_gid)],
        volumes={
            str(SOCKET): {"bind": str(SOCKET), "mode": "rw"},
            str(workspaces): {"bind": str(workspaces), "mode": "rw"},
            # The shipped trial login, and this test's realm.
            str(ROOT / "deploy" / "docker" / "site"): {"bind": SITE, "mode": "ro"},
            str(config): {"bind": TEST_CONFIG, "mode": "ro"},
        },
        environment={
            "REMOTEAPPMANAGER_HUB_BIND_URL": f"http://127.0.0.1:{public}",
            "REMOTEAPPMANAGER_HUB_API_URL": f"http://127.0.0.1:{hub_api}",
            "CONFIGPROXY_API_URL": f"http://127.0.0.1:{proxy_api}",
            "REMOTEAPPMANAGER_WORKSPACES": str(workspaces),
            "REMOTEAPPMANAGER_CONFIG": f"{TEST_CONFIG}/remoteappmanager_config.py",
            "REMOTEAPPMANAGER_TRIAL_PASSWORD": password,
            "REMOTEAPPMANAGER_TRIAL_USERS": "alice",
        },
    )
    url = f"http://127.0.0.1:{public}/"
    hub = HubContainer(
        workdir=tmp_path,
        process=None,  # type: ignore[arg-type]
        url=url,
        api_url=f"{url}hub/api",
        proxy_api_url=f"http://127.0.0.1:{proxy_api}",
        proxy_token="",  # a new random one at each start, which the Hub alone knows
        password=password,
        admin_password="",  # no administrator in this trial login
        admin_users=frozenset(),
        admin_token="",
        _proxy_api_port=proxy_api,
        container=container,
        realm=realm,
        workspaces=workspaces,
    )
    try:
        yield hub
    finally:
        report = getattr(request.node, "report_call", None)
        failed = report is None or report.failed
        apps = docker_engine.containers.list(all=True, filters={"label": f"{REALM_LABEL}={realm}"})
        for app in apps:
            if failed:
                print(f"--- logs of {app.name} ({app.status}) ---")
                print(app.logs(tail=100).decode(errors="replace"))
            app.remove(force=True)
        if failed:
            print(f"--- logs of the hub's container {container.name} ---\n{hub.log_tail(200)}")
        container.remove(force=True)


def test_the_hub_image_runs_the_whole_hub_side(
    hub: HubContainer, docker_engine: Any, demo_images: tuple[str, str]
) -> None:
    webapp, _ = demo_images
    started = time.monotonic()
    hub.wait_up()
    print(f"the hub answered {time.monotonic() - started:.1f} s after its container started")
    assert "created the database" in hub.log_tail(200)
    # The operator's commands, in the running container (its user, its database).
    hub.remoteappdb("user", "create", "alice")
    hub.remoteappdb("app", "create", webapp)
    hub.remoteappdb("app", "grant", webapp, "alice", "--allow-home")

    alice = login(hub, "alice")
    assert open_server(alice, hub, "alice").status_code == 200
    api = f"{hub.url}user/alice/api/v1/"
    apps = alice.get(f"{api}applications", timeout=30).json()["items"]
    [app] = [app for app in apps if app["name"] == "Demo web app"]
    xsrf = alice.cookies.get("_xsrf", path="/user/alice/") or ""
    started_app = alice.post(
        f"{api}containers",
        json={"mapping_id": app["mapping_id"]},
        headers={"X-XSRFToken": xsrf},
        timeout=60,
    )
    assert started_app.status_code == 201, started_app.text
    page = alice.get(f"{hub.url.rstrip('/')}{started_app.json()['url']}env.json", timeout=30)
    assert page.status_code == 200 and page.json()["JPY_USER"] == "alice"

    # The engine mounted the workspace the hub's container made, at the same path.
    [running] = docker_engine.containers.list(filters={"label": f"{REALM_LABEL}={hub.realm}"})
    workspace = hub.workspaces / escape_name("alice")
    assert workspace.is_dir()
    mounts = {mount["Destination"]: mount["Source"] for mount in running.attrs["Mounts"]}
    assert mounts["/workspace"] == str(workspace)

    # A restart keeps the state: the database is upgraded (a no-op), not made anew.
    hub.container.restart(timeout=60)
    hub.wait_up()
    assert "at the newest revision already" in hub.log_tail(100)
    assert "alice" in hub.remoteappdb("user", "list")
    assert open_server(login(hub, "alice"), hub, "alice").status_code == 200

    # `docker stop`: tini hands SIGTERM to JupyterHub, which stops in time and cleanly.
    hub.stop()
    hub.container.reload()
    assert hub.container.attrs["State"]["ExitCode"] == 0, hub.log_tail()
    running.reload()
    assert running.status == "running"  # apps outlive the hub; the fixture removes them


def test_the_entry_point_says_what_is_missing(
    tmp_path: Path, docker_engine: Any, hub_image: str
) -> None:
    socket = {str(SOCKET): {"bind": str(SOCKET), "mode": "rw"}}
    group = str(SOCKET.stat().st_gid)
    workspaces = tmp_path / "workspaces"
    workspaces.mkdir(mode=0o777)
    workspaces.chmod(0o777)  # whatever the umask

    def exit_of(**options: Any) -> tuple[int, str]:
        container = docker_engine.containers.run(
            hub_image, detach=True, labels={TEST_LABEL: "hub-image"}, **options
        )
        try:
            code = int(container.wait(timeout=60)["StatusCode"])
            return code, str(container.logs().decode(errors="replace"))
        finally:
            container.remove(force=True)

    code, log = exit_of()
    assert code == 1 and f"no Docker socket at {SOCKET}" in log
    code, log = exit_of(volumes=socket)
    assert code == 1 and f"--group-add {group}" in log, log
    code, log = exit_of(volumes=socket, group_add=[group])
    assert code == 1 and "mount the host's directory at the same path" in log, log
    code, log = exit_of(
        volumes={**socket, str(workspaces): {"bind": str(workspaces), "mode": "rw"}},
        group_add=[group],
        environment={"REMOTEAPPMANAGER_WORKSPACES": str(workspaces)},
    )
    assert code != 0 and "no site configuration at /etc/remoteappmanager/site" in log, log


def compose_command() -> list[str]:
    if (
        shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    unavailable("neither `docker compose` nor `docker-compose` (Debian's docker-compose)")
    raise AssertionError("unreachable")


def volume_pairs(volumes: list[Any]) -> list[tuple[str, str]]:
    """(source, target) of each volume, in the short syntax (docker-compose 1.x prints)
    or the long one (Compose v2)."""
    pairs = []
    for volume in volumes:
        if isinstance(volume, str):
            source, target = volume.split(":")[:2]
        else:
            source, target = volume.get("source", ""), volume["target"]
        pairs.append((source, target))
    return pairs


def test_docker_compose_yml_is_valid_and_runs_the_same_image() -> None:
    workspaces = "/srv/test-hub-image/workspaces"
    env = {
        **os.environ,
        "DOCKER_GID": "4242",
        "REMOTEAPPMANAGER_WORKSPACES": workspaces,
        "REMOTEAPPMANAGER_DB_URL": "postgresql+psycopg://ram:secret@127.0.0.1:5432/ram",
    }
    command = [*compose_command(), "--project-directory", str(ROOT), "-f", "docker-compose.yml"]
    result = subprocess.run(
        [*command, "--profile", "postgres", "config"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]

    hub = services["hub"]
    assert hub["build"]["dockerfile"] == "Dockerfile-ubuntu"
    assert Path(hub["build"]["context"]) == ROOT
    assert hub["image"] == makefile_default("HUB_IMAGE")  # what `make hub-image` builds
    # The image's own entry point, as `docker run` uses it.
    assert "entrypoint" not in hub and "command" not in hub
    assert hub["network_mode"] == "host"
    assert [str(group) for group in hub["group_add"]] == ["4242"]
    volumes = volume_pairs(hub["volumes"])
    assert ("/var/run/docker.sock", "/var/run/docker.sock") in volumes
    assert (workspaces, workspaces) in volumes  # the same path on both sides
    assert hub["environment"]["REMOTEAPPMANAGER_WORKSPACES"] == workspaces
    assert hub["environment"]["REMOTEAPPMANAGER_DB_URL"].startswith("postgresql+psycopg://")
    assert Path(SITE) in {Path(target) for _, target in volumes}

    postgres = services["postgres"]
    assert postgres["profiles"] == ["postgres"]
    ports = json.dumps(postgres["ports"])
    assert "127.0.0.1" in ports  # never on every interface of the host


def test_the_image_pins_the_proxy_the_tests_run() -> None:
    def version(path: Path) -> str:
        return str(json.loads(path.read_text())["dependencies"]["configurable-http-proxy"])

    image = ROOT / "deploy" / "docker" / "proxy"
    assert version(image / "package.json") == version(ROOT / "package.json")
    lock = json.loads((image / "package-lock.json").read_text())["packages"]
    assert lock["node_modules/configurable-http-proxy"]["version"] == version(ROOT / "package.json")
