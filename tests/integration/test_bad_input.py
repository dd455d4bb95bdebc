"""Bad input: typed errors or needs_review records, never a traceback; a batch goes on."""

import pytest

from extractor import extract
from extractor.pipeline import extract_many
from extractor.records.models import FindingCode


def test_cut_off_form_needs_review_with_missing_fields(tmp_path, seed_text):
    cut = "\n".join(seed_text.splitlines()[:20])  # form 1 stops after its fourth indicator row
    path = tmp_path / "cut.txt"
    path.write_text(cut, encoding="utf-8")
    result = extract(path)
    assert result.status.value == "ok"
    [form] = result.forms
    assert form.status.value == "needs_review"
    missing = {f.fields[0] for f in form.findings if f.code is FindingCode.MISSING_FIELD}
    assert {"total_weight", "total_score", "grade"} <= missing
    assert len(form.record.indicators) == 4
    assert form.record.project_name == "巡查员工作经费"


def test_form_cut_in_the_funds_block(tmp_path, seed_text):
    path = tmp_path / "cut2.txt"
    path.write_text("\n".join(seed_text.splitlines()[:11]), encoding="utf-8")
    [form] = extract(path).forms
    assert form.status.value == "needs_review"
    assert "indicators" in {f.fields[0] for f in form.findings if f.code is FindingCode.MISSING_FIELD}


@pytest.mark.parametrize(("content", "code"), [
    (b"", "EMPTY_DOCUMENT"),
    (b"\x00\x01\x02\x03garbage\x00" * 100, "BINARY_CONTENT"),
    ("这是一封普通的信。\n谢谢。".encode(), "NO_FORM_FOUND"),
])
def test_failed_documents_carry_a_reason(tmp_path, content, code):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    result = extract(path)
    assert result.status.value == "failed"
    assert result.error["code"] == code
    assert result.forms == []


def test_batch_goes_on_past_bad_files(tmp_path, seed_export):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes(seed_export.read_text(encoding="utf-8").encode("gbk"))
    results = extract_many([empty, tmp_path / "missing.txt", gbk, seed_export])
    assert [r.status.value for r in results] == ["failed", "failed", "ok", "ok"]
    assert results[1].error["code"] == "FILE_ACCESS"
    assert len(results[2].forms) == len(results[3].forms) == 10
    assert [f.record for f in results[2].forms] == [f.record for f in results[3].forms]


def test_pdf_without_pdf_support_or_broken_is_a_typed_failure(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n%broken")
    result = extract(path)
    assert result.status.value == "failed"
    assert result.error["code"] in ("UNSUPPORTED_FORMAT", "CORRUPT_DOCUMENT", "NO_FORM_FOUND")
