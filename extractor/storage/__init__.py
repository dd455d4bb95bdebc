"""Storage: SQLAlchemy models, shipped Alembic migrations and the repository (SQLite default, PostgreSQL by URL).

    from extractor.storage import Repository
    with Repository.open() as repo:                    # EXTRACTOR_DATABASE_URL or SQLite in EXTRACTOR_DATA_DIR
        for form in repo.list_forms(FormQuery(year=2024, status="needs_review")): ...
"""

from extractor.storage.database import database_exists, database_url, open_engine, upgrade
from extractor.storage.errors import StorageError
from extractor.storage.repository import FormQuery, Repository
from extractor.storage.views import (
           CorrectionInfo,
           DocumentInfo,
           FormSummary,
           PathSeen,
           RunInfo,
           StoredForm,
           Totals,
)

__all__ = ["CorrectionInfo", "DocumentInfo", "FormQuery", "FormSummary", "PathSeen", "Repository", "RunInfo",
           "StorageError", "StoredForm", "Totals", "database_exists", "database_url", "open_engine", "upgrade"]
