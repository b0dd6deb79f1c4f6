"""Fixtures shared by the tests, and the pytest hooks; the helpers and constants the
tests import are in tests/support.py.

Services the tests need (a Docker engine, a PostgreSQL server) are real. When one
is missing a test skips with the reason, except when
``REMOTEAPPMANAGER_TEST_REQUIRE_SERVICES=1`` (set by ``.ci/run``): then it fails.

- ``db_url``: URL of a new, empty database; parametrised over SQLite (a file
  in ``tmp_path``) and PostgreSQL (a fresh database on the server named by
  ``REMOTEAPPMANAGER_TEST_POSTGRES_URL``, dropped afterwards).
- ``database``: a `Database` on ``db_url``, initialised at the newest revision.
- ``sqlite_url``: like ``db_url``, SQLite only, for tests of SQLite's own behaviour.
- ``postgres_url``: like ``db_url``, PostgreSQL only (skips, or fails in CI, without
  a server).
- ``remoteappdb``: runs the ``remoteappdb`` console script in a subprocess on
  ``db_url`` and returns the completed process.
- ``snapshot``: every row of every table of a database, to show nothing changed.
- ``docker_engine``: a docker SDK client to the running engine.
- ``busybox_image``: a tiny local image (``FROM scratch`` + Debian's busybox-static),
  removed afterwards.
- ``demo_images``: the demo app images of ``images/``, built by ``images/build``.
- ``real_app_images``: the remote desktop and JupyterLab images of ``images/``.
- ``static_site_images``: two images of a static site that knows nothing of prefixes,
  ``labelled`` (port and strip-prefix labels) and ``unlabelled`` (port only).
- ``containers``: a `ContainerService` on ``database`` (SQLite) and the real engine,
  in a realm of its own; every container of that realm is removed afterwards, and
  the logs of each are printed when the test failed.
- ``grant``: makes a user, an application and a grant; returns the mapping id.
- ``proxy``: a configurable-http-proxy of its own (no Hub).
- ``router``: starts ``remoteappmanager-router`` processes on ``proxy``.

The processes the harness starts (a Hub of tests/hub.py and its proxy, ``proxy``,
``router``) are in tests/processes.py's record (`HARNESS_PROCESSES`) while they run. At the
start of each session, `pytest_sessionstart` ends, and reports in red, those that a
session killed before its teardown left behind.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from remoteappmanager.db import Database
from remoteappmanager.docker import DockerClient
from remoteappmanager.docker.container import REALM_LABEL
from remoteappmanager.docker.image import LABEL_PREFIX
from remoteappmanager.errors import AlreadyExists
from remoteappmanager.services.catalogue import Catalogue
from remoteappmanager.services.container_index import ContainerIndex
from remoteappmanager.services.containers import ContainerService
from remoteappmanager.services.policy import GrantPolicy

from .hub import CHP, free_port
from .processes import HARNESS_PROCESSES, Started
from .support import (
    DEMO_DESKTOP,
    DEMO_WEBAPP,
    POSTGRES_URL_ENV,
    REAL_DESKTOP,
    REAL_JUPYTERLAB,
    REMOTEAPPDB,
    ROOT,
    ROUTER,
    TEST_LABEL,
    Proxy,
    built_images,
    stop_router,
    unavailable,
)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'app.sqlite'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    server_url = os.environ.get(POSTGRES_URL_ENV)
    if not server_url:
        unavailable(f"${POSTGRES_URL_ENV} names no PostgreSQL server (bash .ci/run sets it)")
    assert server_url is not None
    name = f"ram_test_{secrets.token_hex(6)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any failure to reach the server
        admin.dispose()
        unavailable(f"PostgreSQL at {make_url(server_url).render_as_string()}: {exc}")
    yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        # Not WITH (FORCE): it must be allowed to signal every backend in the database,
        # and an autovacuum worker there made it fail for a role without superuser.
        # End the test's own leftover connections; plain DROP waits for them and
        # stops autovacuum itself.
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = :name AND usename = current_user AND pid <> pg_backend_pid()"
            ),
            {"name": name},
        )
        connection.execute(text(f'DROP DATABASE "{name}"'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def db_url(request: pytest.FixtureRequest) -> str:
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = Database(url=db_url)
    database.initialise()
    yield database
    database.dispose()


@pytest.fixture
def remoteappdb(db_url: str, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Runs the command on the test's database, with a site configuration that allows
    volumes from /srv."""
    site_config = tmp_path / "remoteappmanager_config.py"
    site_config.write_text('c.Policy.allowed_volume_roots = ["/srv"]\n')

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [REMOTEAPPDB, "--db", db_url, "--config", str(site_config), *args],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, **(env or {})},
        )

    return run


@pytest.fixture
def snapshot() -> Callable[[str], dict[str, list[tuple[Any, ...]]]]:
    def take(url: str) -> dict[str, list[tuple[Any, ...]]]:
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                return {
                    table: sorted(
                        tuple(row) for row in connection.execute(text(f"SELECT * FROM {table}"))
                    )
                    for table in inspect(connection).get_table_names()
                }
        finally:
            engine.dispose()

    return take


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[Any]:
    import docker

    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except Exception as exc:
        unavailable(f"no Docker engine answers ({exc}); bash .ci/run starts one")
    yield client
    client.close()


@pytest.fixture(scope="session")
def busybox_image(docker_engine: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    busybox = shutil.which("busybox")
    if busybox is None:
        unavailable("no busybox binary (Debian package busybox-static)")
    assert busybox is not None
    context = tmp_path_factory.mktemp("busybox-image")
    shutil.copy(busybox, context / "busybox")
    (context / "Dockerfile").write_text(
        f'FROM scratch\nCOPY busybox /bin/busybox\nLABEL {TEST_LABEL}="1"\n'
        'ENTRYPOINT ["/bin/busybox"]\n'
    )
    tag = f"remoteappmanager-test/busybox:{secrets.token_hex(4)}"
    docker_engine.images.build(path=str(context), tag=tag, rm=True)
    yield tag
    docker_engine.images.remove(tag, force=True)


@pytest.fixture(scope="session")
def demo_images(docker_engine: Any) -> tuple[str, str]:
    result = subprocess.run(
        [str(ROOT / "images" / "build")], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return DEMO_WEBAPP, DEMO_DESKTOP


@pytest.fixture(scope="session")
def real_app_images(docker_engine: Any) -> tuple[str, str]:
    """Built by ``images/build`` (the Debian base first, if missing): minutes the
    first time on a machine, seconds once Docker's build cache has them."""
    built = subprocess.run(
        [str(ROOT / "images" / "build"), "desktop", "jupyterlab"],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    return REAL_DESKTOP, REAL_JUPYTERLAB


@pytest.fixture(scope="session")
def static_site_images(demo_images: Any, docker_engine: Any, tmp_path_factory: Any) -> Any:
    """A static site that serves at / on port 8080 and knows nothing of prefixes, like
    ``python -m http.server``: ``labelled`` says so (port, strip-prefix), ``unlabelled``
    does not."""
    context = tmp_path_factory.mktemp("static-site")
    (context / "run.sh").write_text(
        "mkdir -p /tmp/www && echo 'a static site' > /tmp/www/index.html && "
        "exec httpd -f -p 8080 -h /tmp/www\n"
    )
    labels = {
        "labelled": f"LABEL {LABEL_PREFIX}port=8080 {LABEL_PREFIX}strip-prefix=true "
        f'{LABEL_PREFIX}ui_name="Static site"\n',
        "unlabelled": f"LABEL {LABEL_PREFIX}port=8080\n",
    }
    with built_images(docker_engine) as build:
        yield {
            name: build(
                context,
                f"FROM {DEMO_WEBAPP}\nCOPY run.sh /run.sh\n{label}"
                'ENTRYPOINT ["/bin/busybox", "sh", "/run.sh"]\n',
                f"remoteappmanager-test/static-{name}:latest",
            )
            for name, label in labels.items()
        }


@pytest.hookimpl(wrapper=True)
def pytest_sessionstart(session: pytest.Session) -> Iterator[None]:
    yield  # after the terminal's header
    terminal = session.config.pluginmanager.get_plugin("terminalreporter")

    def report(message: str) -> None:
        line = f"REAPER (a test run was killed before its teardown): {message}"
        if terminal is None:
            print(line, file=sys.stderr)
        else:
            terminal.write_line(line, red=True, bold=True)

    HARNESS_PROCESSES.reap(report)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Tests that restart the Docker engine go last, where they disturb nothing.
    items.sort(key=lambda item: item.get_closest_marker("engine_restart") is not None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    # Lets fixtures see whether the test failed (to print container logs).
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def containers(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_url: str, docker_engine: Any
) -> Iterator[ContainerService]:
    database = Database(url=sqlite_url)
    database.initialise()
    realm = f"test-{secrets.token_hex(6)}"
    docker = DockerClient()
    service = ContainerService(
        database=database,
        docker=docker,
        index=ContainerIndex(docker=docker, realm=realm),
        workspace_root=str(tmp_path / "workspaces"),
        start_timeout=15.0,
    )
    service.policy.allowed_volume_roots = [str(tmp_path)]
    yield service
    failed = getattr(request.node, "report_call", None)
    for container in docker_engine.containers.list(
        all=True, filters={"label": f"{REALM_LABEL}={realm}"}
    ):
        if failed is not None and failed.failed:
            print(f"--- logs of {container.name} ({container.status}) ---")
            print(container.logs(tail=100).decode(errors="replace"))
        container.remove(force=True)
    service.docker.close()
    database.dispose()


@pytest.fixture
def grant(containers: ContainerService) -> Callable[..., str]:
    def make(user: str, image: str, policy: GrantPolicy | None = None) -> str:
        with containers.database.transaction() as session:
            catalogue = Catalogue(session)
            # Several grants may share a user or an application.
            with suppress(AlreadyExists):
                catalogue.create_user(user)
            with suppress(AlreadyExists):
                catalogue.create_application(image)
            made, _ = catalogue.grant(image, user, policy or GrantPolicy())
            return made.mapping_id

    return make


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[Proxy]:
    """A configurable-http-proxy of its own (no Hub), on free loopback ports."""
    if not os.access(CHP, os.X_OK):
        pytest.fail(f"{CHP} is missing: run `npm ci` (make test does)")
    port, api_port = free_port(), free_port()
    token = secrets.token_hex(32)
    with open(tmp_path / "chp.log", "wb") as log:
        process = subprocess.Popen(
            [str(CHP), "--ip=127.0.0.1", f"--port={port}", f"--api-port={api_port}"],
            env={**os.environ, "CONFIGPROXY_AUTH_TOKEN": token},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    recorded = HARNESS_PROCESSES.add(process.pid, f"the proxy fixture's CHP in {tmp_path}")
    running = Proxy(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{api_port}", token)
    deadline = time.monotonic() + 30
    while True:
        try:
            running.routes()
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline, (tmp_path / "chp.log").read_text()
            time.sleep(0.1)
    yield running
    process.terminate()
    process.wait(10)
    HARNESS_PROCESSES.remove(recorded)


@pytest.fixture
def router(proxy: Proxy, tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """Starts ``remoteappmanager-router`` for a realm on ``proxy``, with more config
    lines; stopped at the end of the test if the test has not stopped it."""
    started: list[subprocess.Popen[str]] = []

    def start(realm: str, *config: str) -> subprocess.Popen[str]:
        config_file = tmp_path / "router_config.py"
        lines = (f"c.ContainerIndex.realm = {realm!r}", *config)
        config_file.write_text("\n".join(lines) + "\n")
        env = {
            **os.environ,
            "CONFIGPROXY_API_URL": proxy.api_url,
            "CONFIGPROXY_AUTH_TOKEN": proxy.token,
        }
        process = subprocess.Popen(
            [str(ROUTER), f"--config={config_file}"], env=env, stderr=subprocess.PIPE, text=True
        )
        started.append(process)
        recorded.append(HARNESS_PROCESSES.add(process.pid, f"a router of the tests in {tmp_path}"))
        return process

    recorded: list[Started | None] = []
    yield start
    for process in started:
        if process.poll() is None:
            stop_router(process)
    HARNESS_PROCESSES.remove(*recorded)
