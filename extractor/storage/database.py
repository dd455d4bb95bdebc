"""Open a database by URL (SQLite by default, PostgreSQL via psycopg 3) and bring its schema to head."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from extractor.errors import ConfigurationError
from extractor.settings import Settings, get_settings
from extractor.storage.errors import StorageError

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def database_url(url: str | None = None, settings: Settings | None = None) -> str:
    """The URL to use: an explicit one, else EXTRACTOR_DATABASE_URL, else SQLite in the data directory."""
    settings = settings or get_settings()
    url = url or settings.database_url or settings.sqlite_default()
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        # psycopg 3 is the driver we ship; a bare postgresql:// would ask SQLAlchemy for psycopg2.
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: readers (the web service, `extractor export`) never block the back-fill's single writer.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def secure_sqlite_files(engine: Engine) -> None:
    """A SQLite database file and its -wal/-shm, owner only (0600): the web service keeps personal data there.

    SQLite gives -wal and -shm the database file's mode when it creates them, so the database's mode is the one
    that matters; the others are fixed too in case they were made before.
    """
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        return
    database = Path(engine.url.database).expanduser()
    for path in (database, database.with_name(database.name + "-wal"), database.with_name(database.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            path.chmod(0o600)


def sqlite_files_writable(engine: Engine) -> bool:
    """False when a SQLite database file, its -wal or -shm exists and this process may not write it."""
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        return True
    database = Path(engine.url.database).expanduser()
    return all(os.access(path, os.W_OK) for path in (database, database.with_name(database.name + "-wal"),
                                                     database.with_name(database.name + "-shm")) if path.exists())


def create_db_engine(url: str) -> Engine:
    """An Engine for the URL, with SQLite tuned for one writer and many readers."""
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ConfigurationError(f"not a database URL: {url!r}", url=url) from exc
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            try:
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"cannot create the folder of {database}: {exc.strerror or exc}",
                                   reason="unreachable", url=url) from exc
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise ConfigurationError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql",
                                 url=parsed.render_as_string(hide_password=True))
    return create_engine(url, pool_pre_ping=True)


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def schema_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def database_exists(url: str) -> bool:
    """Whether the URL names a database that is there: a SQLite file that exists (checked, never created)."""
    # A server's database is there when the server says so on connecting: a server URL counts as existing.
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return True
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return True
    return Path(database).expanduser().is_file()


def head_revision() -> str:
    """The newest migration shipped with this package."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None
    return head


def _migrate(engine: Engine, step: Callable[[Config], None]) -> None:
    """Run a migration step in one transaction; on SQLite with foreign keys off while it runs.

    SQLite changes a table's constraints by copying it and dropping the old one; with foreign keys on, that
    drop would cascade to every form of every document. The pragma only takes effect outside a transaction.
    """
    config = _alembic_config()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                step(config)
                if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                    raise StorageError("the migration left rows whose parent is gone", reason="other")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the shipped migrations up to `revision` (head by default)."""
    _migrate(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str) -> None:
    """Undo migrations down to `revision` ("base" drops every table)."""
    _migrate(engine, lambda config: command.downgrade(config, revision))


def open_engine(url: str | None = None, settings: Settings | None = None, migrate: bool = True) -> Engine:
    """An Engine whose schema is at head: migrates a new or older database on first use."""
    resolved = database_url(url, settings)
    engine = create_db_engine(resolved)
    try:
        if migrate and schema_revision(engine) != head_revision():
            log.info("migrating %s to %s", make_url(resolved).render_as_string(hide_password=True), head_revision())
            upgrade(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise StorageError.from_exception(exc, "cannot open the database",
                                          url=make_url(resolved).render_as_string(hide_password=True)) from exc
    return engine
