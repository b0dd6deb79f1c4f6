"""`remoteappdb` end to end: the console script in a subprocess, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import sqlite3
import subprocess
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from remoteappmanager.db import Database
from remoteappmanager.db.database import SCHEMA_REVISION
from remoteappmanager.services.audit import AuditLog
from remoteappmanager.services.catalogue import Catalogue
from remoteappmanager.services.containers import ContainerService
from remoteappmanager.services.policy import GrantPolicy

from .support import DEMO_WEBAPP, REMOTEAPPDB

Run = Callable[..., subprocess.CompletedProcess[str]]
Snapshot = Callable[[str], dict[str, list[tuple[Any, ...]]]]


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def refused(result: subprocess.CompletedProcess[str], exit_code: int, message: str) -> None:
    """One clear line on stderr, nothing on stdout, no traceback."""
    assert result.returncode == exit_code, (result.stdout, result.stderr)
    assert result.stderr.startswith("remoteappdb: error: "), result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stdout == ""


@pytest.fixture
def initialised(remoteappdb: Run) -> Run:
    assert "created the database" in ok(remoteappdb("db", "init"))
    return remoteappdb


@pytest.mark.docker  # taking grants away asks the engine for their running apps
def test_users_apps_and_grants_from_the_command_line(
    initialised: Run, docker_engine: Any, db_url: str
) -> None:
    run = initialised
    ok(run("user", "create", "alice"))
    ok(run("user", "create", "bob"))
    ok(run("app", "create", "--no-verify", "simphony/paraview", "--display-name", "ParaView"))
    mapping_id = ok(
        run(
            "app",
            "grant",
            "simphony/paraview",
            "alice",
            "--allow-home",
            "--volume",
            "/srv/data:/data:ro",
            "--app-license",
            "KEY-42",
        )
    ).strip()
    assert len(mapping_id) == 32

    # Granting the same again is idempotent: same id, a note on stderr.
    again = run(
        "app",
        "grant",
        "simphony/paraview",
        "alice",
        "--allow-home",
        "--volume",
        "/srv/data:/data:ro",
        "--app-license",
        "KEY-42",
    )
    assert ok(again).strip() == mapping_id
    assert "already" in again.stderr

    assert ok(run("user", "list")).split() == ["alice", "bob"]
    table = ok(run("user", "list", "--show-apps"))
    assert mapping_id in table and "home,volume=/srv/data:/data:ro,license" in table
    users = json.loads(ok(run("user", "list", "--show-apps", "--json")))
    alice = next(user for user in users if user["name"] == "alice")
    assert alice["grants"] == [
        {
            "mapping_id": mapping_id,
            "image": "simphony/paraview",
            "policy": {
                "allow_home": True,
                "allow_view": False,
                "allow_startup_data": False,
                "volume": "/srv/data:/data:ro",
                "app_license": "KEY-42",
                "idle_timeout": None,
                "max_lifetime": None,
            },
            "created_at": alice["grants"][0]["created_at"],
        }
    ]
    apps = json.loads(ok(run("app", "list", "--json")))
    assert [(a["image"], a["display_name"], a["grants"]) for a in apps] == [
        ("simphony/paraview", "ParaView", 1)
    ]
    # Times say they are UTC, as the REST API and remoteapprest write them.
    for moment in (alice["created_at"], alice["grants"][0]["created_at"], apps[0]["created_at"]):
        assert datetime.fromisoformat(moment).utcoffset() == timedelta(0), moment

    # Revoke needs the policy of the grant (or --revoke-all).
    refused(run("app", "revoke", "simphony/paraview", "alice"), 3, "with this policy")
    assert ok(run("app", "revoke", "simphony/paraview", "alice", "--revoke-all")).strip() == (
        mapping_id
    )
    # Time limits, in seconds: checked, and shown.
    refused(
        run("app", "grant", "simphony/paraview", "bob", "--idle-timeout", "-5"),
        2,
        "idle_timeout must be between 0 (no limit) and",
    )
    ok(run("app", "grant", "simphony/paraview", "bob", "--idle-timeout", "600"))
    assert "idle_timeout=600s" in ok(run("user", "list", "--show-apps"))
    assert "1 grant" in ok(run("app", "remove", "simphony/paraview"))
    assert ok(run("app", "list", "--json")) == "[]\n"
    ok(run("user", "remove", "alice"))
    assert ok(run("user", "list")).split() == ["bob"]

    # Every change is in the audit log, as the admin API writes it, by remoteappdb.
    database = Database(url=db_url)
    with database.transaction(readonly=True) as session:
        entries, total = AuditLog(session).entries(0, 100)
        log = [(e.actor, e.action, e.target) for e in reversed(entries)]
    database.dispose()
    actor = f"remoteappdb ({pwd.getpwuid(os.getuid()).pw_name})"  # not $USER: it can lie
    assert log == [
        (actor, "user.create", "alice"),
        (actor, "user.create", "bob"),
        (actor, "application.create", "simphony/paraview"),
        (actor, "grant.create", mapping_id),
        (actor, "grant.remove", mapping_id),
        (actor, "grant.create", log[5][2]),
        (actor, "application.remove", "simphony/paraview"),
        (actor, "user.remove", "alice"),
    ]
    assert total == len(log)


@pytest.mark.parametrize(
    ("command", "exit_code", "message"),
    [
        (("user", "create", "alice"), 4, "the user 'alice' exists already"),
        (("app", "create", "--no-verify", "app"), 4, "the application 'app' exists already"),
        (("user", "remove", "carol"), 3, "there is no user 'carol'"),
        (("app", "remove", "nope"), 3, "no application with the image 'nope'"),
        (("app", "grant", "nope", "alice"), 3, "no application with the image 'nope'"),
        (("app", "grant", "app", "carol"), 3, "there is no user 'carol'"),
        (("app", "revoke", "app", "alice", "--allow-view"), 3, "has not a grant with this policy"),
        (("user", "create", " alice"), 2, "white space"),
        (("app", "create", "--no-verify", "Not An Image"), 2, "is not a Docker image name"),
        # SECURITY-TESTS 21, command line side.
        (("app", "grant", "app", "alice", "--volume", "/:/data:ro"), 2, "root directory"),
        (("app", "grant", "app", "alice", "--volume", "/etc:/data:ro"), 2, "inside /etc"),
        (
            ("app", "grant", "app", "alice", "--volume", "/var/run/docker.sock:/d:rw"),
            2,
            "inside /var/run",
        ),
        (("app", "grant", "app", "alice", "--volume", "data:/data:ro"), 2, "not an absolute"),
        (("app", "grant", "app", "alice", "--volume", "/a:b:/data:ro"), 2, "SOURCE:TARGET:MODE"),
        (("app", "grant", "app", "alice", "--volume", "/srv:/data:rwx"), 2, "neither 'ro'"),
        # SECURITY-TESTS 61: the site's roots (here /srv), and never the system's own.
        (
            ("app", "grant", "app", "alice", "--volume", "/home/bob:/d:ro"),
            2,
            "allows for volumes (/srv)",
        ),
        (("app", "grant", "app", "alice", "--volume", "/root/.ssh:/d:ro"), 2, "never mounted"),
    ],
)
def test_errors_say_what_is_wrong_and_change_nothing(
    database: Database,
    remoteappdb: Run,
    db_url: str,
    snapshot: Snapshot,
    command: tuple[str, ...],
    exit_code: int,
    message: str,
) -> None:
    """SECURITY-TESTS 21 and 25."""
    with database.transaction() as session:
        catalogue = Catalogue(session)
        catalogue.create_user("alice")
        catalogue.create_application("app")
        catalogue.grant("app", "alice", GrantPolicy(allow_home=True))
    before = snapshot(db_url)
    refused(remoteappdb(*command), exit_code, message)
    assert snapshot(db_url) == before


def test_names_with_quotes_sql_and_wildcards_are_literal(initialised: Run) -> None:
    """SECURITY-TESTS 26 through the command line."""
    names = ["a%", "a_", "ab", "x'; DROP TABLE users; --", 'say "hi"']
    for name in names:
        ok(initialised("user", "create", name))
    ok(initialised("user", "remove", "a%"))
    ok(initialised("user", "remove", "a_"))
    listed = [user["name"] for user in json.loads(ok(initialised("user", "list", "--json")))]
    assert sorted(listed) == sorted(names[2:])


def test_a_database_that_is_not_there_gives_a_clear_error(remoteappdb: Run) -> None:
    refused(remoteappdb("user", "list"), 5, "remoteappdb db init")
    refused(remoteappdb("db", "upgrade"), 5, "remoteappdb db init")


def test_an_old_database_asks_for_upgrade_and_upgrades_without_loss(
    remoteappdb: Run, db_url: str
) -> None:
    """SECURITY-TESTS 28."""
    database = Database(url=db_url)
    database.initialise("0001")
    with database.engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO users (id, name) VALUES (7, 'alice')")
    database.dispose()

    refused(remoteappdb("user", "list"), 5, "run `remoteappdb db upgrade`")
    revision = remoteappdb("db", "revision")
    assert revision.returncode == 5 and "database revision: 0001" in revision.stdout
    assert f"from revision 0001 to {SCHEMA_REVISION}" in ok(remoteappdb("db", "upgrade"))
    assert "newest revision already" in ok(remoteappdb("db", "upgrade"))
    assert ok(remoteappdb("user", "list")).split() == ["alice"]
    assert f"database revision: {SCHEMA_REVISION}" in ok(remoteappdb("db", "revision"))


def test_db_init_refuses_a_database_in_use(initialised: Run) -> None:
    refused(initialised("db", "init"), 4, "is not empty")


def test_a_locked_sqlite_database_gives_a_clear_error_and_nothing_half_written(
    sqlite_url: str, snapshot: Snapshot
) -> None:
    """SECURITY-TESTS 36: another process holds the lock for longer than we wait."""
    database = Database(url=sqlite_url)
    database.initialise()
    database.dispose()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [REMOTEAPPDB, "--db", sqlite_url, "--db-timeout", "0.5", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )

    before = snapshot(sqlite_url)
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        refused(run("user", "create", "alice"), 5, "locked by another process")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert snapshot(sqlite_url) == before
    ok(run("user", "create", "alice"))  # works once the lock is gone


def test_an_unreachable_database_server_gives_a_clear_error() -> None:
    result = subprocess.run(
        [
            REMOTEAPPDB,
            "--db-timeout",
            "2",
            "--db",
            "postgresql+psycopg://someone:secret-pw@127.0.0.1:9/nothing",
            "user",
            "list",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    refused(result, 5, "cannot use the database postgresql+psycopg://someone:***@127.0.0.1:9")
    assert "secret-pw" not in result.stderr


def test_revoke_all_takes_no_policy_options(remoteappdb: Run) -> None:
    result = remoteappdb("app", "revoke", "app", "alice", "--revoke-all", "--allow-home")
    assert result.returncode == 2 and "--revoke-all" in result.stderr


@pytest.mark.parametrize(
    "command",
    [
        (),
        ("db",),
        ("db", "init"),
        ("db", "upgrade"),
        ("db", "revision"),
        ("user",),
        ("user", "create"),
        ("user", "remove"),
        ("user", "list"),
        ("app",),
        ("app", "create"),
        ("app", "remove"),
        ("app", "list"),
        ("app", "grant"),
        ("app", "revoke"),
    ],
)
def test_every_command_explains_itself(command: tuple[str, ...]) -> None:
    result = subprocess.run(
        [REMOTEAPPDB, *command, "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: remoteappdb")
    described = result.stdout.split("\n\n")[1]
    assert len(described.split()) >= 3, result.stdout


@pytest.mark.docker
def test_app_create_verifies_the_image_in_the_docker_engine(
    initialised: Run, busybox_image: str
) -> None:
    ok(initialised("app", "create", busybox_image))
    refused(initialised("app", "create", "remoteappmanager-test/absent:1"), 3, "has no image")
    assert [a["image"] for a in json.loads(ok(initialised("app", "list", "--json")))] == [
        busybox_image
    ]


def test_app_create_says_when_the_docker_engine_does_not_answer(
    initialised: Run, tmp_path: Any
) -> None:
    engine = f"unix://{tmp_path}/no-docker.sock"
    result = initialised("app", "create", "busybox", env={"DOCKER_HOST": engine})
    refused(result, 6, f"the Docker engine at {engine} does not answer")
    assert ok(initialised("app", "create", "busybox", "--no-verify", env={"DOCKER_HOST": engine}))


def test_the_documentation_lists_every_command_and_exit_code() -> None:
    from remoteappmanager.cli.exit_codes import EXIT_CODES

    reference = Path(__file__).parents[1] / "doc" / "reference"
    page = (reference / "remoteappdb.md").read_text()
    codes = (reference / "exit-codes.md").read_text()
    help_text = subprocess.run(
        [REMOTEAPPDB, "--help"], capture_output=True, text=True, timeout=60
    ).stdout
    for group in ("db", "user", "app"):
        assert group in help_text
        commands = subprocess.run(
            [REMOTEAPPDB, group, "--help"], capture_output=True, text=True, timeout=60
        ).stdout
        listed = commands.split("commands:")[1].split("\n")[1].strip(" {}").split(",")
        for command in listed:
            assert f"`{group} {command}" in page, f"{group} {command}"
    for line in EXIT_CODES.splitlines()[1:]:
        code, meaning = line.split(maxsplit=1)
        assert f"| {code} | {meaning} |" in codes, line
    assert "exit-codes.md" in page and "exit codes:\n" in help_text


@pytest.mark.docker
@pytest.mark.parametrize(
    "command",
    [
        ("app", "revoke", DEMO_WEBAPP, "alice", "--revoke-all"),
        ("app", "remove", DEMO_WEBAPP),
        ("user", "remove", "alice"),
    ],
)
async def test_taking_a_grant_away_stops_its_running_app(
    containers: ContainerService,
    grant: Callable[..., str],
    demo_images: Any,
    sqlite_url: str,
    command: tuple[str, ...],
) -> None:
    """SECURITY-TESTS 27: no app keeps running without its grant."""
    container, _ = await containers.start("alice", grant("alice", DEMO_WEBAPP))
    result = await asyncio.to_thread(
        subprocess.run,
        [REMOTEAPPDB, "--db", sqlite_url, *command],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "stopped 1 running application" in result.stdout + result.stderr
    assert await containers.index.find(container.url_id) is None


@pytest.mark.docker
async def test_a_grant_is_not_taken_away_while_its_app_cannot_be_stopped(
    containers: ContainerService,
    grant: Callable[..., str],
    demo_images: Any,
    sqlite_url: str,
    snapshot: Snapshot,
    tmp_path: Path,
) -> None:
    container, _ = await containers.start("alice", grant("alice", DEMO_WEBAPP))
    before = snapshot(sqlite_url)
    result = await asyncio.to_thread(
        subprocess.run,
        [REMOTEAPPDB, "--db", sqlite_url, "user", "remove", "alice"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/gone.sock"},
    )
    refused(result, 6, "does not answer")
    assert snapshot(sqlite_url) == before
    assert (await containers.index.find(container.url_id)) is not None


def test_61_the_site_configuration_is_read_as_the_services_read_it(
    database: Database, db_url: str, snapshot: Snapshot, tmp_path: Path
) -> None:
    """SECURITY-TESTS 61: the volume roots come from the services' configuration file
    ($REMOTEAPPMANAGER_CONFIG, or --config), never from the command; without roots no
    volume is granted, and a missing or broken file is said, with nothing changed."""
    with database.transaction() as session:
        Catalogue(session).create_user("alice")
        Catalogue(session).create_application("app")
    before = snapshot(db_url)
    grant = ("app", "grant", "app", "alice", "--volume", "/srv/data:/data:ro")
    no_roots = tmp_path / "no-roots.py"
    no_roots.write_text('c.ContainerIndex.realm = "elsewhere"\n')
    broken = tmp_path / "broken.py"
    broken.write_text("c.Policy.allowed_volume_roots = [\n")

    def run(*args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "REMOTEAPPMANAGER_CONFIG"}
        if config is not None:
            env["REMOTEAPPMANAGER_CONFIG"] = str(config)
        return subprocess.run(
            [REMOTEAPPDB, "--db", db_url, *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            cwd=tmp_path,
        )

    refused(run(*grant), 2, "this site allows no volumes")
    refused(run(*grant, config=no_roots), 2, "this site allows no volumes")
    refused(run(*grant, config=broken), 2, f"cannot read the configuration file '{broken}'")
    refused(run("--config", str(tmp_path / "nope.py"), *grant), 2, "no configuration file")
    assert snapshot(db_url) == before
    (tmp_path / "remoteappmanager_config.py").write_text(
        'c.Policy.allowed_volume_roots = ["/srv"]\n'
    )
    assert len(ok(run(*grant)).strip()) == 32  # the file in the working directory
