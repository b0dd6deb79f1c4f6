"""The processes the test harness starts, recorded while they run, so that the next
test session ends what a killed one left behind.

A test run killed outright (SIGKILL of pytest, a CI job cut) runs no teardown: the Hub,
started in a session of its own, survives it, and so does the proxy it started. So each
process the harness starts (tests/hub.py's Hub and its proxy, the ``proxy`` and
``router`` fixtures) is written in `HARNESS_PROCESSES` while it runs, and
`ProcessRecord.reap`, called by tests/conftest.py at the start of a session, ends
those whose session is gone. Processes are named by PID, start time and boot, never
by name. Reads ``/proc`` (Linux).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import json
import os
import select
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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
