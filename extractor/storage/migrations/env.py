"""Alembic environment: migrations run on the connection handed in by extractor.storage.database."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from extractor.storage import service_tables as _service_tables  # noqa: F401  (registers the service's tables)
from extractor.storage.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # `alembic -x url=...` from a shell, for developers writing a new revision
    from sqlalchemy import create_engine

    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("pass the database as: alembic -x url=sqlite:///dev.db ...")
    connection = create_engine(url).connect()

if connection.dialect.name == "postgresql":
    # Two processes opening a fresh database at once: the second waits for the first to finish migrating.
    connection.execute(text("SELECT pg_advisory_xact_lock(724150001)"))

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things: copy-and-move
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
