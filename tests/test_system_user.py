"""SystemUserSpawner end to end: the service runs as the user's unix account, and the
user's home directory is the workspace of their apps.

Needs root (the Hub becomes the user to start the service), a unix account named by
``$REMOTEAPPMANAGER_TEST_SYSTEM_USER`` that may use the Docker engine (``.ci/run``
makes ``ramtest``), and Debian's ``/usr/bin/python3`` of this interpreter's version:
the project's own interpreter may live where other users cannot go (under /root).
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from remoteappmanager.db import Database
from remoteappmanager.docker.container import REALM_LABEL
from remoteappmanager.services.catalogue import Catalogue
from remoteappmanager.services.policy import GrantPolicy

from .hub import Hub
from .site import HUB_CONFIG, Site, app_url, start
from .support import DEMO_WEBAPP, unavailable

pytestmark = [pytest.mark.docker, pytest.mark.slow]

SYSTEM_PYTHON = Path("/usr/bin/python3")


@pytest.fixture
def unix_user() -> pwd.struct_passwd:
    name = os.environ.get("REMOTEAPPMANAGER_TEST_SYSTEM_USER")
    if os.geteuid() != 0 or not name:
        unavailable("root and $REMOTEAPPMANAGER_TEST_SYSTEM_USER (a unix account) are needed")
    assert name is not None
    try:
        return pwd.getpwnam(name)
    except KeyError:
        pytest.fail(f"$REMOTEAPPMANAGER_TEST_SYSTEM_USER names {name!r}, who does not exist")


@pytest.fixture
def shared_dir(unix_user: pwd.struct_passwd) -> Iterator[Path]:
    """A directory the user owns and the Hub (root) reads: app DB and service config."""
    path = Path(tempfile.mkdtemp(prefix="remoteappmanager-system-user-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


@pytest.fixture
def user_python(shared_dir: Path) -> str:
    """Debian's python3 in a venv that sees this project's packages."""
    version = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", "import sys; print(sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if version != str(sys.version_info[:2]):
        unavailable(
            f"{SYSTEM_PYTHON} {version or '(missing)'} is not Python {sys.version_info[:2]}"
        )
    venv = shared_dir / "venv"
    subprocess.run([str(SYSTEM_PYTHON), "-m", "venv", "--without-pip", str(venv)], check=True)
    [site_packages] = venv.glob("lib/python*/site-packages")
    ours = sysconfig.get_path("purelib")  # processed as a site dir: editable installs too
    (site_packages / "remoteappmanager-test.pth").write_text(
        f"import site; site.addsitedir({ours!r})\n"
    )
    return str(venv / "bin" / "python")


@pytest.fixture
def site(
    tmp_path: Path,
    unix_user: pwd.struct_passwd,
    shared_dir: Path,
    user_python: str,
    demo_images: Any,
    docker_engine: Any,
) -> Iterator[Site]:
    name = unix_user.pw_name
    realm = f"test-{secrets.token_hex(6)}"
    db_url = f"sqlite:///{shared_dir / 'app.sqlite'}"
    database = Database(url=db_url)
    database.initialise()
    with database.transaction() as session:
        catalogue = Catalogue(session)
        catalogue.create_application(DEMO_WEBAPP)
        catalogue.create_user(name)
        grant, _ = catalogue.grant(DEMO_WEBAPP, name, GrantPolicy(allow_home=True))
    database.dispose()
    config = shared_dir / "remoteappmanager_config.py"
    config.write_text(f"c.ContainerIndex.realm = {realm!r}\nc.ActivityReporter.interval = 0\n")
    os.chown(shared_dir, unix_user.pw_uid, unix_user.pw_gid)  # SQLite writes beside the DB
    os.chown(shared_dir / "app.sqlite", unix_user.pw_uid, unix_user.pw_gid)
    env = {"REMOTEAPPMANAGER_DB_URL": db_url, "REMOTEAPPMANAGER_CONFIG": str(config)}
    hub_config = (
        HUB_CONFIG
        + 'c.JupyterHub.spawner_class = "remoteappmanager.jupyterhub.spawners.SystemUserSpawner"\n'
        + f'c.SystemUserSpawner.cmd = [{user_python!r}, "-m", "remoteappmanager"]\n'
    )
    hub = Hub.start(tmp_path, hub_config, env=env)
    site = Site(hub, realm, {name: grant.mapping_id}, env)
    try:
        yield site
    finally:
        site.hub.stop()
        for container in docker_engine.containers.list(
            all=True, filters={"label": f"{REALM_LABEL}={realm}"}
        ):
            print(container.logs(tail=20).decode(errors="replace"))
            container.remove(force=True)
        print(f"--- end of hub.log ---\n{site.hub.log_tail(100)}")


def test_the_service_runs_as_the_user_and_the_home_is_the_workspace(
    site: Site, unix_user: pwd.struct_passwd
) -> None:
    name = unix_user.pw_name
    marker = Path(unix_user.pw_dir, f"remoteappmanager-test-{secrets.token_hex(4)}")
    marker.write_text("from the home directory\n")
    os.chown(marker, unix_user.pw_uid, unix_user.pw_gid)
    try:
        container = start(site, name)
        page = site.session(name).get(app_url(site, container, "env.json"), timeout=30)
        assert page.status_code == 200, page.text
        env = page.json()
        assert (env["JPY_USER"], env["URL_ID"]) == (name, container["url_id"])
        assert marker.name in env["workspace"]
        assert service_uids(name) == {unix_user.pw_uid}
    finally:
        marker.unlink()


def service_uids(user: str) -> set[int]:
    """The real user ids of the processes serving ``user``."""
    uids = set()
    for proc in Path("/proc").iterdir():
        try:
            environ = (proc / "environ").read_bytes().split(b"\0")
            status = (proc / "status").read_text()
        except OSError:
            continue
        if f"JUPYTERHUB_USER={user}".encode() in environ:
            uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
            uids.add(int(uid_line.split()[1]))
    return uids
