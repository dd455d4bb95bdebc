"""A database's content without ids, timestamps and timings: two runs (or two backends) compare equal on it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from extractor.storage.models import Document, Form
from extractor.storage.repository import Repository


def _form(row: Form) -> dict[str, Any]:
    return {
        "index": row.form_index, "status": row.status, "has_errors": row.has_errors, "year": row.year,
        "project_name": row.project_name, "department": row.department, "implementing_unit": row.implementing_unit,
        "total_weight": str(row.total_weight) if row.total_weight is not None else None,
        "total_score": str(row.total_score) if row.total_score is not None else None,
        "grade": row.grade, "mapper": row.mapper, "prompt_hash": row.prompt_hash, "record": row.record,
        "provenance": row.provenance, "pages": row.pages, "lines": row.lines,
        "indicators": [[i.position, i.level1, i.level2, i.name, i.target, i.actual,
                        str(i.weight) if i.weight is not None else None,
                        str(i.score) if i.score is not None else None, i.deviation] for i in row.indicators],
        "findings": [[f.position, f.code, f.severity, f.message, f.fields, f.data] for f in row.findings],
    }


def snapshot(repo: Repository) -> dict[str, dict[str, Any]]:
    """Every document keyed by its hash (or by its path when it could not be read), with its forms."""
    out: dict[str, dict[str, Any]] = {}
    with repo.transaction() as s:
        docs = s.scalars(select(Document).options(
            selectinload(Document.paths),
            selectinload(Document.forms).selectinload(Form.indicators),
            selectinload(Document.forms).selectinload(Form.findings)))
        for doc in docs:
            paths = sorted(p.path for p in doc.paths)
            key = doc.sha256 or "path:" + "|".join(paths)
            out[key] = {
                "sha256": doc.sha256, "paths": paths, "size": doc.size, "kind": doc.kind, "pages": doc.pages,
                "status": doc.status, "error_code": doc.error_code, "error": doc.error, "form_count": doc.form_count,
                "mapper": doc.mapper, "forms": [_form(f) for f in doc.forms],
            }
    return out
