"""`make demo`: the whole system on this machine, with demo users and applications.

Run by the Makefile once the virtual environment, the dashboards and the proxy are
installed. It makes sure a Docker engine answers (starting Debian's dockerd, as root,
if there is none), builds the demo images, makes the app database in ``.demo/`` with
the users ``admin`` and ``alice``, and runs JupyterHub in the foreground on
http://localhost:8000 (listening on 127.0.0.1). Each user's server is at
``http://<user>.localhost:8000`` and each app on its own origin,
``http://<url_id>.<user>.localhost:8000``: browsers resolve ``*.localhost`` to this
machine (RFC 6761), so no DNS is needed. Ctrl-C stops the Hub, the users' services, the demo's
containers, and the dockerd it started unless other containers run on it by then (it
says so, and leaves it running). Everything it makes is kept in ``.demo/`` for
the next run, which starts in seconds; ``make clean-demo`` removes it.

``$DEMO_PORT`` moves the Hub (the proxy's API takes the next port, the Hub's own API
that port + 81), ``$DEMO_DIR`` the state, ``$DEMO_REALM`` the label of the demo's
containers (tests/test_demo.py runs a demo beside another one this way), and
``DEMO_REAL_APPS=1`` builds and offers the noVNC desktop, JupyterLab, Streamlit, Panel
and code-server as well.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import docker

from remoteappmanager.db import Database
from remoteappmanager.docker import DockerClient
from remoteappmanager.docker.container import REALM_LABEL
from remoteappmanager.services.administration import Administration
from remoteappmanager.services.catalogue import Catalogue
from remoteappmanager.services.container_index import ContainerIndex
from remoteappmanager.services.containers import ContainerService
from remoteappmanager.services.policy import GrantPolicy

ROOT = Path(__file__).resolve().parents[1]
STATE = Path(os.environ.get("DEMO_DIR", ROOT / ".demo")).resolve()
PORT = int(os.environ.get("DEMO_PORT", "8000"))
REALM = os.environ.get("DEMO_REALM", "demo")  # the label of the demo's containers
USERS = ("admin", "alice")
WEBAPP = "remoteappmanager/demo-webapp:latest"
DESKTOP = "remoteappmanager/demo-desktop:latest"
GRANTS = {  # who may run what (the tutorial has admin grant alice the desktop)
    ("alice", WEBAPP): GrantPolicy(allow_home=True, allow_view=True),
    ("admin", WEBAPP): GrantPolicy(allow_home=True, allow_view=True),
}
# The real applications (images/desktop, jupyterlab, and the third-party apps): a few
# minutes to build the first time, so only with DEMO_REAL_APPS=1 (or when they are
# built already).
REAL_APPS = {
    "remoteappmanager/desktop:latest": GrantPolicy(
        allow_home=True, allow_startup_data=True, allow_view=True
    ),
    "remoteappmanager/jupyterlab:latest": GrantPolicy(allow_home=True),
    "remoteappmanager/streamlit:latest": GrantPolicy(allow_home=True),
    "remoteappmanager/panel:latest": GrantPolicy(allow_home=True),
    "remoteappmanager/code-server:latest": GrantPolicy(allow_home=True),
}
CHP = ROOT / "node_modules" / ".bin" / "configurable-http-proxy"


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def fail(message: str) -> None:
    print(f"make demo: {message}", file=sys.stderr)
    sys.exit(1)


# -- the Docker engine --


def engine_answers() -> bool:
    try:
        client = docker.from_env(timeout=5)
        client.ping()
        client.close()
        return True
    except docker.errors.DockerException:
        return False


def ensure_engine() -> subprocess.Popen[bytes] | None:
    """A Docker engine that answers; the dockerd started here, if one was."""
    if engine_answers():
        step("the Docker engine answers")
        return None
    if os.geteuid() != 0 or os.environ.get("DOCKER_HOST"):
        fail(
            "no Docker engine answers. Start one (e.g. `sudo systemctl start docker`), make "
            "sure you may use it (the docker group), or run `make demo` as root to let it "
            "install and start Debian's docker.io."
        )
    if shutil.which("dockerd") is None:
        step("no Docker engine: installing Debian's docker.io (apt-get)")
        apt = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-q"], check=True, env=apt)
        subprocess.run(["apt-get", "install", "-y", "-q", "docker.io"], check=True, env=apt)
    log = STATE / "dockerd.log"
    step(f"starting dockerd for the demo (its log: {log})")
    with open(log, "ab") as output:
        dockerd = subprocess.Popen(
            ["dockerd"], stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 60
    while not engine_answers():
        if dockerd.poll() is not None or time.monotonic() > deadline:
            fail(f"dockerd did not start; see {log}")
        time.sleep(0.5)
    return dockerd


def containers_of_others(realm: str) -> list[str]:
    """The names of the running containers that are not the demo's (``realm``): what
    other sites or people run on the engine by now. A stopped one loses nothing
    when the engine stops."""
    try:
        client = docker.from_env(timeout=30)
        running = client.containers.list()
        client.close()
    except docker.errors.DockerException as error:
        print(f"make demo: could not list the engine's containers: {error}", file=sys.stderr)
        return ["(unknown: the engine did not answer)"]
    return [c.name for c in running if c.labels.get(REALM_LABEL) != realm]


def stop_engine_unless_used(dockerd: subprocess.Popen[bytes], others: list[str]) -> None:
    """Stop the dockerd the demo started, unless other containers run on it."""
    if others:
        shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        step(
            f"leaving the dockerd the demo started running (PID {dockerd.pid}): "
            f"{len(others)} other container(s) run on it ({shown}); "
            f"stop it with `kill {dockerd.pid}` once they are done"
        )
        return
    step("stopping the dockerd the demo started")
    dockerd.terminate()
    dockerd.wait(60)


# -- the images and the database --


def real_apps() -> dict[str, GrantPolicy]:
    """The real applications to offer: built now if asked for, else those built before."""
    if os.environ.get("DEMO_REAL_APPS") == "1":
        step("building the noVNC desktop, JupyterLab, Streamlit, Panel and code-server")
        names = [image.split("/")[1].split(":")[0] for image in REAL_APPS]
        subprocess.run([str(ROOT / "images" / "build"), *names], check=True)
    client = docker.from_env(timeout=30)
    present = {}
    for image, policy in REAL_APPS.items():
        try:
            client.images.get(image)
            present[image] = policy
        except docker.errors.ImageNotFound:
            pass
    client.close()
    if not present:
        step("for a noVNC desktop, JupyterLab and third-party apps too: DEMO_REAL_APPS=1 make demo")
    return present


def build_images() -> None:
    if not Path("/bin/busybox").exists():  # the demo images are made of it
        if os.geteuid() != 0:
            fail("the demo images need Debian's busybox-static: apt-get install busybox-static")
        step("installing Debian's busybox-static, which the demo images are made of")
        apt = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-q", "busybox-static"], check=True, env=apt)
    step("building the demo images (images/build; seconds, then cached)")
    subprocess.run([str(ROOT / "images" / "build")], check=True)


def prepare_database(path: Path, extra: dict[str, GrantPolicy]) -> None:
    database = Database(url=f"sqlite:///{path}")
    if path.exists():
        database.upgrade()  # a database of an older version of the demo
    else:
        step(f"making the app database {path}")
        database.initialise()
    docker = DockerClient()
    index = ContainerIndex(docker=docker, realm=REALM)
    containers = ContainerService(database=database, docker=docker, index=index)
    admin = Administration(database, containers, actor="make demo")
    with database.transaction(readonly=True) as session:
        catalogue = Catalogue(session)
        known_users = {user.name for user in catalogue.list_users()}
        known_images = {application.image for application in catalogue.list_applications()}
    for user in USERS:
        if user not in known_users:
            admin.create_user(user)
    grants = {**GRANTS, **{(user, image): p for image, p in extra.items() for user in USERS}}
    for image in sorted({WEBAPP, DESKTOP, *extra}):
        if image not in known_images:
            asyncio.run(admin.create_application(image))
    for (user, image), policy in grants.items():
        admin.grant(image, user, policy)  # granting again changes nothing
    containers.docker.close()
    database.dispose()


# -- JupyterHub --


def secret(name: str) -> str:
    """A random secret kept in .demo/, the same at every run."""
    path = STATE / name
    if not path.exists():
        path.write_text(secrets.token_hex(16) + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def hub_config(password: str, admin_password: str) -> Path:
    service_config = STATE / "remoteappmanager_config.py"
    service_config.write_text(
        "# Written by make demo.\n"
        f"c.ContainerIndex.realm = {REALM!r}\n"
        f"c.ContainerService.workspace_root = {str(STATE / 'workspaces')!r}\n"
        # Every app on an origin of its own (the Hub's subdomain_host below).
        'c.ContainerService.app_origin = "http://{url_id}.{user_host}"\n'
    )
    config = STATE / "jupyterhub_config.py"
    config.write_text(
        f"""\
# Written by make demo: deploy/jupyterhub_config.py, with demo users on this machine.
load_subconfig({str(ROOT / "deploy" / "jupyterhub_config.py")!r})
c.JupyterHub.bind_url = "http://127.0.0.1:{PORT}"
c.JupyterHub.subdomain_host = "http://localhost:{PORT}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{PORT + 81}"
c.ConfigurableHTTPProxy.command = [{str(CHP)!r}]
c.ConfigurableHTTPProxy.pid_file = {str(STATE / "jupyterhub-proxy.pid")!r}
c.JupyterHub.db_url = "sqlite:///{STATE / "jupyterhub.sqlite"}"
c.JupyterHub.cookie_secret_file = {str(STATE / "jupyterhub_cookie_secret")!r}
c.JupyterHub.pid_file = {str(STATE / "jupyterhub.pid")!r}
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = {password!r}
c.SharedPasswordAuthenticator.admin_password = {admin_password!r}
c.Authenticator.allowed_users = {set(USERS)!r}
c.Authenticator.admin_users = {{"admin"}}
c.JupyterHub.cleanup_servers = True
"""
    )
    return config


def stop_demo_containers() -> None:
    try:
        client = docker.from_env(timeout=30)
        found = client.containers.list(all=True, filters={"label": f"{REALM_LABEL}={REALM}"})
        for container in found:
            container.remove(force=True)
        client.close()
        if found:
            step(f"removed {len(found)} application container(s) of the demo")
    except docker.errors.DockerException as error:
        print(f"make demo: could not remove the demo's containers: {error}", file=sys.stderr)


def main() -> None:
    STATE.mkdir(exist_ok=True)
    # Ctrl-C, and SIGTERM alike, stop everything started here (below). Set for SIGINT
    # too: a shell starting the demo in the background would have it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    dockerd = hub = None
    try:
        dockerd = ensure_engine()
        build_images()
        prepare_database(STATE / "app.sqlite", real_apps())
        password, admin_password = secret("password"), secret("admin-password")
        hub = start_hub(password, admin_password)
        print(
            f"""
  remoteappmanager demo: open http://localhost:{PORT}/
  log in as  alice  (a user), password  {password}
        or  admin  (an administrator), password  {admin_password}
  the Hub's log: {STATE / "jupyterhub.log"}
  Ctrl-C stops the demo.
""",
            flush=True,
        )
        hub.wait()
        print(f"make demo: JupyterHub stopped; see {STATE / 'jupyterhub.log'}", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        if hub is not None and hub.poll() is None:
            step("stopping JupyterHub and the users' services")
            hub.terminate()
            try:
                hub.wait(30)
            except subprocess.TimeoutExpired:
                hub.kill()
        stop_demo_containers()
        if dockerd is not None:
            stop_engine_unless_used(dockerd, containers_of_others(REALM))


def start_hub(password: str, admin_password: str) -> subprocess.Popen[bytes]:
    """JupyterHub in the background, once it answers."""
    config = hub_config(password, admin_password)
    env = {
        **os.environ,
        "REMOTEAPPMANAGER_DB_URL": f"sqlite:///{STATE / 'app.sqlite'}",
        "REMOTEAPPMANAGER_WORKSPACES": str(STATE / "workspaces"),
        "REMOTEAPPMANAGER_CONFIG": str(STATE / "remoteappmanager_config.py"),
        "CONFIGPROXY_API_URL": f"http://127.0.0.1:{PORT + 1}",
        "CONFIGPROXY_AUTH_TOKEN": secret("proxy_token"),
    }
    step(f"starting JupyterHub on http://127.0.0.1:{PORT}/")
    with open(STATE / "jupyterhub.log", "ab") as log:
        hub = subprocess.Popen(
            [str(Path(sys.executable).with_name("jupyterhub")), "-f", str(config)],
            cwd=STATE,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/hub/api", timeout=5):
                return hub
        except OSError:
            pass
        if hub.poll() is not None or time.monotonic() > deadline:
            hub.kill()
            fail(f"JupyterHub did not start; see {STATE / 'jupyterhub.log'}")
        time.sleep(0.3)


if __name__ == "__main__":
    main()
