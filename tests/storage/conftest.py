"""Storage fixtures: every storage test runs on SQLite and on a real PostgreSQL (a throw-away database each)."""

from __future__ import annotations

import os
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from extractor import extract
from extractor.records.models import DocumentResult
from tests.storage.variants import SEED

# What scripts/test_postgres.sh creates (setup.sh dev runs it); EXTRACTOR_TEST_POSTGRES_URL overrides it.
PG_DEFAULT = "postgresql+psycopg://extractor_test:extractor_test@127.0.0.1:5432/extractor_test"


def in_ci() -> bool:
    """True under CI, where a missing PostgreSQL is a failure, never a skip."""
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    """A connection to the test server, used to create and drop one database per test."""
    url = os.environ.get("EXTRACTOR_TEST_POSTGRES_URL", PG_DEFAULT)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        message = f"PostgreSQL is not reachable at {make_url(url).render_as_string(hide_password=True)}: {exc.orig}"
        if in_ci():
            pytest.fail(message + " (CI must run the PostgreSQL tests: scripts/test_postgres.sh)")
        pytest.skip(message + " (run scripts/test_postgres.sh as root)")
    yield engine
    engine.dispose()


@pytest.fixture
def pg_url(pg_admin: Engine) -> Iterator[str]:
    """The URL of a fresh, empty PostgreSQL database, dropped after the test."""
    name = f"extractor_t_{uuid.uuid4().hex[:12]}"
    with pg_admin.connect() as conn:
        # template0: nobody connects to it, so a concurrent session on template1 cannot make CREATE fail.
        conn.execute(text(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'"))
    yield make_url(str(pg_admin.url.render_as_string(hide_password=False))).set(database=name).render_as_string(
        hide_password=False)
    _drop(pg_admin, name)


def _drop(pg_admin: Engine, name: str, attempts: int = 10) -> None:
    """Drop a test database; an autovacuum worker still in it (a superuser's process, which the test role may not
    terminate) only makes us wait and retry. A database that outlives the retries is left, with a warning: the
    test itself has passed, and scripts/test_postgres.sh drops leftovers."""
    from sqlalchemy.exc import DBAPIError

    for attempt in range(attempts):
        try:
            with pg_admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError as exc:
            if attempt == attempts - 1:
                warnings.warn(f"test database {name} left behind: {exc.orig}", stacklevel=2)
                return
            time.sleep(0.2 * (attempt + 1))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database URL: SQLite in tmp_path, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="session")
def seed_result() -> DocumentResult:
    """The seed export through the pipeline (ten forms, three needing review)."""
    return extract(SEED)
