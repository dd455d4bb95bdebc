"""Each finding code of record.md: one case where it fires, one where it stays quiet."""

from decimal import Decimal

import pytest

from extractor.checking import check
from extractor.records.models import FieldSource, FindingCode, MapMethod, Provenance, Record, Severity

D = Decimal


def codes(record: Record, provenance: Provenance | None = None) -> set[str]:
    return check(record, provenance).report.codes()


def test_clean_record_has_no_findings(clean_record):
    result = check(clean_record)
    assert result.report.findings == []
    assert result.report.status.value == "ok"
    assert not result.report.has_errors


def test_weight_sum(clean_record):
    clean_record.total_weight = D("110.00")
    assert "WEIGHT_SUM" in codes(clean_record)
    clean_record.total_weight = D("100")
    clean_record.indicators[0].weight = D("35.00")
    clean_record.indicators[0].score = D("35.00")
    found = check(clean_record).report
    assert "WEIGHT_SUM" in found.codes()
    assert found.has_errors


def test_weight_sum_quiet_with_equal_decimals_of_other_precision(clean_record):
    clean_record.total_weight = D("100")  # "100" == "100.00"
    assert "WEIGHT_SUM" not in codes(clean_record)


def test_score_sum(clean_record):
    clean_record.total_score = D("95.00")
    assert "SCORE_SUM" in codes(clean_record)
    clean_record.total_score = D("100.0")
    assert "SCORE_SUM" not in codes(clean_record)


def test_score_sum_allows_rounding_of_the_printed_total(clean_record):
    clean_record.indicators[0].score = D("29.6")
    clean_record.total_score = D("100")  # 99.6 printed without decimals rounds to 100
    assert "SCORE_SUM" not in codes(clean_record)
    clean_record.total_score = D("100.00")
    assert "SCORE_SUM" in codes(clean_record)


def test_score_exceeds_weight(clean_record):
    clean_record.indicators[1].score = D("6.00")  # weight 5.00
    assert "SCORE_EXCEEDS_WEIGHT" in codes(clean_record)
    clean_record.indicators[1].score = D("5")
    assert "SCORE_EXCEEDS_WEIGHT" not in codes(clean_record)


@pytest.mark.parametrize(("total", "grade", "fires"), [
    ("100", "优", False), ("90", "优", False), ("89.99", "优", True), ("85", "良", False),
    ("80", "良", False), ("79", "良", True), ("60", "中", False), ("59.5", "差", False), ("59.5", "中", True),
])
def test_grade_mismatch(clean_record, total, grade, fires):
    clean_record.total_score = D(total)
    clean_record.grade = grade
    assert ("GRADE_MISMATCH" in codes(clean_record)) is fires


def test_fund_components(clean_record):
    clean_record.funds.current_year.executed = D("322.08")
    found = check(clean_record).report
    assert "FUND_COMPONENTS" in found.codes()
    assert any("funds.total.executed" in f.fields for f in found.findings)
    clean_record.funds.current_year.executed = D("322.07")
    assert "FUND_COMPONENTS" not in codes(clean_record)


def test_execution_rate_fires_beyond_rounding(clean_record):
    clean_record.funds.total.execution_rate = D("90.00")
    assert "EXECUTION_RATE" in codes(clean_record)


def test_execution_rate_tolerates_one_unit_in_the_last_place(clean_record):
    row = clean_record.funds.total
    row.annual_budget, row.executed = D("100.00"), D("86.18")
    clean_record.funds.current_year.annual_budget, clean_record.funds.current_year.executed = D("100.00"), D("86.18")
    clean_record.funds.current_year.execution_rate = D("86.18")
    row.score = D("8.62")
    row.execution_rate = D("86.19")  # printed one unit off: tolerated
    assert "EXECUTION_RATE" not in codes(clean_record)
    row.execution_rate = D("86.22")
    assert "EXECUTION_RATE" in codes(clean_record)


def test_execution_rate_skips_rows_without_budget(clean_record):
    clean_record.funds.carryover.execution_rate = D("55.00")  # annual_budget 0.00: nothing to check
    assert "EXECUTION_RATE" not in codes(clean_record)


def test_budget_score(clean_record):
    clean_record.funds.total.score = D("8.00")
    assert "BUDGET_SCORE" in codes(clean_record)
    clean_record.funds.total.score = D("10")
    assert "BUDGET_SCORE" not in codes(clean_record)


def test_budget_score_uses_capped_rate(clean_record):
    row = clean_record.funds.total
    row.executed = D("330.00")
    row.execution_rate = D("100.00")
    assert "BUDGET_SCORE" not in codes(clean_record)


def test_over_execution(clean_record):
    clean_record.funds.total.executed = D("322.50")
    clean_record.funds.current_year.executed = D("322.50")
    found = check(clean_record).report
    assert "OVER_EXECUTION" in found.codes()
    assert all(f.severity is Severity.WARNING for f in found.findings if f.code is FindingCode.OVER_EXECUTION)
    assert "EXECUTION_RATE" not in found.codes()  # printed 100.00 is the capped rate
    clean_record.funds.total.executed = clean_record.funds.current_year.executed = D("322.07")
    assert "OVER_EXECUTION" not in codes(clean_record)


def _deduct(record: Record, i: int = 0) -> None:
    record.indicators[i].score = record.indicators[i].weight - 2
    record.total_score -= 2


def test_deduction_without_reason(clean_record):
    _deduct(clean_record)
    clean_record.indicators[0].actual = "90.00(%)"
    assert "DEDUCTION_WITHOUT_REASON" in codes(clean_record)
    clean_record.indicators[0].deviation = "部分站点整改中"
    assert "DEDUCTION_WITHOUT_REASON" not in codes(clean_record)


def test_achieved_but_deducted(clean_record):
    _deduct(clean_record)  # =100.00(%) target, 100.00(%) actual
    clean_record.indicators[0].deviation = "说明"
    assert "ACHIEVED_BUT_DEDUCTED" in codes(clean_record)
    clean_record.indicators[0].actual = "95.00(%)"
    assert "ACHIEVED_BUT_DEDUCTED" not in codes(clean_record)


def test_achieved_but_deducted_qualitative(clean_record):
    _deduct(clean_record, 1)  # target 无, actual 达成指标
    clean_record.indicators[1].deviation = "说明"
    assert "ACHIEVED_BUT_DEDUCTED" in codes(clean_record)
    clean_record.indicators[1].actual = "部分达成"
    assert "ACHIEVED_BUT_DEDUCTED" not in codes(clean_record)


def test_missed_but_full_score(clean_record):
    clean_record.indicators[0].actual = "90.00(%)"
    assert "MISSED_BUT_FULL_SCORE" in codes(clean_record)
    clean_record.indicators[0].target = "≤95.00(%)"  # 反向: 90 meets ≤95
    assert "MISSED_BUT_FULL_SCORE" not in codes(clean_record)


def test_missed_but_full_score_ignores_qualitative_targets(clean_record):
    clean_record.indicators[0].target = "下降"
    clean_record.indicators[0].actual = "上升"
    assert "MISSED_BUT_FULL_SCORE" not in codes(clean_record)


def test_level_mismatch_printed_vs_inferred(clean_record):
    clean_record.indicators[3].level1 = "产出指标"  # 社会效益指标 printed under 产出指标
    assert "LEVEL_MISMATCH" in codes(clean_record, Provenance(fields={"indicators[3].level1": FieldSource(method=MapMethod.RULE)}))
    clean_record.indicators[3].level1 = "效益指标"
    assert "LEVEL_MISMATCH" not in codes(clean_record)


def test_label_repaired_is_info_and_carries_evidence(clean_record):
    prov = Provenance(fields={"indicators[6].level2": FieldSource(
        printed="服务对象满意度指", method=MapMethod.REPAIRED,
        repair={"canonical": "服务对象满意度指标", "method": "prefix", "status": "repaired"})})
    report = check(clean_record, prov).report
    [finding] = [f for f in report.findings if f.code is FindingCode.LABEL_REPAIRED]
    assert finding.severity is Severity.INFO
    assert finding.data["printed"] == "服务对象满意度指"
    assert finding.data["canonical"] == "服务对象满意度指标"
    assert report.status.value == "ok"  # info never makes a form need review
    assert "LABEL_REPAIRED" not in codes(clean_record)


def test_missing_field(clean_record):
    clean_record.grade = None
    clean_record.indicators[2].score = None
    report = check(clean_record).report
    missing = [f for f in report.findings if f.code is FindingCode.MISSING_FIELD]
    assert {tuple(f.fields) for f in missing} == {("grade",), ("indicators[2].score",)}
    assert report.has_errors
    clean_record.grade = "优"


def test_no_indicators_is_missing(clean_record):
    clean_record.indicators = []
    assert "MISSING_FIELD" in codes(clean_record)


def test_null_inputs_do_not_crash_arithmetic(clean_record):
    for row in (clean_record.funds.total, clean_record.funds.current_year):
        row.executed = None
        row.execution_rate = None
    clean_record.total_weight = None
    report = check(clean_record).report
    assert "MISSING_FIELD" in report.codes()
