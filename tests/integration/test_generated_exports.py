"""Freshly generated messy text exports (every layout) map to their gold exactly, findings included."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from extractor import extract
from extractor.records.compare import diff_records
from extractor.records.models import Record, Severity
from tests.conftest import ROOT


@pytest.fixture(scope="module", params=[21, 22, 23])
def corpus(request, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp(f"exports-{request.param}")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_corpus.py"), "--seed", str(request.param),
                    "--kinds", "text_export", "--count", "30", "-o", str(out)], check=True, capture_output=True)
    return out


def test_generated_exports_equal_gold(corpus):
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    layouts, forms = set(), 0
    for doc in manifest["documents"]:
        layouts.add(doc.get("layout"))
        result = extract(corpus / doc["path"])
        golds = [json.loads((corpus / g).read_text(encoding="utf-8")) for g in doc["forms"]]
        assert len(result.forms) == len(golds), doc["path"]
        for form, gold in zip(result.forms, golds, strict=True):
            forms += 1
            diffs = diff_records(form.record, Record.model_validate(gold["record"]))
            assert diffs == [], (doc["path"], form.index, [d.model_dump() for d in diffs])
            reported = {f.code.value for f in form.findings}
            assert set(gold["expected_findings"]) <= reported, (doc["path"], form.index)
            errors = {f.code.value for f in form.findings if f.severity is Severity.ERROR}
            assert errors <= set(gold["expected_findings"]), (doc["path"], form.index, errors)
    assert forms == 30
    assert len(layouts) >= 2
