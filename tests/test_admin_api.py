"""The admin API end to end, on a real Hub, CHP and Docker: SECURITY-TESTS 9, 19, 21,
27, 60, 61 and 64.

``admin`` is an admin of the Hub and ``olga`` is in the ``operators`` group that the
services take for administrators; alice and bob are ordinary users.
"""

from __future__ import annotations

import base64
import re
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from remoteappmanager.docker.container import REALM_LABEL
from remoteappmanager.docker.image import LABEL_PREFIX

from .site import Site, app_url, running_site, start
from .support import DEMO_WEBAPP

pytestmark = [pytest.mark.docker, pytest.mark.slow]

ADMIN_APP = "remoteappmanager-test/admin-app:latest"
DOOMED_APP = "remoteappmanager-test/doomed-app:latest"


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, demo_images: Any, docker_engine: Any
) -> Iterator[Site]:
    # An image of our own, so that creating its application is the admin's doing.
    docker_engine.images.get(DEMO_WEBAPP).tag(ADMIN_APP)
    try:
        with running_site(tmp_path_factory.mktemp("site"), docker_engine) as running:
            yield running
    finally:
        docker_engine.images.remove(ADMIN_APP)


def admin(site: Site, method: str, path: str, **kwargs: Any) -> requests.Response:
    return site.write("admin", method, f"admin/{path}", **kwargs)


def ok(response: requests.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def refused(response: requests.Response, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == status and re.search(message, error["message"]), error


def realm_containers(site: Site, docker_engine: Any, user: str) -> list[Any]:
    labels = [f"{REALM_LABEL}={site.realm}", f"eu.simphony-project.docker.runinfo.user={user}"]
    return list(docker_engine.containers.list(all=True, filters={"label": labels}))


ENDPOINTS = [
    ("GET", "users"),
    ("POST", "users"),
    ("GET", "users/alice"),
    ("DELETE", "users/alice"),
    ("GET", "applications"),
    ("POST", "applications"),
    ("GET", "applications/1"),
    ("PATCH", "applications/1"),
    ("DELETE", "applications/1"),
    ("GET", "applications/1/icon"),
    ("GET", "grants"),
    ("POST", "grants"),
    ("GET", "grants/" + "0" * 32),
    ("PATCH", "grants/" + "0" * 32),
    ("DELETE", "grants/" + "0" * 32),
    ("GET", "containers"),
    ("DELETE", "containers/" + "0" * 32),
    ("GET", "images"),
    ("GET", "stats"),
    ("GET", "audit"),
]


def test_a_non_admin_gets_403_from_every_admin_endpoint(site: Site) -> None:
    """SECURITY-TESTS 9: on his own service and, with his token, on the admin's."""
    site.session("bob")  # his service gives him the demo applications as it starts
    before = ok(admin(site, "GET", "audit"))["total"]
    users_before = ok(admin(site, "GET", "users"))["items"]
    bobs_token = {"Authorization": f"token {site.hub.api_token('bob')}"}
    for method, path in ENDPOINTS:
        body = {"json": {"name": "mallory"}} if method in ("POST", "PATCH") else {}
        refused(site.write("bob", method, f"admin/{path}", **body), 403, "administrators only")
        on_admins = requests.request(
            method, f"{site.api('bob', 'admin')}admin/{path}", headers=bobs_token, timeout=30
        )
        assert on_admins.status_code == 403, (method, path, on_admins.text)
    assert ok(admin(site, "GET", "audit"))["total"] == before
    assert ok(admin(site, "GET", "users"))["items"] == users_before


def test_a_member_of_an_admin_group_is_an_admin(site: Site) -> None:
    stats = ok(site.write("olga", "GET", "admin/stats"))
    assert stats["users"] >= 2 and stats["applications"] >= 2


def test_an_admin_runs_the_site(site: Site, docker_engine: Any) -> None:
    data = site.volumes / "data"
    data.mkdir()
    (data / "results.csv").write_text("1,2\n")

    # The images on the engine, to make applications of.
    images = {i["image"]: i for i in ok(admin(site, "GET", "images"))["items"]}
    assert images[ADMIN_APP]["registered"] is False and images[ADMIN_APP]["described"] is True
    assert images[DEMO_WEBAPP]["registered"] is True

    carol = ok(admin(site, "POST", "users", json={"name": "carol"}), 201)
    assert (carol["name"], carol["grant_count"], carol["grants"]) == ("carol", 0, [])
    app = ok(
        admin(
            site,
            "POST",
            "applications",
            json={"image": ADMIN_APP, "display_name": "Results viewer"},
        ),
        201,
    )
    assert app["labels"]["available"] and app["labels"]["name"] == "Results viewer"
    images = {i["image"]: i for i in ok(admin(site, "GET", "images"))["items"]}
    assert images[ADMIN_APP]["registered"] is True
    policy = {"volume": f"{data}:/workspace:ro"}
    grant = ok(
        admin(
            site,
            "POST",
            "grants",
            json={"user": "carol", "application_id": app["id"], "policy": policy},
        ),
        201,
    )
    assert grant["policy"]["volume"] == f"{data}:/workspace:ro" and grant["container"] is None

    # Carol sees her new application, starts it and sees the volume in it.
    site.mapping_ids["carol"] = grant["mapping_id"]
    listed = site.session("carol").get(f"{site.api('carol')}applications", timeout=30).json()
    assert [a["name"] for a in listed["items"] if a["mapping_id"] == grant["mapping_id"]] == [
        "Results viewer"
    ]
    container = start(site, "carol")
    page = site.session("carol").get(app_url(site, container, "env.json"), timeout=30)
    assert page.json()["workspace"] == ["results.csv"]

    # The admin sees it running, with whom and what, and stops it.
    running = ok(admin(site, "GET", "containers"))["items"]
    [listed_container] = [c for c in running if c["url_id"] == container["url_id"]]
    assert (listed_container["user"], listed_container["mapping_id"]) == (
        "carol",
        grant["mapping_id"],
    )
    assert ok(admin(site, "GET", "users/carol"))["running_count"] == 1
    stats = ok(admin(site, "GET", "stats"))
    assert stats["running_containers"] >= 1 and stats["starts_last_day"] >= 1
    assert ok(admin(site, "DELETE", f"containers/{container['url_id']}"), 204) is None
    assert realm_containers(site, docker_engine, "carol") == []

    # Every change is in the audit log, newest first, with who made it.
    log = ok(admin(site, "GET", "audit?limit=5"))
    assert [(e["actor"], e["action"]) for e in log["items"][:5]] == [
        ("admin", "container.stop"),
        ("carol", "container.start"),
        ("admin", "grant.create"),
        ("admin", "application.create"),
        ("admin", "user.create"),
    ]
    assert log["items"][0]["details"] == {"user": "carol", "mapping_id": grant["mapping_id"]}
    assert log["total"] >= 5 and log["limit"] == 5
    assert ok(admin(site, "GET", "audit?offset=1&limit=1"))["items"] == log["items"][1:2]


def test_taking_a_grant_away_while_its_app_runs_stops_the_app(
    site: Site, docker_engine: Any
) -> None:
    """SECURITY-TESTS 27: revoking, changing the policy, removing the user or the
    application: each stops what runs under it, and nothing is orphaned."""
    [webapp] = ok(admin(site, "GET", "applications?q=demo-webapp"))["items"]
    docker_engine.images.get(DEMO_WEBAPP).tag(DOOMED_APP)
    doomed = ok(admin(site, "POST", "applications", json={"image": DOOMED_APP}), 201)
    for user in ("dave", "erin"):
        ok(admin(site, "POST", "users", json={"name": user}), 201)

    def running_under_a_new_grant(user: str, application_id: int, **policy: Any) -> str:
        body = {"user": user, "application_id": application_id, "policy": policy}
        grant = ok(admin(site, "POST", "grants", json=body), 201)
        site.mapping_ids[user] = grant["mapping_id"]
        start(site, user)
        assert len(realm_containers(site, docker_engine, user)) == 1
        return str(grant["mapping_id"])

    mapping_id = running_under_a_new_grant("dave", webapp["id"])
    assert ok(admin(site, "DELETE", f"grants/{mapping_id}")) == {"stopped": 1}
    assert realm_containers(site, docker_engine, "dave") == []

    mapping_id = running_under_a_new_grant("dave", webapp["id"], allow_view=True)
    changed = ok(admin(site, "PATCH", f"grants/{mapping_id}", json={"policy": {}}))
    assert changed["policy"]["allow_view"] is False and changed["container"] is None
    assert realm_containers(site, docker_engine, "dave") == []

    start(site, "dave")  # under the changed grant
    # A change of the time limits alone holds for the running app at once: it goes on.
    body = {"policy": {"idle_timeout": 3600}}
    limited = ok(admin(site, "PATCH", f"grants/{mapping_id}", json=body))
    assert limited["policy"]["idle_timeout"] == 3600
    assert limited["container"]["deadline"]["reason"] == "idle"
    assert len(realm_containers(site, docker_engine, "dave")) == 1
    # His grants: the changed one, and the demo desktop his service gave him.
    assert ok(admin(site, "DELETE", "users/dave")) == {"grants": 2, "stopped": 1}
    assert realm_containers(site, docker_engine, "dave") == []
    refused(admin(site, "GET", "users/dave"), 404, "no user 'dave'")

    running_under_a_new_grant("erin", doomed["id"])
    assert ok(admin(site, "DELETE", f"applications/{doomed['id']}")) == {
        "grants": 1,
        "stopped": 1,
    }
    assert realm_containers(site, docker_engine, "erin") == []
    docker_engine.images.remove(DOOMED_APP)


def test_icons_come_by_url_and_an_image_without_one_gets_a_clear_404(
    site: Site, docker_engine: Any, busybox_image: str
) -> None:
    """The admin's list of applications carries no icon either, only where it is: the
    same PNG, ETag and caching as the user API. An image without an icon has none in
    either API."""
    listed = admin(site, "GET", "applications?q=demo-webapp")
    assert listed.status_code == 200 and "icon_128" not in listed.text
    [webapp] = listed.json()["items"]
    url = webapp["labels"]["icon_url"]
    assert url == f"/user/admin/api/v1/admin/applications/{webapp['id']}/icon"
    image = docker_engine.images.get(DEMO_WEBAPP)
    session = site.session("admin")
    hub = site.hub.url.rstrip("/")
    icon = session.get(f"{hub}{url}", timeout=30)
    assert icon.status_code == 200, icon.text
    assert icon.headers["Content-Type"] == "image/png"
    assert icon.content == base64.b64decode(image.labels[f"{LABEL_PREFIX}icon_128"])
    assert icon.headers["ETag"] == f'"{image.id}"'
    assert icon.headers["Cache-Control"] == "private, max-age=3600"
    again = session.get(f"{hub}{url}", headers={"If-None-Match": icon.headers["ETag"]}, timeout=30)
    assert (again.status_code, again.content) == (304, b"")
    refused(admin(site, "GET", "applications/999999/icon"), 404, "no application 999999")
    refused(admin(site, "GET", "applications/x/icon"), 400, "not an application id")
    # Alice's icon of that image has the same ETag: it is the image's.
    alice = site.session("alice")
    mine = alice.get(f"{site.api('alice')}applications", timeout=30).json()
    [alices] = [a for a in mine["items"] if a["mapping_id"] == site.mapping_ids["alice"]]
    alices_icon = alice.get(f"{hub}{alices['icon_url']}", timeout=30)
    assert alices_icon.headers["ETag"] == icon.headers["ETag"]

    bare = ok(admin(site, "POST", "applications", json={"image": busybox_image}), 201)
    assert bare["labels"]["available"] is True and bare["labels"]["icon_url"] is None
    refused(admin(site, "GET", f"applications/{bare['id']}/icon"), 404, "has no icon")
    body = {"user": "alice", "application_id": bare["id"], "policy": {}}
    mapping_id = ok(admin(site, "POST", "grants", json=body), 201)["mapping_id"]
    mine = alice.get(f"{site.api('alice')}applications", timeout=30).json()
    [granted] = [a for a in mine["items"] if a["mapping_id"] == mapping_id]
    assert granted["icon_url"] is None
    no_icon = alice.get(f"{site.api('alice')}applications/{mapping_id}/icon", timeout=30)
    assert no_icon.status_code == 404, no_icon.text
    assert no_icon.json()["error"]["message"] == f"the application {mapping_id!r} has no icon"
    assert ok(admin(site, "DELETE", f"applications/{bare['id']}")) == {"grants": 1, "stopped": 0}


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("POST", "users", {"name": ""}, 400, "the user name is empty"),
        ("POST", "users", {"name": "alice"}, 409, "exists already"),
        ("POST", "users", {"name": "x", "admin": True}, 400, r"unknown field\(s\): admin"),
        ("POST", "applications", {"image": "Not An Image"}, 400, "is not a Docker image name"),
        ("POST", "applications", {"image": "absent/app:1"}, 404, "has no image 'absent/app:1'"),
        ("POST", "applications", {"image": DEMO_WEBAPP}, 409, "exists already"),
        ("PATCH", "applications/1", {"display_name": 7}, 400, "string or null"),
        ("PATCH", "applications/x", {}, 400, "not an application id"),
        ("GET", "applications/999999", None, 404, "no application 999999"),
        ("GET", "applications/%C2%B2", None, 400, "not an application id"),
        ("GET", "users?offset=%C2%B2", None, 400, "offset must be a whole number"),
        ("GET", f"users?limit={'9' * 5000}", None, 400, "limit must be a whole number"),
        ("PATCH", "applications/1", {}, 400, "nothing to change"),
        ("POST", "grants", {"user": "alice", "application_id": "1"}, 400, "application_id"),
        ("POST", "grants", {"user": "nobody", "application_id": 1}, 404, "no user 'nobody'"),
        ("GET", "grants/unknown", None, 404, "no grant 'unknown'"),
        ("GET", "users?limit=0", None, 400, "limit between 1 and 500"),
        ("GET", "audit?offset=-1", None, 400, "offset must be a whole number"),
        ("DELETE", "containers/" + "0" * 32, None, 404, "no application"),
    ]
    + [
        (
            "POST",
            "grants",
            {"user": "alice", "application_id": 1, "policy": {"volume": volume}},
            400,
            message,
        )
        for volume, message in [
            ("/:/data:ro", "may not be the root directory"),
            ("/etc:/data:ro", "inside /etc"),
            ("/var/run/docker.sock:/sock:rw", "inside /var/run"),
            ("data:/data:ro", "not an absolute path"),
            ("/srv/a:b:/data:ro", "is not SOURCE:TARGET:MODE"),
            ("/srv/data:/data:rwx", "neither 'ro' nor 'rw'"),
        ]
    ]
    + [
        ("POST", "grants", {"user": "alice", "application_id": 1, "policy": policy}, 400, msg)
        for policy, msg in [
            ({"environment": {"X": "1"}}, r"unknown policy field\(s\): environment"),
            ({"allow_home": "yes"}, "allow_home must be true or false"),
            ([], "must be a JSON object"),
        ]
    ],
)
def test_bad_input_gets_a_clear_4xx(
    site: Site, method: str, path: str, body: Any, status: int, message: str
) -> None:
    """SECURITY-TESTS 19 and 21 on the admin API."""
    before = ok(admin(site, "GET", "audit"))["total"]
    kwargs = {} if body is None else {"json": body}
    refused(admin(site, method, path, **kwargs), status, message)
    assert ok(admin(site, "GET", "audit"))["total"] == before


def test_61_volume_grants_come_only_from_the_sites_roots(site: Site) -> None:
    """SECURITY-TESTS 61: the host directories the attack mounted through this API,
    the Hub's state directory among them, are refused on create and on update, a link
    under the site's root leading out of it too; nothing is written or logged."""
    assert site.volumes is not None
    state = site.volumes.parent  # the Hub's state: its database, token and cookie secret
    leading_out = site.volumes / "innocent"
    leading_out.symlink_to(state)
    grant = ok(admin(site, "GET", f"grants/{site.mapping_ids['alice']}"))
    before = (ok(admin(site, "GET", "audit"))["total"], ok(admin(site, "GET", "grants")))
    sources = ["/root", "/root/.ssh", "/home", "/usr/bin", "/lib", "/var/lib/docker"]
    for source in [*sources, "/var/spool/cron", str(state), str(leading_out)]:
        volume = f"{source}:/data:ro"
        body = {"user": "alice", "application_id": 1, "policy": {"volume": volume}}
        for method, path, sent in [
            ("POST", "grants", body),
            ("PATCH", f"grants/{grant['mapping_id']}", {"policy": {"volume": volume}}),
        ]:
            refused(admin(site, method, path, json=sent), 400, "never mounted|outside the dir")
    assert (ok(admin(site, "GET", "audit"))["total"], ok(admin(site, "GET", "grants"))) == before


def test_malformed_bodies_are_refused(site: Site) -> None:
    """SECURITY-TESTS 19: not JSON, another content type, a body too large."""
    headers = {"Content-Type": "application/json"}
    refused(admin(site, "POST", "users", data=b"{", headers_extra=headers), 400, "not valid JSON")
    refused(admin(site, "POST", "users", data=b"name=x"), 415, "Content-Type")
    big = b'{"name": "' + b"x" * (200 * 1024) + b'"}'
    refused(admin(site, "POST", "users", data=big, headers_extra=headers), 413, "larger than")


def test_any_hub_user_name_gets_a_working_location(site: Site) -> None:
    """A name is whatever the Hub allows: the Location header escapes it."""
    name = "日本 a/b"
    created = admin(site, "POST", "users", json={"name": name})
    assert ok(created, 201)["name"] == name
    location = created.headers["Location"]
    assert location.endswith("/admin/users/%E6%97%A5%E6%9C%AC%20a%2Fb")
    session = site.session("admin")
    assert ok(session.get(f"{site.hub.url.rstrip('/')}{location}", timeout=30))["name"] == name


def test_users_are_searched_and_paged(site: Site) -> None:
    for name in ("page-1", "page-2", "page-3"):
        ok(admin(site, "POST", "users", json={"name": name}), 201)
    found = ok(admin(site, "GET", "users?q=PAGE-&limit=2"))
    assert [u["name"] for u in found["items"]] == ["page-1", "page-2"]
    assert (found["total"], found["offset"], found["limit"]) == (3, 0, 2)
    rest = ok(admin(site, "GET", "users?q=page-&offset=2"))
    assert [u["name"] for u in rest["items"]] == ["page-3"]
    assert ok(admin(site, "GET", "users?q=%25"))["total"] == 0  # LIKE's wildcard is text here


def test_every_admin_list_pages_on_the_server(site: Site) -> None:
    """Grants, containers and applications page as users and the audit log do: a page
    is a slice of the whole list, in its order, and says the total."""
    running = start(site, "alice")
    for path in ("grants?user=alice", "containers", "applications"):
        whole = ok(admin(site, "GET", path))
        assert whole["total"] == len(whole["items"]) >= 1, path
        joiner = "&" if "?" in path else "?"
        paged = [
            item
            for offset in range(whole["total"])
            for item in ok(admin(site, "GET", f"{path}{joiner}offset={offset}&limit=1"))["items"]
        ]
        assert paged == whole["items"], path
        beyond = ok(admin(site, "GET", f"{path}{joiner}offset={whole['total']}"))
        assert (beyond["items"], beyond["total"]) == ([], whole["total"]), path
    refused(admin(site, "GET", "grants?limit=501"), 400, "limit between 1 and 500")
    refused(admin(site, "GET", "containers?offset=x"), 400, "offset must be a whole number")
    found = ok(admin(site, "GET", "applications?q=DEMO-WEB"))
    assert [a["image"] for a in found["items"]] == [DEMO_WEBAPP] and found["total"] == 1
    ok(admin(site, "DELETE", f"containers/{running['url_id']}"), 204)


def test_60_the_audit_log_says_how_each_change_was_asked_for(site: Site) -> None:
    """SECURITY-TESTS 60: beside who, each entry says how: from a browser session or
    with an API token (and the Hub's id of either), from which address, with which
    user agent; two tokens or sessions are told apart."""
    name = f"audited-{secrets.token_hex(3)}"
    browser = {"User-Agent": "test-browser/1"}
    ok(admin(site, "POST", "users", json={"name": name}, headers_extra=browser), 201)
    with_token = requests.post(
        f"{site.api('admin')}admin/users",
        json={"name": f"{name}-t"},
        headers={"Authorization": f"token {site.hub.api_token('admin')}", "User-Agent": "cli/1"},
        timeout=30,
    )
    ok(with_token, 201)
    entries = {e["target"]: e for e in ok(admin(site, "GET", "audit?limit=20"))["items"]}
    by_session, by_token = entries[name], entries[f"{name}-t"]
    assert (by_session["via"], by_session["client"]) == ("browser session", "127.0.0.1")
    assert by_session["user_agent"] == "test-browser/1" and by_session["credential_id"]
    assert (by_token["via"], by_token["user_agent"]) == ("token", "cli/1")
    assert by_token["credential_id"] and by_token["credential_id"] != by_session["credential_id"]


def test_64_admin_changes_from_a_browser_need_a_recent_login(
    tmp_path_factory: pytest.TempPathFactory, demo_images: Any, docker_engine: Any
) -> None:
    """SECURITY-TESTS 64: past c.RemoteAppManager.admin_login_max_age after the login,
    a change from the admin's browser session is refused (403, saying where to log in
    again) and changes nothing, while reading goes on and an API token still writes;
    the "Log in again" link ends the Hub session, and a new login may change the site."""
    window = 2
    config = f"c.RemoteAppManager.admin_login_max_age = {window}\n"
    with running_site(tmp_path_factory.mktemp("site"), docker_engine, service_config=config) as s:
        ok(admin(s, "POST", "users", json={"name": "fresh-login"}), 201)
        time.sleep(window + 1)  # not a timing assertion: the window is over, whatever the load
        before = ok(admin(s, "GET", "audit"))["total"]
        late = admin(s, "POST", "users", json={"name": "stale-login"})
        refused(late, 403, f"needs a login within the last {window} seconds: log in again")
        assert late.json()["error"]["login_again"] == "/user/admin/logout"
        token = {"Authorization": f"token {s.hub.api_token('admin')}"}
        by_token = requests.post(
            f"{s.api('admin')}admin/users", json={"name": "by-token"}, headers=token, timeout=30
        )
        ok(by_token, 201)
        names = {u["name"] for u in ok(admin(s, "GET", "users"))["items"]}
        assert "stale-login" not in names and "by-token" in names
        assert ok(admin(s, "GET", "audit"))["total"] == before + 1  # the token's, only

        browser = s.session("admin")
        logged_out = browser.get(
            urljoin(s.server_url("admin"), late.json()["error"]["login_again"]), timeout=30
        )
        assert urlsplit(logged_out.url).path.endswith("/hub/login"), logged_out.url
        s.sessions.pop("admin")  # a new login, as the browser does next
        ok(admin(s, "POST", "users", json={"name": "stale-login"}), 201)
