"""What one per-user service costs: spawn-to-ready time, idle RSS, and its imports.

    python bench/service_footprint.py [--runs 10]

Spawn to ready: from starting the ``remoteappmanager`` console script (with the
environment a spawner gives it, against a real Hub from tests/hub.py) until
``GET {prefix}api`` answers 200, polled every 5 ms; median of ``--runs`` starts.
RSS: VmRSS (and the peak, VmHWM) from /proc/<pid>/status of one service left idle
after a few ``GET api/v1/applications`` with the user's token. The baseline, measured
the same way in the same run, is a bare tornado server answering the same probe.
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
    Site,
    ensure_demo_image,
    free_port,
    stop_process,
    wait_until_answers,
)

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


def status_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


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
    args = parser.parse_args()
    runs = max(args.runs, 10)

    ensure_demo_image()
    bare_processes: list[subprocess.Popen] = []
    try:
        with Site() as site:
            site.grant(WEBAPP)
            # One start at a time, alternating baseline and service.
            bare_times, our_times = [], []
            for _ in range(runs):
                began = time.perf_counter()
                bare, url = start_bare()
                bare_processes.append(bare)
                wait_until_answers(f"{url}api", process=bare)
                bare_times.append(time.perf_counter() - began)
                stop_process(bare)
                began = time.perf_counter()
                service = site.start_service()
                wait_until_answers(f"{service.url}api", process=service.process)
                our_times.append(time.perf_counter() - began)
                service.stop()
            bare_ready, our_ready = statistics.median(bare_times), statistics.median(our_times)
            print(f"bare tornado server, spawn to ready: {bare_ready:.3f} s median")
            print(f"service spawn to ready: {our_ready:.3f} s median, max {max(our_times):.3f} s")

            service = site.start_service()
            wait_until_answers(f"{service.url}api", process=service.process)
            client = Client(service.url, {"Authorization": f"token {site.token}"})
            for _ in range(5):
                client.get(f"/user/{USER}/api/v1/applications")
            client.close()
            bare, url = start_bare()
            bare_processes.append(bare)
            wait_until_answers(f"{url}api", process=bare)
            for _ in range(5):
                wait_until_answers(f"{url}api")
            time.sleep(1)
            pid = service.process.pid
            bare_rss = status_mb(bare.pid, "VmRSS")
            print(f"bare tornado server, idle RSS: {bare_rss:.1f} MB")
            print(f"service idle RSS after 5 GET applications: {status_mb(pid, 'VmRSS'):.1f} MB")
            print(f"service peak RSS (VmHWM): {status_mb(pid, 'VmHWM'):.1f} MB")
            stop_process(bare)
        import_table()
    finally:
        for process in bare_processes:
            if process.poll() is None:
                process.kill()
                process.wait()


if __name__ == "__main__":
    main()
