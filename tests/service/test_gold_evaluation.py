"""The service's approved corrections, exported with `export-gold`, are an evaluation dataset as they stand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor.evaluate import Configuration, evaluate, load_dataset
from extractor.service.store import ServiceStore
from extractor.service.worker import Worker
from tests.service.helpers import Caller, cli, service_env
from tests.service.test_gold import _reviewed


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url


def test_exported_approvals_score_the_extractor(alice: Caller, worker: Worker, settings, store: ServiceStore,
                                                tmp_path: Path) -> None:
    _reviewed(alice, worker)  # forms 1, 3 and 10 approved; form 10 corrected to balance (two values changed)
    out = tmp_path / "reviewed"
    result = cli("export-gold", str(out), "--user", "alice", env=service_env(settings.data_dir, settings.database_url))
    assert result.returncode == 0, result.stderr
    dataset = load_dataset(out)
    assert dataset.forms == 3 and dataset.documents[0].partial  # the seven unapproved forms are not judged
    report = evaluate(dataset, [Configuration(ocr="rapid", mapper="rules")], isolate=False)
    scores = report.results[0].overall
    assert (scores.forms_matched, scores.forms_extra, scores.invented_fields) == (3, 0, 0)
    # The rules mapper reads what is printed; the reviewer's two corrections are what it gets "wrong".
    wrong = [(d["form"], d["path"]) for d in report.results[0].differences]
    assert sorted(wrong) == [(10, "funds.current_year.annual_budget"), (10, "funds.current_year.executed")]
    assert scores.fields.correct == scores.fields.total - 2
    # The printed imbalance of form 10 was corrected away, so the checker's FUND_COMPONENTS is a false error.
    assert scores.false_error_codes == {"FUND_COMPONENTS": 1}
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["documents"][0]["kind"] == "text_export"
