"""Service fixtures: the app on a real database (SQLite, and PostgreSQL where marked), users with tokens,
an in-process worker, and a live `extractor serve` for the tests that need real processes."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from extractor.service.app import create_app
from extractor.service.settings import ServiceSettings
from extractor.service.store import ServiceStore
from extractor.service.worker import Worker
from tests.service.helpers import Caller

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
    name = f"extractor_svc_{uuid.uuid4().hex[:12]}"
    with pg_admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(pg_admin.url.render_as_string(hide_password=False)).set(database=name).render_as_string(
        hide_password=False)
    with pg_admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database: SQLite in tmp_path, or a new PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'service.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database (tests whose subject is not the database)."""
    return f"sqlite:///{tmp_path / 'service.db'}"


def make_settings(data_dir: Path, database_url: str, **overrides: object) -> ServiceSettings:
    """Settings for a test: its own data directory and database, a fixed session secret, small limits."""
    values: dict[str, object] = {"data_dir": data_dir, "database_url": database_url,
                                 "session_secret": "test-session-secret-0123456789", "job_lease_s": 5.0,
                                 "job_poll_s": 0.1, **overrides}
    return ServiceSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> ServiceSettings:
    """Service settings on the parametrised database."""
    return make_settings(tmp_path / "data", db_url)


@pytest.fixture
def app(settings: ServiceSettings) -> FastAPI:
    """The application without worker processes (tests process jobs with the `worker` fixture)."""
    return create_app(settings, workers=0)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client running the app's lifespan."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def store(app: FastAPI) -> ServiceStore:
    """The app's store (same database)."""
    return app.state.store  # type: ignore[no-any-return]


@pytest.fixture
def worker(settings: ServiceSettings, store: ServiceStore) -> Worker:
    """A job worker in this process, on the app's database."""
    return Worker(settings, store=store, name="test-worker")


@pytest.fixture
def alice(client: TestClient, store: ServiceStore) -> Caller:
    """A user with a password and an API token."""
    store.create_user("alice", "alice-password")
    token, _ = store.create_token("alice-laptop", username="alice")
    return Caller(client, token, "alice")


@pytest.fixture
def bob(client: TestClient, store: ServiceStore) -> Caller:
    """Another user (only tokens)."""
    token, _ = store.create_token("bob")
    return Caller(client, token, "bob")
