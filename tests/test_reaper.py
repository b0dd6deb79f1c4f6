"""The record of the processes the harness starts, and its reaper (tests/processes.py).

A test session killed outright leaves its Hub and proxy running; the next session
ends them, and only them: processes that are the very ones recorded (same PID, same
start time) and whose session is gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.hub import Hub
from tests.processes import ROOT, ProcessId, ProcessRecord, Started


@pytest.fixture
def record(tmp_path: Path) -> ProcessRecord:
    return ProcessRecord(tmp_path / "test-artifacts" / "harness-processes.json")


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A harmless process leading a session of its own, as the Hub does."""
    process = subprocess.Popen(["sleep", "600"], start_new_session=True)
    yield process
    process.kill()
    process.wait()


def gone_session() -> ProcessId:
    """The identity of a process that has ended, as a killed session's is."""
    process = subprocess.Popen(["sleep", "600"])
    identity = ProcessId.of(process.pid)
    assert identity is not None
    process.kill()
    process.wait()
    return identity


def test_a_process_a_gone_session_left_is_ended_and_forgotten(
    record: ProcessRecord, sleeper: subprocess.Popen[bytes]
) -> None:
    record.add(sleeper.pid, "a sleep of the test", owner=gone_session())
    messages: list[str] = []
    ended = record.reap(messages.append, wait=5)
    assert sleeper.wait(5) == -signal.SIGTERM
    assert [entry.process.pid for entry in ended] == [sleeper.pid]
    assert record.entries() == []
    [message] = messages
    assert f"ended a sleep of the test (PID {sleeper.pid}: sleep 600, running since" in message
    assert "with SIGTERM to its process group" in message
    assert "the test session that started it" in message and "is gone" in message


def test_the_process_group_it_leads_ends_with_it(record: ProcessRecord) -> None:
    leader = subprocess.Popen(
        ["sh", "-c", "sleep 600 & echo $!; wait"], stdout=subprocess.PIPE, start_new_session=True
    )
    try:
        assert leader.stdout is not None
        member = int(leader.stdout.readline())
        record.add(leader.pid, "a shell", owner=gone_session())
        record.reap(lambda message: None, wait=5)
        assert leader.wait(5) == -signal.SIGTERM
        deadline = time.monotonic() + 5
        while ProcessId.of(member) is not None:
            assert time.monotonic() < deadline, "the member of its group still runs"
            time.sleep(0.05)
    finally:
        leader.kill()
        leader.wait()
        leader.stdout.close()  # type: ignore[union-attr]


def test_a_process_that_ignores_sigterm_gets_sigkill(record: ProcessRecord) -> None:
    stubborn = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal, time\n"
            "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "print('ready', flush=True)\n"
            "time.sleep(600)\n",
        ],
        stdout=subprocess.PIPE,
    )
    try:
        assert stubborn.stdout is not None and stubborn.stdout.readline() == b"ready\n"
        record.add(stubborn.pid, "a stubborn one", owner=gone_session())
        messages: list[str] = []
        record.reap(messages.append, wait=0.5)
        assert stubborn.wait(5) == -signal.SIGKILL
        [message] = messages
        assert "with SIGKILL to it, 0.5 s after its SIGTERM" in message  # leads no group
    finally:
        stubborn.kill()
        stubborn.wait()
        stubborn.stdout.close()  # type: ignore[union-attr]


@pytest.mark.parametrize("differs", ["start_time", "boot_id"])
def test_a_reused_pid_is_not_touched(
    record: ProcessRecord, sleeper: subprocess.Popen[bytes], differs: str
) -> None:
    """The record names a process that has ended, whose PID another process has now."""
    now = ProcessId.of(sleeper.pid)
    assert now is not None
    earlier = (
        replace(now, start_time=now.start_time - 100)
        if differs == "start_time"
        else replace(now, boot_id="a boot before")
    )
    record.append(Started(earlier, "an ended process", owner=gone_session()))
    assert record.reap(lambda message: pytest.fail(message), wait=1) == []
    assert sleeper.poll() is None
    assert record.entries() == []  # the entry was stale: it is cleared


def test_the_entries_of_a_running_session_are_not_touched(
    record: ProcessRecord, sleeper: subprocess.Popen[bytes]
) -> None:
    """Two sessions at the same time: this one owns the entry (its default owner)."""
    entry = record.add(sleeper.pid, "a sleep of this session")
    assert entry is not None and entry.owner == ProcessId.of(os.getpid())
    assert record.reap(lambda message: pytest.fail(message), wait=1) == []
    assert sleeper.poll() is None
    assert record.entries() == [entry]


def test_an_entry_whose_process_ended_leaves_quietly(record: ProcessRecord) -> None:
    process = subprocess.Popen(["sleep", "600"])
    record.add(process.pid, "a sleep", owner=gone_session())
    process.kill()
    process.wait()
    assert record.add(process.pid, "an ended process") is None  # nothing to record
    assert record.reap(lambda message: pytest.fail(message), wait=1) == []
    assert record.entries() == []


def test_remove_forgets_only_the_entries_given(
    record: ProcessRecord, sleeper: subprocess.Popen[bytes]
) -> None:
    first = record.add(sleeper.pid, "first")
    second = record.add(sleeper.pid, "second")
    record.remove(first, None)
    assert record.entries() == [second]


@pytest.mark.slow
def test_a_hub_and_its_proxy_are_recorded_until_stopped(
    record: ProcessRecord, tmp_path: Path
) -> None:
    hub = Hub.start(tmp_path / "hub", "", record=record)
    try:
        entries = record.entries()
        [proxy] = hub.proxy_pids()
        assert [entry.process for entry in entries] == [
            ProcessId.of(hub.process.pid),
            ProcessId.of(proxy),
        ]
        assert all(entry.owner == ProcessId.of(os.getpid()) for entry in entries)
        assert "jupyterhub" in entries[0].what and "proxy" in entries[1].what
    finally:
        hub.stop()
    assert record.entries() == []


@pytest.mark.slow
def test_the_hub_of_a_killed_session_is_reaped(record: ProcessRecord, tmp_path: Path) -> None:
    """The defect: a session killed with SIGKILL leaves its Hub and proxy running."""
    session = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""\
                import time
                from pathlib import Path
                from tests.hub import Hub
                from tests.processes import ProcessRecord
                Hub.start(Path({str(tmp_path / "hub")!r}), "", record=ProcessRecord(
                    Path({str(record.path)!r})))
                print("up", flush=True)
                time.sleep(600)
            """),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    try:
        assert session.stdout is not None and session.stdout.readline() == b"up\n"
        session.kill()
        session.wait()
        left = record.entries()
        assert len(left) == 2 and all(entry.process.is_running() for entry in left)
        messages: list[str] = []
        ended = record.reap(messages.append)
        assert [entry.process for entry in ended] == [left[0].process]  # the Hub...
        assert not left[1].process.is_running()  # ...which stopped its proxy as it exited
        assert messages[0].startswith("ended the jupyterhub of tests/hub.py in")
        assert "the configurable-http-proxy of the Hub" in messages[1]
        assert "configurable-http-proxy --ip 127.0.0.1" in messages[1]  # its command line
        assert "ended by itself, as the processes before it ended" in messages[1]
        assert record.entries() == []
    finally:
        session.kill()
        session.wait()
        session.stdout.close()  # type: ignore[union-attr]
        record.reap(lambda message: None)  # whatever a failed assertion left
