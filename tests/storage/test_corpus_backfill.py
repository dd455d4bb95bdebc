"""A back-fill of the shared generated corpus (scripts/make_corpus.py): every manifest document stored once, as
the manifest expects, on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from extractor.storage import Repository
from tests.storage.helpers import backfill

ROOT = Path(__file__).resolve().parents[2]
PDF_SUPPORT = importlib.util.find_spec("extractor.ingest.pages") is not None


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Text exports and born-digital PDFs (fast to render and to read) plus the generator's broken files."""
    folder = tmp_path_factory.mktemp("corpus")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_corpus.py"), "-o", str(folder), "--seed", "5",
                    "--kinds", "text_export,born_digital", "--count", "8", "--broken", "4",
                    "--forms-per-export", "2"], check=True, capture_output=True)
    return folder


@pytest.mark.slow
def test_every_manifest_document_is_stored_once_as_expected(db_url, corpus):
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))["documents"]
    report = backfill(db_url, [corpus])
    assert report.status == "finished" and report.counts.files == len(manifest)
    with Repository.open(db_url) as repo:
        stored = {p: d for d in repo.list_documents(limit=None) for p in d.paths}
        assert len(stored) == len(manifest)  # one path each, none lost
        assert repo.totals().documents == len({d.sha256 for d in stored.values()})
        for entry in manifest:
            doc = stored[str((corpus / entry["path"]).absolute())]
            expect = entry["expect"]
            readable = entry["kind"] == "text_export" or PDF_SUPPORT
            if not readable and "broken" not in entry:
                assert (doc.status, doc.error_code) == ("failed", "UNSUPPORTED_FORMAT"), entry["path"]
                continue
            if expect["status"] == "failed":
                assert doc.status == "failed", entry["path"]
                assert doc.error_code in expect["error_code"] or (not PDF_SUPPORT and doc.error_code ==
                                                                  "UNSUPPORTED_FORMAT"), (entry["path"], doc.error_code)
            else:
                assert doc.status in ("ok", "partial") and doc.form_count == expect["forms"], entry["path"]
    again = backfill(db_url, [corpus])
    assert again.counts.processed == 0 and again.counts.skipped == len(manifest)
