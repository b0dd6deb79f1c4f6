"""What one per-user service costs: spawn-to-ready time, memory, and its imports.

    python bench/service_footprint.py [--runs 10] [--services 20]

Each figure twice: a service run as a process of its own (the ``remoteappmanager``
console script, ``c.RemoteAppSpawner.fork_server = False``) and one forked by the
fork server (remoteappmanager/jupyterhub/forkserver.py, the default), both with the
environment a spawner gives, against a real Hub from tests/hub.py.

Spawn to ready: from the start (or the fork request) until ``GET {prefix}api``
answers 200, polled every 5 ms; median of ``--runs`` starts. The baseline, measured
the same way in the same run, is a bare tornado server answering the same probe.
Memory: ``--services`` services started side by side, each used (5 ``GET
api/v1/applications`` with the user's token) then left idle for 2 s; RSS and PSS
(/proc/<pid>/smaps_rollup: shared pages counted in part, by how many processes
share them) of each, and the increment per service: (PSS of all, the fork server
included, minus PSS of one alone) / (services - 1).
Import cost: each module below imported in turn in a fresh ``python -c``, time and
RSS growth after the ones before it (cumulative), median of 5 interpreters.
Needs a Docker engine and node_modules (npm ci). Prints one line per figure.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from api_latency import (
    USER,
    WEBAPP,
    Client,
    Service,
    Site,
    ensure_demo_image,
    free_port,
    stop_process,
    wait_until_answers,
)

from remoteappmanager.jupyterhub.forkserver import ForkServer

MODULES = [
    "tornado.web",
    "sqlalchemy.orm",
    "docker",
    "traitlets.config",
    "alembic",
    "jupyterhub.services.auth",
    "remoteappmanager.application",
    "remoteappmanager.handlers.api",  # and the rest of make_web_app's imports
    "remoteappmanager.handlers.gateway",
    "remoteappmanager.handlers.pages",
]

IMPORTS = """
import importlib, json, sys, time
def rss():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) for l in status if l.startswith("VmRSS:")) / 1024
rows = [["python", 0.0, rss()]]
for name in sys.argv[1:]:
    began = time.perf_counter()
    importlib.import_module(name)
    rows.append([name, time.perf_counter() - began, rss()])
print(json.dumps(rows))
"""

BARE = """
import asyncio, sys, tornado.web
class Probe(tornado.web.RequestHandler):
    def get(self):
        self.finish({"version": "0"})
async def main():
    app = tornado.web.Application([(r"/user/bench/api", Probe)])
    app.listen(int(sys.argv[1]), "127.0.0.1")
    await asyncio.Event().wait()
asyncio.run(main())
"""


def status_mb(pid: int, field: str, source: str = "status") -> float:
    """A field in kB of /proc/<pid>/status (VmRSS, VmHWM) or smaps_rollup (Pss), in MB."""
    for line in Path(f"/proc/{pid}/{source}").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def pss_mb(pid: int) -> float:
    return status_mb(pid, "Pss", "smaps_rollup")


def used(site: Site, service: Service) -> None:
    """Ready, then a few requests of the dashboard's kind, as a user would make."""
    wait_until_answers(f"{service.url}api", process=service.process)
    client = Client(service.url, {"Authorization": f"token {site.token}"})
    for _ in range(5):
        client.get(f"/user/{USER}/api/v1/applications")
    client.close()


def memory(site: Site, count: int, server: ForkServer | None) -> tuple[float, float, float]:
    """(RSS of one, PSS of one alone, PSS increment per service) for ``count``
    services side by side, each a process of its own (``server`` None) or forked."""
    services = [site.start_service(server)]
    used(site, services[0])
    time.sleep(2)
    extra = [server.process.pid] if server else []
    one_rss = status_mb(services[0].pid, "VmRSS")
    one_pss = sum(pss_mb(pid) for pid in [services[0].pid, *extra])
    for _ in range(count - 1):
        services.append(site.start_service(server))
    for service in services[1:]:
        used(site, service)
    time.sleep(2)
    all_pss = sum(pss_mb(pid) for pid in [*(s.pid for s in services), *extra])
    for service in services:
        service.stop()
        site.services.remove(service)
    return one_rss, one_pss, (all_pss - one_pss) / (count - 1)


def spawn_times(site: Site, runs: int, server: ForkServer | None) -> list[float]:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        service = site.start_service(server)
        wait_until_answers(f"{service.url}api", process=service.process)
        times.append(time.perf_counter() - began)
        service.stop()
        site.services.remove(service)
    return times


def start_bare() -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", BARE, str(port)], stdin=subprocess.DEVNULL)
    return process, f"http://127.0.0.1:{port}/user/{USER}/"


def imports(modules: list[str]) -> list[list[list]]:
    """[[name, seconds, RSS MB after], ...] of 5 fresh interpreters importing ``modules``."""
    command = [sys.executable, "-c", IMPORTS, *modules]
    return [
        json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        for _ in range(5)
    ]


def import_table() -> None:
    runs = imports(MODULES)
    print("import cost (fresh python, cumulative in this order, median of 5):")
    print(f"  {'module':36} {'time':>9} {'RSS growth':>11} {'RSS after':>10}")
    before = statistics.median(run[0][2] for run in runs)
    print(f"  {'(the interpreter)':36} {'':>9} {'':>11} {before:7.1f} MB")
    total = 0.0
    for i, name in enumerate(MODULES, start=1):
        seconds = statistics.median(run[i][1] for run in runs)
        after = statistics.median(run[i][2] for run in runs)
        total += seconds
        print(f"  {name:36} {seconds * 1000:6.1f} ms {after - before:+8.1f} MB {after:7.1f} MB")
        before = after
    print(f"  {'total':36} {total * 1000:6.1f} ms")
    # jupyterhub.services.auth brings jupyterhub.orm (with alembic) and aiohttp along;
    # remoteappmanager.application imports it only in make_web_app.
    lean = [m for m in MODULES[:7] if m not in ("alembic", "jupyterhub.services.auth")]
    rss = statistics.median(run[-1][2] for run in imports(lean))
    print(f"RSS after the same imports but alembic and jupyterhub.services.auth: {rss:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="starts per figure (default 10)")
    parser.add_argument(
        "--services", type=int, default=20, help="services side by side (default 20)"
    )
    args = parser.parse_args()
    runs = max(args.runs, 10)
    count = max(args.services, 2)

    ensure_demo_image()
    bare_processes: list[subprocess.Popen] = []
    server = ForkServer.start()
    try:
        with Site() as site:
            site.grant(WEBAPP)
            spawn_times(site, 1, server)  # the fork server's imports, once
            bare_times = []
            for _ in range(runs):
                began = time.perf_counter()
                bare, url = start_bare()
                bare_processes.append(bare)
                wait_until_answers(f"{url}api", process=bare)
                bare_times.append(time.perf_counter() - began)
                stop_process(bare)
            own = spawn_times(site, runs, None)
            forked = spawn_times(site, runs, server)
            bare_ready = statistics.median(bare_times)
            print(f"bare tornado server, spawn to ready: {bare_ready * 1000:.0f} ms median")
            for name, times in (("own process", own), ("forked", forked)):
                ready = statistics.median(times)
                print(
                    f"service ({name}), spawn to ready: {ready * 1000:.0f} ms median, "
                    f"max {max(times) * 1000:.0f} ms, {ready / bare_ready:.2f} x the bare server"
                )

            bare, url = start_bare()
            bare_processes.append(bare)
            wait_until_answers(f"{url}api", process=bare)
            time.sleep(1)
            bare_rss, bare_pss = status_mb(bare.pid, "VmRSS"), pss_mb(bare.pid)
            print(f"bare tornado server, idle: RSS {bare_rss:.1f} MB, PSS {bare_pss:.1f} MB")
            stop_process(bare)
            for name, by in (("own process", None), ("forked", server)):
                rss, pss, increment = memory(site, count, by)
                print(
                    f"service ({name}), idle after use: RSS {rss:.1f} MB, PSS alone "
                    f"{pss:.1f} MB{' (with the fork server)' if by else ''}; "
                    f"{count} side by side: +{increment:.1f} MB PSS per service"
                )
        import_table()
    finally:
        server.close()
        for process in bare_processes:
            if process.poll() is None:
                process.kill()
                process.wait()


if __name__ == "__main__":
    main()
