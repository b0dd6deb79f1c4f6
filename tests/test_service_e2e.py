"""End to end: JupyterHub + configurable-http-proxy + the per-user service + Docker.

alice logs in, her service starts, she lists her applications, starts the demo web
app, reads it through the proxy and stops it. Then the adversarial cases of
SECURITY-TESTS that need the whole system.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import json
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from remoteappmanager.docker.container import REALM_LABEL
from remoteappmanager.docker.image import LABEL_PREFIX

from .site import (
    Site,
    app_url,
    requests_seen_by,
    route_of,
    running_site,
    start,
    wait_until_unrouted,
)
from .support import DEMO_DESKTOP, DEMO_WEBAPP

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, demo_images: Any, docker_engine: Any
) -> Iterator[Site]:
    with running_site(tmp_path_factory.mktemp("site"), docker_engine) as running:
        yield running


def test_alice_runs_the_demo_app_through_the_proxy(site: Site, docker_engine: Any) -> None:
    alice = site.session("alice")
    listed = alice.get(f"{site.api('alice')}applications", timeout=30)
    assert listed.status_code == 200, listed.text
    apps = {app["mapping_id"]: app for app in listed.json()["items"]}
    webapp = apps[site.mapping_ids["alice"]]
    assert (webapp["name"], webapp["type"], webapp["container"]) == ("Demo web app", "webapp", None)
    assert webapp["icon_url"] and webapp["policy"]["workspace"] is True
    desktop = apps[site.mapping_ids["alice-desktop"]]
    assert [c["name"] for c in desktop["configurables"]] == ["resolution"]

    started = site.write(
        "alice", "POST", "containers", json={"mapping_id": site.mapping_ids["alice"]}
    )
    assert started.status_code == 201, started.text
    container = started.json()
    assert container["url"] == f"/user/alice/containers/{container['url_id']}/"

    page = alice.get(f"{site.hub.url.rstrip('/')}{container['url']}env.json", timeout=30)
    assert page.status_code == 200, page.text
    env = page.json()
    assert (env["JPY_USER"], env["URL_ID"]) == ("alice", container["url_id"])
    assert env["workspace"] == []

    running = alice.get(f"{site.api('alice')}containers", timeout=30).json()["items"]
    assert [c["url_id"] for c in running] == [container["url_id"]]
    # Routed to her service's gateway, as a route the Hub leaves alone.
    route = route_of(site, container)
    assert route["target"] == site.hub.routes()["/user/alice"]["target"]
    assert route["owner"] == "alice" and route["remoteappmanager"] == site.realm
    assert "jupyterhub" not in route and "user" not in route

    stopped = site.write("alice", "DELETE", f"containers/{container['url_id']}")
    assert stopped.status_code == 204, stopped.text
    assert (
        docker_engine.containers.list(all=True, filters={"label": f"{REALM_LABEL}={site.realm}"})
        == []
    )
    gone = alice.get(f"{site.hub.url.rstrip('/')}{container['url']}", timeout=30)
    assert gone.status_code == 404
    wait_until_unrouted(site, container)


def test_icons_come_by_url_with_caching_headers(site: Site, docker_engine: Any) -> None:
    """The list of applications carries no icon, only where it is; there the PNG of the
    image's label, cached by the browser, revalidated by the image id."""
    alice = site.session("alice")
    listed = alice.get(f"{site.api('alice')}applications", timeout=30)
    assert listed.status_code == 200, listed.text
    assert "icon_128" not in listed.text
    mapping_id = site.mapping_ids["alice"]
    [webapp] = [app for app in listed.json()["items"] if app["mapping_id"] == mapping_id]
    assert webapp["icon_url"] == f"/user/alice/api/v1/applications/{mapping_id}/icon"
    image = docker_engine.images.get(DEMO_WEBAPP)
    png = base64.b64decode(image.labels[f"{LABEL_PREFIX}icon_128"])
    assert png.startswith(b"\x89PNG")

    # As the dashboard's <img> asks for it.
    url = f"{site.hub.url.rstrip('/')}{webapp['icon_url']}"
    loaded = {
        "Sec-Fetch-Mode": "no-cors",
        "Sec-Fetch-Dest": "image",
        "Sec-Fetch-Site": "same-origin",
    }
    icon = alice.get(url, headers=loaded, timeout=30)
    assert icon.status_code == 200, icon.text
    assert icon.headers["Content-Type"] == "image/png" and icon.content == png
    assert icon.headers["ETag"] == f'"{image.id}"'
    assert icon.headers["Cache-Control"] == "private, max-age=3600"

    again = alice.get(url, headers={**loaded, "If-None-Match": f'"{image.id}"'}, timeout=30)
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["ETag"] == f'"{image.id}"'
    stale = alice.get(url, headers={"If-None-Match": '"sha256:old"'}, timeout=30)
    assert (stale.status_code, stale.content) == (200, png)

    def not_found(response: requests.Response, message: str) -> None:
        assert response.status_code == 404, response.text
        assert response.headers["Content-Type"].startswith("application/json")
        assert message in response.json()["error"]["message"]

    not_found(
        alice.get(f"{site.api('alice')}applications/nothing/icon", timeout=30), "no application"
    )
    # Bob's service knows nothing of alice's application; hers does not let him in.
    bob = site.session("bob")
    not_found(
        bob.get(f"{site.api('bob')}applications/{mapping_id}/icon", timeout=30), "no application"
    )
    theirs = bob.get(f"{site.api('bob', 'alice')}applications/{mapping_id}/icon", timeout=30)
    assert theirs.status_code == 403 and theirs.content != png


def test_the_app_never_sees_the_users_cookie_or_token(site: Site) -> None:
    """SECURITY-TESTS 7, with the cookie of a browser and with an API token."""
    container = start(site, "alice")
    seen = site.session("alice").get(app_url(site, container, "headers.cgi"), timeout=30)
    assert seen.status_code == 200, seen.text
    assert "HTTP_HOST=" in seen.text
    assert "HTTP_COOKIE" not in seen.text and "HTTP_AUTHORIZATION" not in seen.text

    token = site.hub.api_token("alice")
    seen = requests.get(
        app_url(site, container, "headers.cgi"),
        headers={"Authorization": f"token {token}", "Cookie": "other=1"},
        timeout=30,
    )
    assert seen.status_code == 200, seen.text
    assert token not in seen.text and "HTTP_COOKIE" not in seen.text


def test_bob_can_neither_stop_nor_see_nor_use_alices_app(site: Site, docker_engine: Any) -> None:
    """SECURITY-TESTS 1, 2, 3, 4."""
    container = start(site, "alice")
    url_id = container["url_id"]
    before = requests_seen_by(docker_engine, url_id)

    # 1: through his own API, with her url_id.
    stopped = site.write("bob", "DELETE", f"containers/{url_id}")
    assert stopped.status_code == 404, stopped.text
    # 2: her API, with his login and with his token.
    bob = site.session("bob")
    assert bob.get(f"{site.api('bob', 'alice')}containers", timeout=30).status_code == 403
    token = {"Authorization": f"token {site.hub.api_token('bob')}"}
    for method in ("GET", "DELETE"):
        refused = requests.request(
            method, f"{site.api('bob', 'alice')}containers/{url_id}", headers=token, timeout=30
        )
        assert refused.status_code == 403, refused.text
    # 3: her app, with his browser (the Hub refuses him her server) and his token.
    page = bob.get(app_url(site, container), timeout=30)
    assert page.status_code in (403, 404) and "JPY_USER" not in page.text, (page.url, page.text)
    page = requests.get(app_url(site, container, "env.json"), headers=token, timeout=30)
    assert page.status_code == 404 and "JPY_USER" not in page.text
    # 4: a websocket upgrade, refused before the upgrade.
    upgrade = requests.get(
        app_url(site, container),
        headers={
            **token,
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
        timeout=30,
    )
    assert upgrade.status_code in (403, 404)

    assert requests_seen_by(docker_engine, url_id) == before
    assert site.session("alice").get(app_url(site, container), timeout=30).status_code == 200


def test_anonymous_requests_never_reach_an_app(site: Site, docker_engine: Any) -> None:
    """SECURITY-TESTS 5."""
    container = start(site, "alice")
    before = requests_seen_by(docker_engine, container["url_id"])
    page = requests.get(app_url(site, container, "env.json"), allow_redirects=False, timeout=30)
    assert page.status_code in (302, 404)
    if page.status_code == 302:
        assert page.headers["Location"].startswith("/hub/") or "/hub/" in page.headers["Location"]
    posted = requests.post(app_url(site, container), data="x", timeout=30)
    assert posted.status_code in (403, 404)
    assert requests_seen_by(docker_engine, container["url_id"]) == before


def test_nobody_starts_what_was_not_granted_to_them(site: Site, docker_engine: Any) -> None:
    """SECURITY-TESTS 8."""
    running = len(docker_engine.containers.list(filters={"label": f"{REALM_LABEL}={site.realm}"}))
    for mapping_id in (site.mapping_ids["bob"], "0" * 32, "../alice"):
        refused = site.write("alice", "POST", "containers", json={"mapping_id": mapping_id})
        assert refused.status_code == 404, refused.text
        assert refused.json()["error"]["code"] == 404
    after = len(docker_engine.containers.list(filters={"label": f"{REALM_LABEL}={site.realm}"}))
    assert after == running


@pytest.mark.parametrize(
    ("body", "headers", "status", "message"),
    [
        (b"{not json", {"Content-Type": "application/json"}, 400, "not valid JSON"),
        (b'["a"]', {"Content-Type": "application/json"}, 400, "JSON object"),
        (b'{"mapping_id": "x"}', {"Content-Type": "text/plain"}, 415, "application/json"),
        (
            b'{"mapping_id": "x", "environment": {"A": "1"}, "volumes": ["/:/h"]}',
            {"Content-Type": "application/json"},
            400,
            "unknown field(s): environment, volumes",
        ),
        (b'{"mapping_id": 7}', {"Content-Type": "application/json"}, 400, "mapping_id"),
        (
            b'{"mapping_id": "x", "pad": "' + b"x" * (200 * 1024) + b'"}',
            {"Content-Type": "application/json"},
            413,
            "larger than",
        ),
    ],
)
def test_bad_requests_get_a_clear_4xx_and_never_reach_docker(
    site: Site, docker_engine: Any, body: bytes, headers: dict[str, str], status: int, message: str
) -> None:
    """SECURITY-TESTS 19."""
    running = len(docker_engine.containers.list(filters={"label": f"{REALM_LABEL}={site.realm}"}))
    refused = site.write("alice", "POST", "containers", data=body, headers_extra=headers)
    assert refused.status_code == status, refused.text
    error = refused.json()["error"]
    assert error["code"] == status and message in error["message"]
    assert "Traceback" not in refused.text
    after = len(docker_engine.containers.list(filters={"label": f"{REALM_LABEL}={site.realm}"}))
    assert after == running


def test_a_body_over_the_apis_bound_is_refused_before_it_is_sent(site: Site) -> None:
    """The API's 64 KiB bound holds on the declared length: the 413 comes while the
    client has sent only the headers (buffered, the service would wait for 50 MB).
    Asked of the service itself: CHP relays no answer to an upload it has not sent."""
    session = site.session("alice")
    session.get(f"{site.api('alice')}applications", timeout=30)  # sets _xsrf
    url = f"{site.api('alice')}containers"
    service = urlsplit(site.hub.routes()["/user/alice"]["target"])
    connection = http.client.HTTPConnection(service.netloc, timeout=15)
    try:
        connection.putrequest("POST", urlsplit(url).path, skip_host=True)
        for name, value in {
            "Host": urlsplit(url).netloc,
            "Cookie": session.prepare_request(requests.Request("POST", url)).headers["Cookie"],
            "X-XSRFToken": session.cookies.get("_xsrf", path="/user/alice/") or "",
            "Content-Type": "application/json",
            "Content-Length": str(50 * 1024 * 1024),
        }.items():
            connection.putheader(name, value)
        connection.endheaders()  # and no body
        refused = connection.getresponse()
        error = json.loads(refused.read())["error"]
    finally:
        connection.close()
    assert refused.status == 413, error
    assert "larger than 65536 bytes" in error["message"]


def test_a_chunked_body_over_the_apis_bound_gets_a_clear_413(site: Site) -> None:
    """Without a declared length the body is read up to 1 MiB and dropped past 64 KiB,
    so that the message reaches the client through the proxy."""
    pieces = (b'{"pad": "' if n == 0 else b"x" * 1024 for n in range(200))
    refused = site.write(
        "alice",
        "POST",
        "containers",
        data=pieces,
        headers_extra={"Content-Type": "application/json"},
    )
    assert refused.request.headers.get("Transfer-Encoding") == "chunked"
    assert refused.status_code == 413, refused.text
    assert "larger than 65536 bytes" in refused.json()["error"]["message"]


def test_50_media_types_match_whatever_their_case(site: Site) -> None:
    """SECURITY-TESTS 50: ``Application/JSON`` is JSON (RFC 9110: media types ignore
    case): the request is read, not refused with a 415."""
    refused = site.write(
        "alice",
        "POST",
        "containers",
        data=b'{"mapping_id": "' + b"0" * 32 + b'"}',
        headers_extra={"Content-Type": "Application/JSON; charset=UTF-8"},
    )
    assert refused.status_code == 404, refused.text  # read, and no such application


def test_51_a_write_from_the_https_twin_of_the_origin_is_refused(site: Site) -> None:
    """SECURITY-TESTS 51: the Origin of a write must be this origin, scheme included."""
    twin = "https://" + urlsplit(site.hub.url).netloc
    refused = site.write(
        "alice",
        "POST",
        "containers",
        json={"mapping_id": site.mapping_ids["alice"]},
        headers_extra={"Origin": twin},
    )
    assert refused.status_code == 403, refused.text
    assert "cross-origin" in refused.json()["error"]["message"]


def test_52_every_answer_of_the_service_says_nosniff_and_runs_nothing(site: Site) -> None:
    """SECURITY-TESTS 52: the service's own answers (JSON, error pages, the Hub's
    probe) carry a policy that runs and loads nothing, and ``nosniff``; none may be
    framed but the gateway's own pages (the dashboard shows them where the app was).
    The dashboard has its own policy, and may be framed by no page."""
    alice = site.session("alice")
    server = site.server_url("alice")
    answers = {
        "API": alice.get(f"{site.api('alice')}applications", timeout=30),
        "API error": alice.get(f"{site.api('alice')}no-such-thing", timeout=30),
        "probe": requests.get(f"{server}api", timeout=30),
        "gateway 404": alice.get(f"{server}containers/{'0' * 32}/", timeout=30),
    }
    for what, answer in answers.items():
        assert answer.headers.get("X-Content-Type-Options") == "nosniff", what
        policy = answer.headers.get("Content-Security-Policy", "")
        assert "default-src 'none'" in policy, what
        framed = "frame-ancestors 'none'" not in policy
        assert framed == (what == "gateway 404"), what
    dashboard = alice.get(server, timeout=30)
    assert dashboard.status_code == 200
    assert dashboard.headers.get("X-Content-Type-Options") == "nosniff"
    policy = dashboard.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy


def service_process(site: Site, user: str) -> Path:
    """/proc/<pid> of the user's service of this site (the spawner's pid)."""
    return Path(f"/proc/{site.hub.server_pid(user)}")


def peak_rss_kib(proc: Path) -> int:
    found = re.search(r"^VmHWM:\s+(\d+) kB", (proc / "status").read_text(), re.MULTILINE)
    assert found is not None, f"no VmHWM in {proc}/status"
    return int(found.group(1))


def send_unread_upload(url: str, size: int) -> None:
    """POST ``size`` bytes without credentials, 1 MiB at a time, until all is sent or
    the other side stops reading (which is what it should do)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=60)
    piece = b"x" * (1 << 20)
    try:
        connection.putrequest("POST", parts.path)
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(size))
        connection.endheaders()
        for _ in range(size // len(piece)):
            connection.send(piece)
        connection.getresponse().read()
    except OSError:
        pass  # refused and closed under the upload
    finally:
        connection.close()


def test_54_unauthenticated_uploads_leave_the_services_memory_flat(site: Site) -> None:
    """SECURITY-TESTS 54: six 95 MB POSTs at once, without credentials, to the
    gateway, the API and the dashboard: none is read before the caller is checked, so
    the service's peak memory (VmHWM) stays where it was (it grew by 494 MB, 81 to
    575 MB RSS, when bodies were read first)."""
    site.session("alice")  # her service is up
    proc = service_process(site, "alice")
    before = peak_rss_kib(proc)
    server = site.server_url("alice")
    targets = [f"{server}containers/{'0' * 32}/", f"{site.api('alice')}containers", server] * 2
    with ThreadPoolExecutor(len(targets)) as pool:
        list(pool.map(lambda url: send_unread_upload(url, 95 << 20), targets))
    grown_mib = (peak_rss_kib(proc) - before) / 1024
    assert grown_mib < 32, f"the service's peak memory grew by {grown_mib:.0f} MiB"
    assert site.session("alice").get(site.api("alice") + "applications", timeout=30).ok


def test_an_apps_scripts_fonts_and_fetches_get_through_with_the_cookie(site: Site) -> None:
    """What the browser sends for a module script, a font or a fetch() of the app's own
    page (Sec-Fetch-Mode: cors) carries no XSRF token; from the same origin it gets
    the app, from another site the Hub's login, never the app."""
    container = start(site, "alice")
    alice = site.session("alice")
    url = app_url(site, container, "env.json")
    for mode in ("cors", "no-cors", "navigate"):
        seen = alice.get(
            url,
            headers={"Sec-Fetch-Mode": mode, "Sec-Fetch-Site": "same-origin"},
            allow_redirects=False,
            timeout=30,
        )
        assert seen.status_code == 200, (mode, seen.status_code, seen.headers.get("Location"))
    for where in ("cross-site", "same-site"):
        refused = alice.get(
            url,
            headers={"Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": where},
            allow_redirects=False,
            timeout=30,
        )
        assert refused.status_code == 302, (where, refused.status_code)
        assert "JPY_USER" not in refused.text


def test_cross_site_writes_with_the_cookie_are_refused(site: Site, docker_engine: Any) -> None:
    """SECURITY-TESTS 11."""
    alice = site.session("alice")
    alice.get(f"{site.api('alice')}applications", timeout=30)
    xsrf = alice.cookies.get("_xsrf", path="/user/alice/") or ""
    body = {"mapping_id": site.mapping_ids["alice-desktop"]}
    attempts = [
        {"json": body},  # no XSRF token
        {
            "data": json.dumps(body),
            "headers": {"Content-Type": "text/plain"},
        },
        {"data": {"mapping_id": body["mapping_id"]}},  # a form post
        {"json": body, "headers": {"X-XSRFToken": xsrf, "Origin": "http://evil.example"}},
    ]
    for attempt in attempts:
        refused = alice.post(f"{site.api('alice')}containers", timeout=30, **attempt)
        assert refused.status_code in (403, 415), (attempt, refused.text)
    listed = alice.get(f"{site.api('alice')}containers", timeout=30).json()["items"]
    assert site.mapping_ids["alice-desktop"] not in [c["mapping_id"] for c in listed]
    url_id = start(site, "alice")["url_id"]
    for attempt in attempts[:1] + attempts[-1:]:
        refused = alice.delete(
            f"{site.api('alice')}containers/{url_id}",
            timeout=30,
            **{k: v for k, v in attempt.items() if k == "headers"},
        )
        assert refused.status_code == 403, refused.text
    assert alice.get(f"{site.api('alice')}containers/{url_id}", timeout=30).status_code == 200


@pytest.mark.parametrize(
    ("path", "status"),
    [
        # Dot segments are resolved (by the proxy, as by browsers) and stay in her prefix,
        # or lead into someone else's, who refuses her.
        ("../../bob/api/v1/containers", 403),
        ("../../../hub/api/users", 403),
        # Encoded, they are no url_id at all.
        ("%2e%2e%2fapi%2fv1%2fcontainers", 404),
        ("%252e%252e%252f", 404),
        ("abc%2F..", 404),
        ("abc;def", 404),
        ("\u2025\u2025/api", 404),
        ("0123456789abcdef0123456789abcdeg/", 404),
    ],
)
def test_strange_url_ids_find_nothing(site: Site, path: str, status: int) -> None:
    """SECURITY-TESTS 20: sent as they are, without the client tidying them."""
    import http.client
    from urllib.parse import quote, urlsplit

    alice = site.session("alice")
    cookie = "; ".join(f"{c.name}={c.value}" for c in alice.cookies)
    target = urlsplit(site.hub.url)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
    raw = "/user/alice/containers/" + quote(path, safe="/%;")
    connection.request("GET", raw, headers={"Cookie": cookie})
    response = connection.getresponse()
    text = response.read().decode(errors="replace")
    assert response.status == status, (raw, response.status, text[:200])
    assert "JPY_USER" not in text and '"items"' not in text


def test_the_service_and_its_apps_hold_no_proxy_or_hub_token(
    site: Site, docker_engine: Any
) -> None:
    """SECURITY-TESTS 12: nothing a user can reach holds the proxy's admin token."""
    container = start(site, "alice")
    [engine_container] = docker_engine.containers.list(
        filters={"label": f"eu.simphony-project.docker.runinfo.url_id={container['url_id']}"}
    )
    environment = "\n".join(engine_container.attrs["Config"]["Env"])
    assert site.hub.proxy_token not in environment
    assert "JUPYTERHUB_API_TOKEN" not in environment and "CONFIGPROXY" not in environment
    # alice's service and the fork server it came from: /proc/<pid>/environ is the
    # environment each process started with (a forked one inherits the server's).
    service = service_process(site, "alice")
    fork_server = Path(f"/proc/{parent_pid(service)}")
    for proc in (service, fork_server):
        environ = (proc / "environ").read_bytes()
        assert site.hub.proxy_token.encode() not in environ, proc
        assert b"CONFIGPROXY_AUTH_TOKEN" not in environ, proc
    assert b"remoteappmanager.jupyterhub.forkserver" in (fork_server / "cmdline").read_bytes()


def parent_pid(proc: Path) -> int:
    # The fields after the command's name, which may hold spaces and parentheses.
    return int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])


def test_user_options_never_choose_the_command(site: Site) -> None:
    """SECURITY-TESTS 10: asked through the Hub's API with the user's own token."""
    token = {"Authorization": f"token {site.hub.api_token('carol')}"}
    options = {"cmd": ["/bin/sh", "-c", "touch /tmp/pwned"], "admin": True, "image": "evil"}
    requested = requests.post(
        f"{site.hub.api_url}/users/carol/server", json=options, headers=token, timeout=60
    )
    assert requested.status_code in (201, 202), requested.text
    deadline = time.monotonic() + 60
    while True:  # 202: the Hub is still starting it
        try:
            service = service_process(site, "carol")
            break
        except AssertionError:
            assert time.monotonic() < deadline, "carol's service did not start"
            time.sleep(0.2)
    # Forked by the fork server, whose command is fixed; what the spawner asked it to
    # run is the Hub's log's.
    cmdline = (service / "cmdline").read_bytes().split(b"\0")
    assert cmdline[1:3] == [b"-m", b"remoteappmanager.jupyterhub.forkserver"], cmdline
    assert b"/bin/sh" not in b" ".join(cmdline) and b"evil" not in b" ".join(cmdline)
    assert not Path("/tmp/pwned").exists()


def test_a_new_hub_user_gets_a_database_user_and_the_demo_applications(site: Site) -> None:
    dave = site.session("dave")  # unknown to the app database until now
    listed = dave.get(f"{site.api('dave')}applications", timeout=30)
    assert listed.status_code == 200, listed.text
    assert [app["image"] for app in listed.json()["items"]] == [DEMO_DESKTOP]
    # alice had that grant already: still one desktop for her.
    alice = site.session("alice").get(f"{site.api('alice')}applications", timeout=30).json()
    assert [app["image"] for app in alice["items"]].count(DEMO_DESKTOP) == 1


def test_using_an_app_counts_as_activity_for_the_hub(site: Site) -> None:
    import time

    container = start(site, "alice")
    admin = {"Authorization": f"token {site.hub.admin_token}"}

    def last_activity() -> str:
        user = requests.get(f"{site.hub.api_url}/users/alice", headers=admin, timeout=30).json()
        return str(user["servers"][""]["last_activity"])

    before = last_activity()
    time.sleep(1.1)  # the Hub keeps times to the second or finer
    assert site.session("alice").get(app_url(site, container), timeout=30).status_code == 200
    deadline = time.monotonic() + 15
    while last_activity() <= before:
        assert time.monotonic() < deadline, "the Hub never heard of the use"
        time.sleep(0.2)


@pytest.mark.parametrize(
    "suffix",
    [
        "?next=//evil.example/",
        "?next=///evil.example/",
        "?next=/\\evil.example/",
        "?next=https:evil.example",
        "/evil.example/",
        "%2F%2Fevil.example/",
    ],
)
def test_every_redirect_stays_on_the_site(site: Site, suffix: str) -> None:
    """SECURITY-TESTS 22: through the whole login and OAuth dance."""
    from urllib.parse import urlsplit

    from .hub import login

    site.session("alice")  # her service runs
    browser = login(site.hub, "alice")  # but this browser has no cookie of it yet
    container = start(site, "alice")
    here = urlsplit(site.hub.url).netloc
    for target in (f"{site.hub.url}user/alice/{suffix}", f"{app_url(site, container)}{suffix}"):
        response = browser.get(target, timeout=30)
        for hop in [*response.history, response]:
            location = hop.headers.get("Location", "")
            assert "evil.example" not in urlsplit(location).netloc, (target, location)
            assert not location.startswith(("//", "/\\")), (target, location)
        assert urlsplit(response.url).netloc == here


@pytest.fixture(scope="module")
def echo_image(docker_engine: Any) -> str:
    import subprocess

    from .support import ROOT

    built = subprocess.run(
        [str(ROOT / "images" / "build"), "websocket-echo"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    return "remoteappmanager/websocket-echo:latest"


async def test_websockets_go_through_the_gateway(site: Site, echo_image: str) -> None:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    from remoteappmanager.db import Database
    from remoteappmanager.services.catalogue import Catalogue
    from remoteappmanager.services.policy import GrantPolicy

    database = Database(url=site.env["REMOTEAPPMANAGER_DB_URL"])
    with database.transaction() as session:
        catalogue = Catalogue(session)
        catalogue.create_application(echo_image)
        site.mapping_ids["alice-echo"] = catalogue.grant(echo_image, "alice", GrantPolicy())[
            0
        ].mapping_id
    database.dispose()
    container = start(site, "alice", "alice-echo")
    cookies = "; ".join(f"{c.name}={c.value}" for c in site.session("alice").cookies)
    url = app_url(site, container, "echo").replace("http://", "ws://", 1)
    connection = await websocket_connect(HTTPRequest(url, headers={"Cookie": cookies}))
    for message in ("hello", "é" * 1000, b"\x00\x01\xff"):
        await connection.write_message(message, binary=isinstance(message, bytes))
        assert await connection.read_message() == message

    # Stopping the app ends its websocket with a close frame, through the proxy, which
    # logs no broken connection.
    stopped = site.write("alice", "DELETE", f"containers/{container['url_id']}")
    assert stopped.status_code == 204, stopped.text
    assert await asyncio.wait_for(connection.read_message(), 30) is None
    # A close frame came, not a cut connection.
    assert (connection.close_code, connection.close_reason) == (1001, "the application stopped")
    proxy_log = site.hub.log_tail(200)
    assert "EPIPE" not in proxy_log and "ECONNRESET" not in proxy_log
