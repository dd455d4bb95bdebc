"""Service fixtures: the app on a real database (SQLite, and PostgreSQL where marked), users with tokens,
an in-process worker, and a live `extractor serve` for the tests that need real processes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from extractor.service.app import create_app
from extractor.service.settings import ServiceSettings
from extractor.service.store import ServiceStore
from extractor.service.worker import Worker
from tests.service.helpers import Caller
from tests.storage import conftest as storage_fixtures

# The storage suite's database fixtures: SQLite in tmp_path, and a throw-away PostgreSQL database per test
# (a failure in CI, a skip elsewhere, when the server is not running).
pg_admin = storage_fixtures.pg_admin
pg_url = storage_fixtures.pg_url
db_url = storage_fixtures.db_url


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
