"""Connecting to the app database, its transactions and its schema revision."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from traitlets import Float, Unicode, default
from traitlets.config import LoggingConfigurable

from ..errors import AlreadyExists, DatabaseUnavailable, InvalidInput, SchemaMismatch

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# The newest migration in MIGRATIONS_DIR (a test checks that they agree). Kept here so
# that checking the schema at start-up needs no alembic, which is slow to import.
SCHEMA_REVISION = "0007"
READONLY = "remoteappmanager_readonly"  # an execution option: see _sqlite_on_begin
DB_URL_ENV = "REMOTEAPPMANAGER_DB_URL"


def default_db_url() -> str:
    """``$REMOTEAPPMANAGER_DB_URL``, else a SQLite file in the installation's data directory."""
    if os.environ.get(DB_URL_ENV):
        return os.environ[DB_URL_ENV]
    path = Path(sys.prefix, "var", "remoteappmanager", "remoteappmanager.sqlite")
    return f"sqlite:///{path}"


class Database(LoggingConfigurable):
    """The app database: users, applications and grants.

    Any SQLAlchemy URL works; SQLite (the default) and PostgreSQL are tested.
    """

    url = Unicode(
        help=f"""SQLAlchemy URL of the app database, e.g.
        ``sqlite:////srv/remoteappmanager/app.sqlite`` or
        ``postgresql+psycopg://user:password@host/dbname``. Default: ${DB_URL_ENV},
        else a SQLite file under the installation prefix (``var/remoteappmanager``).""",
    ).tag(config=True)

    timeout = Float(
        10.0,
        help="""Seconds to wait for a locked SQLite database, or to connect to a
        database server, before giving up with an error.""",
    ).tag(config=True)

    @default("url")
    def _url_default(self) -> str:
        return default_db_url()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._engine: Engine | None = None
        self._sessions: dict[bool, sessionmaker[Session]] = {}

    # -- connecting --

    @property
    def parsed_url(self) -> URL:
        try:
            return make_url(self.url)
        except ArgumentError:
            raise InvalidInput(f"not a database URL: {self.url!r}") from None

    @property
    def display_url(self) -> str:
        """The URL without its password, for messages and logs."""
        return self.parsed_url.render_as_string(hide_password=True)

    @property
    def sqlite_path(self) -> Path | None:
        """The file of a SQLite database, None for other databases and in-memory SQLite."""
        url = self.parsed_url
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return Path(url.database).resolve()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = self._create_engine()
        return self._engine

    def _create_engine(self) -> Engine:
        url = self.parsed_url
        try:
            if url.get_backend_name() == "sqlite":
                engine = create_engine(url, connect_args={"timeout": self.timeout})
                event.listen(engine, "connect", _sqlite_on_connect)
                event.listen(engine, "begin", _sqlite_on_begin)
                return engine
            return create_engine(
                url,
                pool_pre_ping=True,
                connect_args={"connect_timeout": max(1, round(self.timeout))},
            )
        except (NoSuchModuleError, ModuleNotFoundError) as exc:
            raise InvalidInput(
                f"no driver for database URL {self.display_url}: {exc}",
            ) from None

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
            self._sessions.clear()

    @contextmanager
    def transaction(self, readonly: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed if the block succeeds, else rolled back.

        On SQLite a writing transaction takes the write lock when it begins, so that
        writers queue (up to ``timeout``) instead of failing half-way; ``readonly``
        transactions take none and never wait for each other.

        Database failures become ``DatabaseUnavailable``; a write that races another
        and breaks a unique constraint becomes ``AlreadyExists``.
        """
        if readonly not in self._sessions:
            engine = self.engine.execution_options(**{READONLY: readonly})
            self._sessions[readonly] = sessionmaker(engine, expire_on_commit=False)
        with self._translate_errors(), self._sessions[readonly].begin() as session:
            yield session

    @contextmanager
    def _translate_errors(self) -> Iterator[None]:
        try:
            yield
        except IntegrityError as exc:
            raise AlreadyExists(
                "the change conflicts with an entry that exists already", str(exc)
            ) from None
        except OperationalError as exc:
            raise self._unavailable(exc) from None

    def _unavailable(self, exc: OperationalError) -> DatabaseUnavailable:
        if "database is locked" in str(exc.orig):
            return DatabaseUnavailable(
                f"the database {self.display_url} stayed locked by another process for "
                f"{self.timeout:g} s; nothing was changed, try again",
                str(exc),
            )
        return DatabaseUnavailable(
            f"cannot use the database {self.display_url}: {_first_line(exc.orig)}", str(exc)
        )

    # -- schema revisions --

    def current_revision(self) -> str | None:
        """The schema revision of the database; None if it holds no schema yet."""
        self._require_file()
        engine = self.engine.execution_options(**{READONLY: True})
        with self._translate_errors(), engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            revision = connection.scalar(text("SELECT version_num FROM alembic_version"))
            return str(revision) if revision is not None else None

    def check_schema(self) -> None:
        """Refuse a database that is missing, empty or at another schema revision."""
        current = self.current_revision()
        if current is None:
            raise self._not_initialised()
        if current != SCHEMA_REVISION:
            raise SchemaMismatch(
                f"the database {self.display_url} is at schema revision {current}, "
                f"this version of remoteappmanager needs {SCHEMA_REVISION}: "
                "run `remoteappdb db upgrade` (back the database up first)"
            )

    def initialise(self, revision: str = "head") -> None:
        """Create the schema (at ``revision``, normally the newest) in a new, empty database."""
        if self.sqlite_path is not None:
            self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        with self._translate_errors(), self.engine.connect() as connection:
            tables = inspect(connection).get_table_names()
        if tables:
            raise AlreadyExists(
                f"the database {self.display_url} is not empty (it has tables "
                f"{', '.join(sorted(tables))}); use `remoteappdb db upgrade` to migrate it"
            )
        self._migrate(revision)

    def upgrade(self) -> None:
        """Migrate an initialised database to the newest schema revision."""
        if self.current_revision() is None:
            raise self._not_initialised()
        self._migrate("head")

    def _migrate(self, revision: str) -> None:
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with self._translate_errors(), self.engine.connect() as connection:
            # SQLite alters a table by copying it and dropping the original; with
            # foreign keys enforced, that drop would cascade into the grants.
            # The pragma only works outside a transaction, so on the raw connection.
            sqlite = connection.dialect.name == "sqlite"
            raw = connection.connection.driver_connection
            assert raw is not None
            if sqlite:
                raw.execute("PRAGMA foreign_keys = OFF")
            try:
                with connection.begin():
                    config.attributes["connection"] = connection
                    command.upgrade(config, revision)
                    if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                        raise DatabaseUnavailable(
                            "the migration would break references between tables; "
                            "nothing was changed"
                        )
            finally:
                if sqlite:
                    raw.execute("PRAGMA foreign_keys = ON")

    def _not_initialised(self) -> SchemaMismatch:
        return SchemaMismatch(
            f"the database {self.display_url} is not initialised: "
            "run `remoteappdb db init` to create it"
        )

    def _require_file(self) -> None:
        # Connecting would create an empty SQLite file; say what is missing instead.
        path = self.sqlite_path
        if path is not None and not path.exists():
            raise SchemaMismatch(
                f"there is no database at {path}: run `remoteappdb db init` to create it"
            )


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite starts transactions late and commits before DDL; take that over (see
    # _sqlite_on_begin) so a transaction is all or nothing. And honour foreign keys.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    readonly = connection.get_execution_options().get(READONLY, False)
    connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def _first_line(error: BaseException | None) -> str:
    return str(error).strip().splitlines()[0] if error is not None else "unknown error"
