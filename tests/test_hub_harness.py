"""The test harness of tests/hub.py: a real JupyterHub behind a real proxy.

No single-user server here (``jupyterhub-singleuser`` needs jupyter_server, which the
project does not install); `open_server` is exercised by the tests of the project's
own service.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import jupyterhub
import pytest
import requests

from tests.hub import Hub, login

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    config = """
        # indented, as in a test's triple-quoted string
        c.JupyterHub.log_level = "DEBUG"
    """
    with Hub.start(tmp_path_factory.mktemp("hub"), config, admin_users={"ada"}) as hub:
        yield hub


def test_hub_answers_through_the_proxy(hub: Hub) -> None:
    assert hub.url.startswith("http://127.0.0.1:") and hub.url.endswith("/")
    assert hub.api_url == f"{hub.url}hub/api"
    response = requests.get(hub.api_url, timeout=10)
    assert response.status_code == 200
    assert response.json() == {"version": jupyterhub.__version__}
    assert (hub.workdir / "jupyterhub_config.py").read_text().count(hub.password) == 1
    log = hub.log_tail(10_000)
    assert "JupyterHub is now running" in log
    assert "[D " in log  # the test's configuration applies


def test_login_gives_a_session_of_the_user(hub: Hub) -> None:
    session = login(hub, "alice")
    response = session.get(f"{hub.api_url}/user", timeout=10)
    assert response.status_code == 200
    assert response.json()["name"] == "alice"


def test_the_login_is_jupyterhubs_shared_password_not_a_testing_one(hub: Hub) -> None:
    """DummyAuthenticator.password is deprecated since JupyterHub 5.3: the shared
    password authenticator, with the administrators' password of their own."""
    log = hub.log_tail(10_000)
    assert "DummyAuthenticator" not in log and "testing authenticator" not in log, log
    ada = login(hub, "ada")
    assert ada.get(f"{hub.api_url}/user", timeout=10).json()["admin"] is True
    with pytest.raises(AssertionError, match="Invalid username or password"):
        login(hub, "ada", hub.password)  # an administrator's login needs their password
    assert login(hub, "alice").get(f"{hub.api_url}/user", timeout=10).json()["admin"] is False


def test_login_with_a_wrong_password_fails_clearly(hub: Hub) -> None:
    with pytest.raises(AssertionError, match=r"'alice' failed: HTTP 403: Invalid username"):
        login(hub, "alice", "not-" + hub.password)


def test_routes_show_the_hub_default_route(hub: Hub) -> None:
    routes = hub.routes()
    assert routes["/"]["hub"] is True
    assert routes["/"]["target"].startswith("http://127.0.0.1:")
    with pytest.raises(requests.HTTPError):  # the token is needed
        requests.get(f"{hub.proxy_api_url}/api/routes", timeout=10).raise_for_status()


@pytest.mark.parametrize("user", ["alice", "never-logged-in"])
def test_api_token_authenticates_as_the_user(hub: Hub, user: str) -> None:
    token = hub.api_token(user)
    response = requests.get(
        f"{hub.api_url}/user", headers={"Authorization": f"token {token}"}, timeout=10
    )
    assert response.status_code == 200
    assert response.json()["name"] == user
    denied = requests.get(
        f"{hub.api_url}/user", headers={"Authorization": "token nope"}, timeout=10
    )
    assert denied.status_code == 403


def test_stop_leaves_no_process(tmp_path: Path) -> None:
    hub = Hub.start(tmp_path, "")
    proxies = hub.proxy_pids()
    assert len(proxies) == 1, hub.log_tail()
    hub.stop()
    assert hub.process.returncode == 0, hub.log_tail()
    assert hub.proxy_pids() == []  # zombies have no command line: gone too
    with pytest.raises(requests.ConnectionError):
        requests.get(hub.api_url, timeout=5)
    hub.stop()  # again: nothing to do


def test_start_fails_with_the_log_when_the_hub_exits(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"(?s)jupyterhub exited with 1.*no-such-authenticator"):
        Hub.start(tmp_path, "c.JupyterHub.authenticator_class = 'no-such-authenticator'")
