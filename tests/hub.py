"""A real JupyterHub behind a real configurable-http-proxy, for the tests.

`Hub.start` writes a ``jupyterhub_config.py`` in a work directory (free loopback ports,
SQLite database, JupyterHub's shared-password login with random passwords, one for
the users and one for the administrators named, an admin service token) followed by
the test's own configuration, runs ``jupyterhub`` there and waits until the Hub
answers through the proxy. `login` logs a user in the way a browser does and
`open_server` opens the user's server through the Hub (spawn, pending page, OAuth).

The proxy is ``node_modules/.bin/configurable-http-proxy``, installed by ``npm ci``
(``make test`` does it). Finding leftover proxy processes reads ``/proc`` (Linux).

Every process the harness starts is written, while it runs, in a `ProcessRecord`
(`HARNESS_PROCESSES`) with the session that started it, so that the next test session
ends what a killed one left behind (`ProcessRecord.reap`, called by tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import json
import os
import re
import secrets
import select
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlparse

import requests

ROOT = Path(__file__).resolve().parents[1]
CHP = ROOT / "node_modules" / ".bin" / "configurable-http-proxy"
JUPYTERHUB = Path(sys.executable).with_name("jupyterhub")
ADMIN_SERVICE = "test-admin"

# What a browser sends when the user follows a link or submits a form. JupyterHub uses
# these to decide when to set and check its XSRF cookie (jupyterhub/_xsrf_utils.py).
NAVIGATE = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "same-origin"}


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# A test run killed outright (SIGKILL of pytest, a CI job cut) runs no teardown: the Hub,
# started in a session of its own, survives it, and so does the proxy it started. So each
# process the harness starts is written in a record while it runs, and the next session
# ends those whose session is gone.


@functools.cache
def _boot_id() -> str:
    return Path("/proc/sys/kernel/random/boot_id").read_text().strip()


@dataclass(frozen=True)
class ProcessId:
    """One process, told apart from any later one given the same PID: its start time
    (field 22 of ``/proc/<pid>/stat``, clock ticks after boot) and the boot it runs in."""

    pid: int
    start_time: int
    boot_id: str

    @classmethod
    def of(cls, pid: int) -> ProcessId | None:
        """The process ``pid`` now; None when there is none, or only a zombie (it has
        ended and waits for its parent to collect it)."""
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return None
        # The command name, field 2, is in parentheses and may hold spaces and ")".
        state, *fields = stat[stat.rindex(")") + 2 :].split()
        if state in ("Z", "X"):
            return None
        return cls(pid, int(fields[18]), _boot_id())

    def is_running(self) -> bool:
        """Whether this very process still runs (not another one given its PID since)."""
        return ProcessId.of(self.pid) == self

    def started_at(self) -> datetime:
        boot_time = next(
            int(line.split()[1])
            for line in Path("/proc/stat").read_text().splitlines()
            if line.startswith("btime ")
        )
        return datetime.fromtimestamp(boot_time + self.start_time / os.sysconf("SC_CLK_TCK"))


@dataclass(frozen=True)
class Started:
    """An entry of a `ProcessRecord`: a process the harness started, what it is for
    people, and its owner, the process (the pytest session) that would stop it."""

    process: ProcessId
    what: str
    owner: ProcessId


@dataclass(frozen=True)
class ProcessRecord:
    """The processes the harness started and has not stopped yet, in the JSON file
    ``path`` (``{"processes": [entry, ...]}``, each entry a `Started` as a mapping).

    The file is read and rewritten whole under an exclusive `fcntl.flock` of
    ``<path>.lock`` (test sessions that run at the same time share it; the kernel drops
    the lock of a process that dies) and replaced atomically, so that a run killed while
    writing it leaves the record as it was.
    """

    path: Path

    def add(self, pid: int, what: str, owner: ProcessId | None = None) -> Started | None:
        """Record process ``pid``, owned by ``owner`` (by default this process). Returns
        the entry to `remove` once the process is stopped; None when it has already
        ended, leaving nothing to record."""
        process = ProcessId.of(pid)
        if process is None:
            return None
        owner = owner or ProcessId.of(os.getpid())
        assert owner is not None
        entry = Started(process, what, owner)
        self.append(entry)
        return entry

    def append(self, entry: Started) -> None:
        """Record ``entry`` as it is (`add` makes it from a PID)."""
        with self._entries() as entries:
            entries.append(entry)

    def remove(self, *entries: Started | None) -> None:
        """Forget ``entries``, whose processes were stopped (None is skipped)."""
        stopped = {entry for entry in entries if entry is not None}
        if stopped:
            with self._entries() as recorded:
                recorded[:] = [entry for entry in recorded if entry not in stopped]

    def entries(self) -> list[Started]:
        """The entries now, oldest first."""
        with self._entries() as entries:
            return list(entries)

    def reap(self, report: Callable[[str], None], wait: float = 10) -> list[Started]:
        """End what sessions that are gone left running; returns the entries ended.

        An entry whose owner still runs (the same PID with the same start time) belongs
        to a session running now: it stays, and its process is left alone. Every other
        entry leaves the record, and its process, if it still runs (the same PID with
        the same start time: never a later process given that PID), is ended: SIGTERM
        (to the process group it leads, if it leads one, as a Hub and its proxy do),
        then SIGKILL if it is still there ``wait`` seconds later. Entries are taken
        oldest first, so a Hub has its SIGTERM (and stops its proxy itself) before its
        proxy's entry comes. ``report`` is told of each process ended, how and why, and
        of each that ended by itself meanwhile. The record stays locked all along, so
        two sessions starting at once do not both reap.
        """
        ended = []
        with self._entries() as entries:
            orphans = [entry for entry in entries if not entry.owner.is_running()]
            entries[:] = [entry for entry in entries if entry not in orphans]
            # Those not running now have ended, or their PIDs are other processes' now.
            # Described before any is ended: ending a Hub ends its proxy.
            running = {
                entry: (
                    f"{entry.what} (PID {entry.process.pid}: {_command_line(entry.process.pid)},"
                    f" running since {entry.process.started_at():%Y-%m-%d %H:%M:%S})"
                )
                for entry in orphans
                if entry.process.is_running()
            }
            for entry, left in running.items():
                why = f"the test session that started it (PID {entry.owner.pid}) is gone"
                how = _end(entry.process, wait)
                if how is None:  # a Hub stops its proxy as it exits
                    report(
                        f"{left} ended by itself, as the processes before it ended:"
                        f" {why} [{self.path}]"
                    )
                    continue
                ended.append(entry)
                report(
                    f"ended {left} with {how}: {why}, and nothing else would stop it [{self.path}]"
                )
        return ended

    @contextlib.contextmanager
    def _entries(self) -> Iterator[list[Started]]:
        """The entries, locked; what the caller leaves in the list is written back."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
            try:
                recorded = json.loads(self.path.read_text())["processes"]
            except FileNotFoundError:
                recorded = []
            read = [
                Started(ProcessId(**entry["process"]), entry["what"], ProcessId(**entry["owner"]))
                for entry in recorded
            ]
            entries = list(read)
            yield entries
            if entries != read:
                written = {
                    "about": "Processes tests/hub.py and tests/conftest.py started and have"
                    " not stopped; a test session ends those whose owner is gone.",
                    "processes": [dataclasses.asdict(entry) for entry in entries],
                }
                new = self.path.with_name(f"{self.path.name}.{os.getpid()}.new")
                new.write_text(json.dumps(written, indent=2) + "\n")
                os.replace(new, self.path)


# In the checkout, not in tempfile.gettempdir(): a run from this checkout finds it whatever
# TMPDIR or --basetemp it has, a run from another checkout keeps a record of its own, and
# no other user of the machine can write it. Git ignores test-artifacts/.
HARNESS_PROCESSES = ProcessRecord(ROOT / "test-artifacts" / "harness-processes.json")


def _command_line(pid: int) -> str:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    except OSError:
        return "?"
    return " ".join(arg.decode(errors="replace") for arg in argv)[:200]


def _end(process: ProcessId, wait: float) -> str | None:
    """End ``process`` (see `ProcessRecord.reap`); how, or None if it was not running."""
    try:
        pidfd = os.pidfd_open(process.pid)
    except ProcessLookupError:
        return None
    try:
        # Checked once the pidfd is open: from then on it names this very process,
        # whichever process is given its PID later, and the waits below poll it.
        if not process.is_running():
            return None
        leads_group = os.getpgid(process.pid) == process.pid
        whom = "its process group" if leads_group else "it"

        def send(sig: signal.Signals) -> None:
            with contextlib.suppress(ProcessLookupError):
                if leads_group:
                    os.killpg(process.pid, sig)  # its PID is its group's while it runs
                else:
                    signal.pidfd_send_signal(pidfd, sig)

        send(signal.SIGTERM)
        if _exits(pidfd, wait):
            return f"SIGTERM to {whom}"
        send(signal.SIGKILL)
        if _exits(pidfd, 5):
            return f"SIGKILL to {whom}, {wait:g} s after its SIGTERM"
        return f"SIGTERM and SIGKILL to {whom}, and it still runs"
    finally:
        os.close(pidfd)


def _exits(pidfd: int, timeout: float) -> bool:
    """Whether the process of ``pidfd`` ends within ``timeout`` seconds."""
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)  # readable once the process has ended
    return bool(poller.poll(timeout * 1000))


@dataclass(eq=False)
class Hub:
    """A running JupyterHub and the configurable-http-proxy it started.

    ``url`` is the public URL (the proxy, ending in ``/``), ``api_url`` the Hub's REST
    API through it (``.../hub/api``), ``proxy_api_url`` the proxy's own REST API with
    ``proxy_token``. Any user logs in with ``password``. ``admin_token`` is the token
    of the ``test-admin`` service, which may create users and their tokens. The Hub and
    its proxy are in a `ProcessRecord` from `start` to `stop`.
    """

    workdir: Path
    process: subprocess.Popen[bytes]
    url: str
    api_url: str
    proxy_api_url: str
    proxy_token: str
    password: str
    admin_password: str
    admin_users: frozenset[str]
    admin_token: str
    _proxy_api_port: int = field(repr=False)
    _record: ProcessRecord = field(default=HARNESS_PROCESSES, repr=False)
    _recorded: list[Started] = field(default_factory=list, repr=False)

    @classmethod
    def start(
        cls,
        workdir: Path,
        config: str,
        env: dict[str, str] | None = None,
        timeout: float = 60,
        subdomains: bool = False,
        admin_users: Iterable[str] = (),
        record: ProcessRecord = HARNESS_PROCESSES,
    ) -> Hub:
        """Start a Hub in ``workdir`` with ``config`` appended to the generated config.

        ``env`` is added to this process's environment (minus its ``JUPYTERHUB_*`` and
        ``CONFIGPROXY_*`` variables). Returns once ``GET {url}hub/api`` answers 200;
        raises `RuntimeError` with the end of ``hub.log`` when the Hub exits or does not
        answer within ``timeout`` seconds. With ``subdomains`` the Hub is at
        ``http://localhost:PORT/`` with its ``subdomain_host`` there, so each user's
        server is at ``http://<user>.localhost:PORT/`` and the proxy routes by host
        (clients resolve ``*.localhost`` with `resolve_localhost_subdomains`).
        The Hub, then its proxy once it answers, are written in ``record`` while they
        run (a test of the record gives one of its own).
        """
        if not os.access(CHP, os.X_OK):
            raise RuntimeError(
                f"{CHP} is missing: run `make node_modules/.package-lock.json` (npm ci)"
            )
        workdir = Path(workdir).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        ports: set[int] = set()
        while len(ports) < 3:
            ports.add(free_port())
        public_port, hub_port, proxy_api_port = ports
        url = f"http://{'localhost' if subdomains else '127.0.0.1'}:{public_port}/"
        proxy_api_url = f"http://127.0.0.1:{proxy_api_port}"
        proxy_token, password, admin_password, admin_token = (
            secrets.token_hex(32) for _ in range(4)
        )
        generated = f"""\
# Generated by tests/hub.py.
c = get_config()  # noqa
c.JupyterHub.bind_url = {f"http://127.0.0.1:{public_port}/"!r}
c.JupyterHub.subdomain_host = {url.rstrip("/") if subdomains else ""!r}
c.JupyterHub.hub_bind_url = {f"http://127.0.0.1:{hub_port}"!r}
c.ConfigurableHTTPProxy.api_url = {proxy_api_url!r}
c.ConfigurableHTTPProxy.command = [{str(CHP)!r}]
c.ConfigurableHTTPProxy.auth_token = {proxy_token!r}
c.ConfigurableHTTPProxy.pid_file = {str(workdir / "jupyterhub-proxy.pid")!r}
c.JupyterHub.db_url = {"sqlite:///" + str(workdir / "jupyterhub.sqlite")!r}
c.JupyterHub.cookie_secret_file = {str(workdir / "jupyterhub_cookie_secret")!r}
c.JupyterHub.pid_file = {str(workdir / "jupyterhub.pid")!r}
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = {password!r}
c.SharedPasswordAuthenticator.admin_password = {admin_password!r}
c.Authenticator.allow_all = True
c.Authenticator.admin_users = {set(admin_users)!r}
c.JupyterHub.services = [{{"name": {ADMIN_SERVICE!r}, "api_token": {admin_token!r}}}]
c.JupyterHub.load_roles = [
    {{
        "name": {ADMIN_SERVICE!r},
        "scopes": ["admin:users", "tokens", "read:servers"],
        "services": [{ADMIN_SERVICE!r}],
    }}
]

# The test's configuration.
"""
        config_file = workdir / "jupyterhub_config.py"
        config_file.write_text(generated + textwrap.dedent(config) + "\n")
        full_env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("JUPYTERHUB_", "CONFIGPROXY_"))
        }
        # As an operator would give them to deploy/jupyterhub_config.py.
        full_env.update(CONFIGPROXY_API_URL=proxy_api_url, CONFIGPROXY_AUTH_TOKEN=proxy_token)
        full_env.update(env or {})
        with open(workdir / "hub.log", "ab") as log:
            process = subprocess.Popen(
                [str(JUPYTERHUB), "-f", str(config_file)],
                cwd=workdir,
                env=full_env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        recorded = record.add(process.pid, f"the jupyterhub of tests/hub.py in {workdir}")
        hub = cls(
            workdir=workdir,
            process=process,
            url=url,
            api_url=f"{url}hub/api",
            proxy_api_url=proxy_api_url,
            proxy_token=proxy_token,
            password=password,
            admin_password=admin_password,
            admin_users=frozenset(admin_users),
            admin_token=admin_token,
            _proxy_api_port=proxy_api_port,
            _record=record,
            _recorded=[recorded] if recorded else [],
        )
        try:
            hub._wait_up(timeout)
            # The Hub writes it once the proxy runs (ConfigurableHTTPProxy.pid_file); a
            # test's configuration may have the Hub start none.
            with contextlib.suppress(FileNotFoundError):
                proxy_pid = int((workdir / "jupyterhub-proxy.pid").read_text())
                proxy = record.add(
                    proxy_pid, f"the configurable-http-proxy of the Hub in {workdir}"
                )
                hub._recorded += [proxy] if proxy else []
        except BaseException:
            hub.stop()
            raise
        return hub

    def password_of(self, user: str) -> str:
        """The password ``user`` logs in with: administrators have their own."""
        return self.admin_password if user in self.admin_users else self.password

    def _wait_up(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"jupyterhub exited with {self.process.returncode}; hub.log ends:\n"
                    + self.log_tail()
                )
            try:
                if requests.get(self.api_url, timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"jupyterhub did not answer {self.api_url} within {timeout:g} s;"
                    " hub.log ends:\n" + self.log_tail()
                )
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop the Hub (SIGTERM, SIGKILL after 30 s) and make sure its proxy is gone.

        The Hub terminates the proxy and the servers it spawned as it exits; a proxy
        still there 5 s later is killed. Both then leave the record. May be called more
        than once.
        """
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        deadline = time.monotonic() + 5
        while (pids := self.proxy_pids()) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._record.remove(*self._recorded)
        self._recorded.clear()

    def proxy_pids(self) -> list[int]:
        """PIDs of the live configurable-http-proxy processes with this Hub's API port."""
        port = str(self._proxy_api_port).encode()
        pids = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                argv = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:  # gone meanwhile, or not ours to read
                continue
            if (
                any(arg.endswith(b"configurable-http-proxy") for arg in argv)
                and b"--api-port" in argv
                and argv[argv.index(b"--api-port") + 1 :][:1] == [port]
            ):
                pids.append(int(proc.name))
        return pids

    def log_tail(self, n: int = 60) -> str:
        """The last ``n`` lines of ``hub.log`` (the Hub's and the proxy's output)."""
        try:
            lines = (self.workdir / "hub.log").read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return "(no hub.log)"
        return "\n".join(lines[-n:])

    def routes(self) -> dict[str, Any]:
        """The proxy's routing table (``GET /api/routes`` of configurable-http-proxy)."""
        response = requests.get(
            f"{self.proxy_api_url}/api/routes",
            headers={"Authorization": f"token {self.proxy_token}"},
            timeout=10,
        )
        response.raise_for_status()
        routes: dict[str, Any] = response.json()
        return routes

    def api_token(self, user: str) -> str:
        """A new API token of ``user`` (created if needed), with all the user's rights."""
        headers = {"Authorization": f"token {self.admin_token}"}
        user_url = f"{self.api_url}/users/{quote(user, safe='')}"
        created = requests.post(user_url, headers=headers, timeout=10)
        if created.status_code not in (201, 409):  # 409: the user exists
            raise RuntimeError(f"creating user {user!r}: {created.status_code} {created.text}")
        response = requests.post(
            f"{user_url}/tokens", json={"note": "tests/hub.py"}, headers=headers, timeout=10
        )
        if response.status_code != 201:
            raise RuntimeError(f"token for {user!r}: {response.status_code} {response.text}")
        token: str = response.json()["token"]
        return token

    def __enter__(self) -> Hub:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextlib.contextmanager
def resolve_localhost_subdomains() -> Iterator[None]:
    """``*.localhost`` names resolve to 127.0.0.1 in this process, as Chromium resolves
    them (RFC 6761); the system's resolver here knows only ``localhost`` itself."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith(".localhost"):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo  # type: ignore[assignment]
    try:
        yield
    finally:
        socket.getaddrinfo = real


def login(hub: Hub, user: str, password: str | None = None) -> requests.Session:
    """A session logged in to ``hub`` as ``user``, the way a browser logs in.

    Gets the login page, posts its form (``_xsrf``, ``username``, ``password``; the
    password defaults to the user's, `Hub.password_of`) and follows the redirects to
    the Hub's home page (``next`` is set so that logging in does not spawn the user's
    server). Raises
    `AssertionError` with the Hub's message when the login is refused.
    """
    session = requests.Session()
    home = urlparse(hub.url).path + "hub/home"
    page = session.get(f"{hub.url}hub/login", params={"next": home}, headers=NAVIGATE, timeout=30)
    assert page.status_code == 200, f"GET {page.url}: HTTP {page.status_code}\n{page.text}"
    form = next((f for f in _Page(page.text).forms if "_xsrf" in dict(f.hidden)), None)
    assert form is not None, f"no login form with _xsrf at {page.url}:\n{page.text}"
    data = {
        **dict(form.hidden),
        "username": user,
        "password": hub.password_of(user) if password is None else password,
    }
    posted = session.post(
        urljoin(page.url, form.action or page.url),
        data=data,
        headers=NAVIGATE,
        allow_redirects=False,
        timeout=30,
    )
    if posted.status_code != 302:
        error = re.search(r'class="login_error">([^<]*)<', posted.text)
        raise AssertionError(
            f"login as {user!r} failed: HTTP {posted.status_code}"
            + (f": {error.group(1).strip()}" if error else f"\n{posted.text}")
        )
    landed = session.get(
        urljoin(posted.url, posted.headers["Location"]), headers=NAVIGATE, timeout=30
    )
    assert landed.ok, f"after login as {user!r}: GET {landed.url}: HTTP {landed.status_code}"
    return session


def open_server(
    session: requests.Session, hub: Hub, user: str, timeout: float = 60
) -> requests.Response:
    """Open ``{url}user/{user}/`` with a logged-in session, as a browser would.

    When the server is not running, follows the Hub's "Launch Server" link, then
    reloads the spawn-pending page until the Hub redirects to the server; the server's
    OAuth flow (``hub/api/oauth2/authorize``, then ``user/{user}/oauth_callback``) runs
    through the redirects, and an authorization page the Hub shows is accepted. Returns
    the final response (which may be an error page of the server or of the Hub; a
    spawner's options form is returned as it is). Raises `AssertionError` with the end
    of hub.log when the server fails to start or is not up within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    hub_prefix = urlparse(hub.url).path + "hub/"
    launched = False

    def get(url: str) -> requests.Response:
        remaining = max(deadline - time.monotonic(), 1)
        return session.get(url, headers=NAVIGATE, timeout=remaining)

    response = get(f"{hub.url}user/{quote(user, safe='')}/")
    while True:
        path = urlparse(response.url).path
        is_html = response.headers.get("Content-Type", "").startswith("text/html")
        page = _Page(response.text) if is_html and path.startswith(hub_prefix) else None
        if page is not None and "start" in page.links:  # the Hub's "not running" page
            if launched or response.status_code >= 500:
                raise AssertionError(
                    f"the server of {user!r} did not start: HTTP {response.status_code}"
                    f" at {response.url}; hub.log ends:\n{hub.log_tail()}"
                )
            launched = True
            response = get(urljoin(response.url, page.links["start"]))
        elif path.startswith(f"{hub_prefix}spawn-pending/"):
            if response.status_code != 200:
                raise AssertionError(
                    f"the server of {user!r} failed: HTTP {response.status_code};"
                    f" hub.log ends:\n{hub.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"the server of {user!r} still pending after {timeout:g} s;"
                    f" hub.log ends:\n{hub.log_tail()}"
                )
            time.sleep(0.25)
            response = get(response.url)  # what the pending page's script does
        elif path == f"{hub_prefix}api/oauth2/authorize" and page and page.forms:
            form = page.forms[0]
            response = session.post(
                urljoin(response.url, form.action or response.url),
                data=form.hidden,
                headers=NAVIGATE,
                timeout=max(deadline - time.monotonic(), 1),
            )
        else:
            return response


@dataclass
class _Form:
    action: str
    hidden: list[tuple[str, str]] = field(default_factory=list)


class _Page(HTMLParser):
    """The forms (with their hidden inputs) and the links with an ``id`` of a page."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.forms: list[_Form] = []
        self.links: dict[str, str] = {}
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.forms.append(_Form(action=attr.get("action", "")))
        elif tag == "input" and attr.get("type") == "hidden" and "name" in attr and self.forms:
            self.forms[-1].hidden.append((attr["name"], attr.get("value", "")))
        elif tag == "a" and "id" in attr and "href" in attr:
            self.links[attr["id"]] = attr["href"]
