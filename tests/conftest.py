"""Fixtures shared by the tests.

Services the tests need (a Docker engine, a PostgreSQL server) are real. When one
is missing a test skips with the reason, except when
``REMOTEAPPMANAGER_TEST_REQUIRE_SERVICES=1`` (set by ``.ci/run``): then it fails.

- ``db_url``: URL of a new, empty database; parametrised over SQLite (a file
  in ``tmp_path``) and PostgreSQL (a fresh database on the server named by
  ``REMOTEAPPMANAGER_TEST_POSTGRES_URL``, dropped afterwards).
- ``database``: a `Database` on ``db_url``, initialised at the newest revision.
- ``sqlite_url``: like ``db_url``, SQLite only, for tests of SQLite's own behaviour.
- ``remoteappdb``: runs the ``remoteappdb`` console script in a subprocess on
  ``db_url`` and returns the completed process.
- ``snapshot``: every row of every table of a database, to show nothing changed.
- ``docker_engine``: a docker SDK client to the running engine.
- ``busybox_image``: a tiny local image (``FROM scratch`` + Debian's busybox-static),
  removed afterwards.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from remoteappmanager.db import Database

POSTGRES_URL_ENV = "REMOTEAPPMANAGER_TEST_POSTGRES_URL"
REMOTEAPPDB = str(Path(sys.executable).with_name("remoteappdb"))
TEST_LABEL = "org.remoteappmanager.test"


def unavailable(reason: str) -> None:
    """Skip, or fail when CI asked for every service to be there."""
    if os.environ.get("REMOTEAPPMANAGER_TEST_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(f"SKIPPED, service missing: {reason}")


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
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
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
def remoteappdb(db_url: str) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [REMOTEAPPDB, "--db", db_url, *args],
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
