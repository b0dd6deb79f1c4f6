"""The `remoteappmanager` service command: configuration, schema check, start and stop."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from remoteappmanager.application import RemoteAppManager
from remoteappmanager.db import Database
from remoteappmanager.docker import DockerClient
from remoteappmanager.services.catalogue import Catalogue

SERVICE = str(Path(sys.executable).with_name("remoteappmanager"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_generate_config_writes_every_option_commented_and_no_secret(tmp_path: Path) -> None:
    env = {**os.environ, "JUPYTERHUB_API_TOKEN": "hub-token-must-not-leak"}
    result = subprocess.run(
        [SERVICE, "--generate-config"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    written = (tmp_path / "remoteappmanager_config.py").read_text()
    for option in (
        "c.Database.url",
        "c.Database.timeout",
        "c.DockerClient.host",
        "c.RemoteAppManager.service_url",
        "c.RemoteAppManager.hub_api_url",
    ):
        assert f"# {option} = " in written, option
    assert "hub-token-must-not-leak" not in written
    # Commented out: loading it changes nothing.
    assert all(line.startswith("#") for line in written.splitlines() if line.strip()[:2] == "c.")

    again = subprocess.run(
        [SERVICE, "--generate-config"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert again.returncode == 1 and "exists already" in again.stderr


def test_help_all_lists_the_options() -> None:
    result = subprocess.run([SERVICE, "--help-all"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "--Database.url" in result.stdout and "--DockerClient.host" in result.stdout


def test_hub_and_docker_environment_are_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    monkeypatch.setenv("JUPYTERHUB_API_URL", "http://127.0.0.1:8081/hub/api")
    monkeypatch.setenv("JUPYTERHUB_SERVICE_URL", "http://127.0.0.1:45678/user/alice/")
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX", raising=False)
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:2376")
    monkeypatch.setenv("DOCKER_TLS_VERIFY", "1")
    monkeypatch.setenv("DOCKER_CERT_PATH", "/etc/docker-certs")
    monkeypatch.setenv("REMOTEAPPMANAGER_DB_URL", "sqlite:////srv/ram/app.sqlite")
    app = RemoteAppManager()
    assert (app.user, app.hub_api_url, app.base_url) == (
        "alice",
        "http://127.0.0.1:8081/hub/api",
        "/user/alice/",
    )
    docker_client = DockerClient()
    assert (docker_client.host, docker_client.tls_verify, docker_client.cert_path) == (
        "tcp://127.0.0.1:2376",
        True,
        "/etc/docker-certs",
    )
    assert Database().url == "sqlite:////srv/ram/app.sqlite"


def test_the_default_database_is_an_absolute_sqlite_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REMOTEAPPMANAGER_DB_URL", raising=False)
    database = Database()
    assert database.sqlite_path is not None
    assert database.url == f"sqlite:///{database.sqlite_path}"
    assert database.sqlite_path.is_absolute()


def test_the_config_file_sets_traits(tmp_path: Path) -> None:
    config = tmp_path / "remoteappmanager_config.py"
    config.write_text(
        "c.Database.url = 'sqlite:////srv/other.sqlite'\nc.DockerClient.max_workers = 4\n"
    )
    app = RemoteAppManager()
    app.initialize([f"--config={config}"])
    assert app.database.url == "sqlite:////srv/other.sqlite"
    assert app.config.DockerClient.max_workers == 4


def run_service(db_url: str, port: int, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "JUPYTERHUB_USER": "alice",
        "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{port}/user/alice/",
        "JUPYTERHUB_SERVICE_PREFIX": "/user/alice/",
    }
    return subprocess.Popen(
        [SERVICE, f"--db={db_url}", *args],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def wait_until_up(process: subprocess.Popen[str], port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/user/alice/api") as response:
                assert response.headers["X-JupyterHub-Version"]
                assert json.load(response)["version"]
                return
        except OSError:
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "the service did not answer within 30 s"
            time.sleep(0.05)


def test_the_service_refuses_a_database_at_another_revision(sqlite_url: str) -> None:
    database = Database(url=sqlite_url)
    database.initialise("0001")
    database.dispose()
    process = run_service(sqlite_url, free_port())
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "run `remoteappdb db upgrade`" in output
    assert "Traceback" not in output


def test_the_service_answers_the_hub_probe_and_stops_on_sigterm(database: Database) -> None:
    port = free_port()
    process = run_service(database.url, port)
    try:
        wait_until_up(process, port)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
        assert process.returncode == 0, output
        assert "stopping" in output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_bad_demo_application_policy_stops_the_service_with_a_clear_error(
    sqlite_url: str, tmp_path: Path
) -> None:
    database = Database(url=sqlite_url)
    database.initialise()
    database.dispose()
    config = tmp_path / "remoteappmanager_config.py"
    config.write_text(
        "c.RemoteAppManager.demo_applications = {'demo/app': {'volume': '/etc:/x:ro'}}\n"
    )
    process = run_service(sqlite_url, free_port(), f"--config={config}")
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "inside /etc" in output and "Traceback" not in output


def test_the_owner_and_the_demo_grants_are_made_at_start(sqlite_url: str, tmp_path: Path) -> None:
    database = Database(url=sqlite_url)
    database.initialise()
    config = tmp_path / "remoteappmanager_config.py"
    config.write_text("c.RemoteAppManager.demo_applications = {'demo/app': {'allow_home': True}}\n")
    port = free_port()
    process = run_service(sqlite_url, port, f"--config={config}")
    try:
        wait_until_up(process, port)
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    with database.transaction() as session:
        [grant] = Catalogue(session).grants_of_user("alice")
        assert grant.application.image == "demo/app" and grant.policy.allow_home
    database.dispose()
