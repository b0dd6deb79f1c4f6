"""How long a person waits from "Sign in" to their dashboard, on the first spawn.

    python bench/login.py [--runs 10]

Debian's Chromium (Playwright) fills the Hub's login form for a user whose service
is not running, presses the button, and the clock runs until the dashboard shows the
user's application card: the Hub's spawn and its polling of the new server, the
OAuth round trips between the Hub and the service, and the dashboard's first page
and API call. A new user each time (a fresh browser context: no cookie). The Hub
runs deploy/jupyterhub_config.py (the VirtualUserSpawner), its services forked by the
fork server (the default) and, in the same run, each a process of its own
(``c.RemoteAppSpawner.fork_server = False``). Median and maximum of ``--runs``.
Needs a Docker engine, node_modules (npm ci) and /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import statistics
import time

from api_latency import WEBAPP, Site, ensure_demo_image

from remoteappmanager.services.catalogue import Catalogue
from remoteappmanager.services.policy import GrantPolicy
from tests.browser import chromium


def first_logins(runs: int, hub_config: str, label: str) -> list[float]:
    times = []
    with Site(deploy=True, hub_config=hub_config) as site, chromium() as browser:
        users = [f"{label}{i}" for i in range(runs)]
        with site.database.transaction() as session:
            catalogue = Catalogue(session)
            catalogue.create_application(WEBAPP)
            for user in users:
                catalogue.create_user(user)
                catalogue.grant(WEBAPP, user, GrantPolicy())
        assert site.hub is not None
        for user in users:
            context = browser.new_context()
            page = context.new_page()
            page.goto(f"{site.hub.url}hub/login")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", site.hub.password_of(user))
            began = time.perf_counter()
            page.click("[type=submit]")
            page.get_by_test_id("app-card").first.wait_for(timeout=60_000)
            times.append(time.perf_counter() - began)
            context.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="first logins per figure")
    args = parser.parse_args()
    ensure_demo_image()
    results = {
        "forked": first_logins(args.runs, "", "forked"),
        "own process": first_logins(args.runs, "c.RemoteAppSpawner.fork_server = False\n", "own"),
    }
    for name, times in results.items():
        print(
            f"login to dashboard, first spawn, service {name}: "
            f"{statistics.median(times):.2f} s median, max {max(times):.2f} s ({len(times)} users)"
        )
    ratio = statistics.median(results["forked"]) / statistics.median(results["own process"])
    print(f"forked / own process: {ratio:.2f}")


if __name__ == "__main__":
    main()
