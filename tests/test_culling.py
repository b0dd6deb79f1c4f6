"""Idle culling, time limits and "Extend", and the dashboard's event stream, on the
real site: JupyterHub, CHP, the users' services and Docker (issue 13)."""

from __future__ import annotations

import json
import queue
import re
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from .browser import browsing, chromium, log_in, screenshot
from .site import Site, app_url, running_site, start

pytestmark = [pytest.mark.docker, pytest.mark.slow]

# Quick ticks and a short warning, so that the tests wait seconds, not minutes.
CONFIG = (
    "c.Culler.interval = 0.5\n"
    "c.Culler.warning = 2\n"
    "c.Culler.extension = 60\n"
    "c.Culler.max_extensions_per_day = 2\n"
)


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, demo_images: Any, docker_engine: Any
) -> Iterator[Site]:
    with running_site(tmp_path_factory.mktemp("site"), docker_engine, service_config=CONFIG) as s:
        yield s


class Events:
    """The user's event stream, read in a thread: (arrival, name, data) in a queue."""

    def __init__(self, site: Site, user: str) -> None:
        self.response = site.session(user).get(
            f"{site.api(user)}events", stream=True, timeout=(10, 60)
        )
        assert self.response.status_code == 200, self.response.text
        assert self.response.headers["Content-Type"].startswith("text/event-stream")
        self.received: queue.Queue[tuple[float, str, dict[str, Any]]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        assert self.next("ready", timeout=10)[1] == {}

    def _read(self) -> None:
        name, data = "message", ""
        try:
            for line in self.response.iter_lines(decode_unicode=True):
                if line.startswith("event: "):
                    name = line[len("event: ") :]
                elif line.startswith("data: "):
                    data = line[len("data: ") :]
                elif line == "" and data:
                    self.received.put((time.monotonic(), name, json.loads(data)))
                    name, data = "message", ""
        except Exception:  # closed by the test: urllib3 fails in several ways then
            pass  # (a stream broken before is seen as the events next() waits for)

    def next(self, name: str, timeout: float = 30, **match: Any) -> tuple[float, dict[str, Any]]:
        """The next event ``name`` whose data has ``match``; others before it are skipped."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no {name} event with {match} within {timeout} s"
            try:
                arrived, got, data = self.received.get(timeout=left)
            except queue.Empty:
                continue
            if got == name and all(data.get(k) == v for k, v in match.items()):
                return arrived, data

    def close(self) -> None:
        self.response.close()


def set_limits(site: Site, key: str, **limits: int | None) -> None:
    """Give the grant ``key`` of the site these time limits (by the admin API)."""
    mapping_id = site.mapping_ids[key]
    policy = {"allow_home": True, **limits}
    changed = site.write("admin", "PATCH", f"admin/grants/{mapping_id}", json={"policy": policy})
    assert changed.status_code == 200, changed.text
    assert {k: changed.json()["policy"][k] for k in limits} == limits


def container_of(site: Site, user: str, url_id: str) -> dict[str, Any] | None:
    answer = site.session(user).get(f"{site.api(user)}containers/{url_id}", timeout=30)
    if answer.status_code == 404:
        return None
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def audit(site: Site, action: str, target: str) -> list[dict[str, Any]]:
    page = site.session("admin").get(f"{site.api('admin')}admin/audit?limit=200", timeout=30)
    assert page.status_code == 200, page.text
    return [e for e in page.json()["items"] if e["action"] == action and e["target"] == target]


def test_an_idle_app_is_warned_of_then_stopped_and_audited_and_the_stream_says_so(
    site: Site,
) -> None:
    set_limits(site, "alice", idle_timeout=3)
    events = Events(site, "alice")
    try:
        container = start(site, "alice")
        started = time.monotonic()
        url_id = container["url_id"]
        assert container["deadline"]["reason"] == "idle"
        arrived, data = events.next("containers", url_id=url_id, state="running")
        # The start was pushed at once, not found by a poll (the POST returned after it).
        assert arrived - started <= 1.0, f"the start came {arrived - started:.2f} s late"
        assert data["mapping_id"] == site.mapping_ids["alice"]

        # Used every second, it outlives its 3 s timeout (the culler looks twice a second).
        alice = site.session("alice")
        for _ in range(6):
            assert alice.get(app_url(site, container), timeout=30).status_code == 200
            time.sleep(1)
        assert container_of(site, "alice", url_id) is not None, "culled while in use"

        # Left alone, it is warned of, then stopped; the stream says both.
        _, warned = events.next("deadline", url_id=url_id, warning=True)
        assert warned["reason"] == "idle"
        _, culled = events.next("culled", url_id=url_id)
        assert culled["reason"] == "idle"
        events.next("containers", url_id=url_id, state="stopped")
        assert container_of(site, "alice", url_id) is None
        [entry] = audit(site, "container.cull", url_id)
        assert (entry["actor"], entry["via"]) == ("culler", "culler")
        assert entry["details"] == {
            "user": "alice",
            "mapping_id": site.mapping_ids["alice"],
            "reason": "idle",
        }
        # Its workspace is kept: only the container went.
        workspaces = Path(site.env["REMOTEAPPMANAGER_WORKSPACES"])
        assert any(workspaces.iterdir())

        # A stop by the user is pushed within a second, too.
        again = start(site, "alice")
        events.next("containers", url_id=again["url_id"], state="running")
        asked = time.monotonic()
        stop = site.write("alice", "DELETE", f"containers/{again['url_id']}")
        assert stop.status_code == 204, stop.text
        arrived, _ = events.next("containers", url_id=again["url_id"], state="stopped")
        assert arrived - asked <= 1.0, f"the stop came {arrived - asked:.2f} s late"
    finally:
        events.close()
        set_limits(site, "alice", idle_timeout=None)


def test_extend_moves_the_deadline_which_survives_a_restart_of_the_service(
    site: Site,
) -> None:
    set_limits(site, "bob", idle_timeout=0, max_lifetime=3600)
    container = start(site, "bob")
    url_id = container["url_id"]
    first = container["deadline"]
    assert (first["reason"], first["warning"]) == ("lifetime", False)
    created = datetime.fromisoformat(container["created_at"])
    assert (datetime.fromisoformat(first["at"]) - created).total_seconds() == 3600

    extended = site.write("bob", "POST", f"containers/{url_id}/extend")
    assert extended.status_code == 200, extended.text
    moved = extended.json()["deadline"]
    assert (datetime.fromisoformat(moved["at"]) - created).total_seconds() == 3600 + 60
    [entry] = audit(site, "container.extend", url_id)
    assert entry["actor"] == "bob" and entry["details"]["seconds"] == 60

    # The Hub stops bob's service and starts it again: the deadline is the same.
    restart_service(site, "bob")
    after = container_of(site, "bob", url_id)  # site.session spawns the service anew
    assert after is not None and after["deadline"] == moved

    # Two extensions a day (CONFIG): the third is refused, and says why.
    assert site.write("bob", "POST", f"containers/{url_id}/extend").status_code == 200
    refused = site.write("bob", "POST", f"containers/{url_id}/extend")
    assert refused.status_code == 429, refused.text
    assert "2 times today" in refused.json()["error"]["message"]
    assert len(audit(site, "container.extend", url_id)) == 2

    # An app without limits has nothing to extend; someone else's is not found.
    set_limits(site, "bob", idle_timeout=0, max_lifetime=0)
    assert container_of(site, "bob", url_id)["deadline"] is None  # type: ignore[index]
    unlimited = site.write("bob", "POST", f"containers/{url_id}/extend")
    assert unlimited.status_code == 409, unlimited.text
    assert "no time limit" in unlimited.json()["error"]["message"]
    foreign = site.write("alice", "POST", f"containers/{url_id}/extend")
    assert foreign.status_code == 404, foreign.text
    assert site.write("bob", "DELETE", f"containers/{url_id}").status_code == 204


def restart_service(site: Site, user: str) -> None:
    """The Hub stops the user's service; the next request starts it anew."""
    hub = site.hub
    headers = {"Authorization": f"token {hub.api_token(user)}"}
    stopped = requests.delete(f"{hub.api_url}/users/{user}/server", headers=headers, timeout=60)
    assert stopped.status_code in (202, 204), stopped.text
    site.sessions.pop(user)


def test_a_restarted_service_culls_what_its_predecessor_would_have(site: Site) -> None:
    """The idle deadline counts from the last use seen before the restart."""
    set_limits(site, "alice", idle_timeout=600)
    try:
        container = start(site, "alice")
        url_id = container["url_id"]
        assert site.session("alice").get(app_url(site, container), timeout=30).ok
        time.sleep(1.5)  # the culler writes the last use twice a second (CONFIG)
        used = container_of(site, "alice", url_id)
        assert used is not None and used["deadline"]["at"] > container["deadline"]["at"]

        restart_service(site, "alice")
        after = container_of(site, "alice", url_id)  # from the new service
        assert after is not None and after["deadline"] == used["deadline"]

        # With a timeout that is over since that use, the new service stops it.
        events = Events(site, "alice")
        try:
            set_limits(site, "alice", idle_timeout=1)
            events.next("culled", url_id=url_id, reason="idle")
        finally:
            events.close()
        assert container_of(site, "alice", url_id) is None
    finally:
        set_limits(site, "alice", idle_timeout=None)


@pytest.mark.browser
def test_the_page_shows_the_deadline_extends_it_and_says_why_an_app_stopped(
    site: Site, request: pytest.FixtureRequest
) -> None:
    """In Chromium: the app's bar says when it stops, Extend moves that, and a cull is
    told on the page at once, by the event stream (no poll shows why an app stopped)."""
    set_limits(site, "alice", idle_timeout=0, max_lifetime=3600)
    try:
        container = start(site, "alice")
        url_id = container["url_id"]
        with chromium() as browser, browsing(browser, request, 1280, 720, "culling") as context:
            page = context.new_page()
            log_in(page, site.hub, "alice")
            page.goto(f"{site.hub.url}user/alice/#/apps/{site.mapping_ids['alice']}")
            expect(page.get_by_test_id("app-frame")).to_be_visible(timeout=30_000)
            deadline = page.get_by_test_id("deadline")
            expect(deadline).to_have_text(re.compile(r"^Time limit: stops at \d\d:\d\d$"))
            shown = deadline.get_attribute("title")

            page.get_by_test_id("extend-button").click()
            # The title is the full local time: it moves by the extension, 60 s.
            expect(deadline).not_to_have_attribute("title", shown or "", timeout=10_000)
            [entry] = audit(site, "container.extend", url_id)
            assert entry["actor"] == "alice" and entry["details"]["seconds"] == 60
            moved = container_of(site, "alice", url_id)
            assert moved is not None
            assert (
                datetime.fromisoformat(moved["deadline"]["at"])
                - datetime.fromisoformat(container["deadline"]["at"])
            ).total_seconds() == 60
            screenshot(page, "deadline-extended")

            # Nothing in the frame asks for anything: idle, it is stopped in seconds.
            set_limits(site, "alice", idle_timeout=3, max_lifetime=None)
            notice = page.get_by_test_id("culled-notice")
            expect(notice).to_contain_text("unused past its idle timeout", timeout=30_000)
            expect(notice).to_contain_text("Your workspace is kept")
            expect(page.get_by_test_id("start-button")).to_be_visible()
            screenshot(page, "culled-notice")
        assert container_of(site, "alice", url_id) is None
    finally:
        set_limits(site, "alice", idle_timeout=None, max_lifetime=None)
