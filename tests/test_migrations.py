"""Schema migrations: upgrades keep every row, and the schema matches the models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from remoteappmanager.db import Base, Database
from remoteappmanager.db.database import MIGRATIONS_DIR, SCHEMA_REVISION
from remoteappmanager.errors import AlreadyExists, SchemaMismatch

INITIAL = "0001"
RENAMED = {"accounting": "grants"}


def fill_initial_schema(database: Database) -> None:
    """Rows as an installation at the initial revision would have them."""
    with database.engine.begin() as connection:
        connection.execute(
            text("INSERT INTO users (id, name) VALUES (1, 'alice'), (2, 'bob''s; --')")
        )
        connection.execute(
            text(
                "INSERT INTO applications (id, image, display_name, description) VALUES "
                "(1, 'simphony/app', 'App', NULL), (2, 'other:1.0', NULL, 'text')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO policies (id, allow_home, allow_view, allow_startup_data, "
                "volume_source, volume_target, volume_mode, app_license) VALUES "
                "(1, :yes, :no, :no, '/srv/data', '/data', 'ro', 'KEY'),"
                "(2, :no, :yes, :yes, NULL, NULL, NULL, NULL)"
            ),
            {"yes": True, "no": False},
        )
        connection.execute(
            text(
                "INSERT INTO accounting (mapping_id, user_id, application_id, policy_id) VALUES "
                "('aa' || :pad, 1, 1, 1), ('bb' || :pad, 2, 2, 2)"
            ),
            {"pad": "0" * 30},
        )


def test_upgrade_from_the_initial_revision_keeps_every_row(
    db_url: str, snapshot: Callable[[str], dict[str, list[tuple[Any, ...]]]]
) -> None:
    database = Database(url=db_url)
    database.initialise(INITIAL)
    fill_initial_schema(database)
    before = snapshot(db_url)

    with pytest.raises(SchemaMismatch, match=r"revision 0001.*remoteappdb db upgrade"):
        database.check_schema()
    database.upgrade()
    database.check_schema()

    after = snapshot(db_url)
    # Revision 0005 calls simphony-remote's "accounting" table "grants"; 0006 adds
    # the runs the culler keeps, and two empty limits to each policy; 0007 the shares.
    new_tables = {"audit_log", "grants", "app_runs", "shares", "share_tickets"}
    assert after.keys() == (before.keys() - {"accounting"}) | new_tables
    assert after["audit_log"] == after["app_runs"] == after["shares"] == []
    assert all(row[-2:] == (None, None) for row in after["policies"])
    for table, rows in before.items():
        if table == "alembic_version":
            continue
        now = after[RENAMED.get(table, table)]
        # The columns that existed are unchanged; new columns come after them.
        assert [row[: len(rows[0])] for row in now] == rows, table
    for table in ("users", "applications", "grants"):
        assert all(row[-1] is not None for row in after[table]), f"{table}.created_at"
    database.dispose()


def test_the_grants_table_goes_back_to_its_former_name_and_keeps_its_rows(
    db_url: str, snapshot: Callable[[str], dict[str, list[tuple[Any, ...]]]]
) -> None:
    database = Database(url=db_url)
    database.initialise("0004")
    fill_initial_schema(database)
    before = snapshot(db_url)
    database.upgrade()
    upgraded = snapshot(db_url)
    assert upgraded["grants"] == before["accounting"] and "accounting" not in upgraded

    alembic_downgrade(database, "0004")
    after = snapshot(db_url)
    assert after.pop("alembic_version") == before.pop("alembic_version")
    assert after == before
    # The foreign keys came back: a grant of a user who does not exist is refused.
    with pytest.raises(IntegrityError), database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO accounting (mapping_id, user_id, application_id, policy_id) "
                "VALUES ('cc' || :pad, 99, 1, 1)"
            ),
            {"pad": "0" * 30},
        )
    database.dispose()


def alembic_downgrade(database: Database, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_the_migrated_schema_is_the_schema_of_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_the_schema_revision_the_code_needs_is_the_newest_migration() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_heads() == [SCHEMA_REVISION]


def test_initialising_twice_is_refused(database: Database) -> None:
    with pytest.raises(AlreadyExists, match="not empty"):
        database.initialise()


def test_an_empty_database_asks_for_init(db_url: str) -> None:
    database = Database(url=db_url)
    with pytest.raises(SchemaMismatch, match="remoteappdb db init"):
        database.check_schema()
    database.dispose()
