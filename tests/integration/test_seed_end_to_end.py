"""Acceptance: the seed export yields the ten gold records and every expected finding."""

import pytest

from extractor import extract
from extractor.records.compare import diff_records
from extractor.records.models import Record, Severity


@pytest.fixture(scope="module")
def seed_result():
    from tests.conftest import SEED_EXPORT
    return extract(SEED_EXPORT)


def test_ten_forms(seed_result):
    assert seed_result.status.value == "ok"
    assert len(seed_result.forms) == 10
    assert seed_result.kind == "text_export"
    assert len(seed_result.sha256) == 64


@pytest.mark.parametrize("n", range(1, 11))
def test_form_equals_gold(seed_result, n):
    from tests.conftest import load_gold
    gold = load_gold(n)
    form = seed_result.forms[n - 1]
    assert form.index == gold["form_index"]
    diffs = diff_records(form.record, Record.model_validate(gold["record"]))
    assert diffs == [], [d.model_dump() for d in diffs]


@pytest.mark.parametrize("n", range(1, 11))
def test_expected_findings_and_no_extra_errors(seed_result, n):
    from tests.conftest import load_gold
    expected = set(load_gold(n)["expected_findings"])
    form = seed_result.forms[n - 1]
    reported = {f.code.value for f in form.findings}
    assert expected <= reported
    extra_errors = {f.code.value for f in form.findings if f.severity is Severity.ERROR} - expected
    assert extra_errors == set()
    assert form.status.value == ("needs_review" if any(
        c in expected for c in ("WEIGHT_SUM", "SCORE_SUM", "FUND_COMPONENTS")) else "ok")


def test_label_repairs_recorded_with_printed_text(seed_result):
    form = seed_result.forms[0]
    src = form.provenance.fields["indicators[7].level2"]
    assert src.printed == "服务对象满意度指"
    assert src.method.value == "repaired"
    assert src.repair["canonical"] == "服务对象满意度指标"
    assert src.cells[0].line == 24 and src.cells[0].column == 3
    repaired = [f for f in form.findings if f.code.value == "LABEL_REPAIRED"]
    assert repaired and repaired[0].fields == ["indicators[7].level2"]
    form10 = seed_result.forms[9]
    src10 = form10.provenance.fields["indicators[3].level2"]
    assert (src10.printed, form10.record.indicators[3].level2) == ("经济效益", "经济效益指标")
    assert src10.method.value == "repaired"


def test_free_text_stays_as_printed(seed_result):
    form5 = seed_result.forms[4]
    assert form5.record.indicators[0].name == "完成年初预定的采购目"
    assert form5.provenance.fields["indicators[0].name"].method.value == "rule"


def test_provenance_line_and_column(seed_result):
    form = seed_result.forms[2]  # 风险防控治理
    src = form.provenance.fields["funds.total.executed"]
    assert (src.cells[0].line, src.cells[0].column, src.cells[0].text) == (64, 5, "22.24")
