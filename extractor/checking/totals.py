"""Rules on the 总分 row and the grade."""

from __future__ import annotations

from decimal import Decimal

from extractor.checking.context import DEFAULT_CONTEXT, CheckContext
from extractor.checking.tolerance import half_unit
from extractor.records.models import Finding, FindingCode, Record

HUNDRED = Decimal(100)


def expected_grade(total: Decimal) -> str:
    """优 ≥ 90, 良 ≥ 80, 中 ≥ 60, else 差 (rules.md)."""
    if total >= 90:
        return "优"
    if total >= 80:
        return "良"
    if total >= 60:
        return "中"
    return "差"


def _parts(record: Record, attr: str, context: CheckContext = DEFAULT_CONTEXT) -> list[Decimal] | None:
    funds = [getattr(record.funds.total, attr)]
    if not context.funds_scored and funds[0] is None:
        funds = []  # a family whose funds block has no 分值/得分 (Ningxia): the indicators make the total
    values = [*funds, *(getattr(i, attr) for i in record.indicators)]
    if any(v is None for v in values):
        return None  # a missing part is a MISSING_FIELD, not a wrong sum
    return values  # type: ignore[return-value]


def weight_sum(record: Record, context: CheckContext = DEFAULT_CONTEXT) -> list[Finding]:
    """funds.total.weight + Σ indicator weights = total_weight = 100."""
    total = record.total_weight
    if total is None:
        return []
    findings = []
    if total != HUNDRED:
        findings.append(Finding.of(FindingCode.WEIGHT_SUM, f"总分分值为 {total}，应为 100", ["total_weight"],
                                   printed=str(total), expected="100"))
    parts = _parts(record, "weight", context)
    if parts is not None and record.indicators:
        summed = sum(parts, Decimal(0))
        if abs(summed - total) > half_unit(total):
            findings.append(Finding.of(
                FindingCode.WEIGHT_SUM,
                f"各项分值之和 {summed}（预算执行率 + 指标）≠ 总分分值 {total}",
                ["total_weight", "funds.total.weight", *(f"indicators[{i}].weight" for i in range(len(record.indicators)))],
                sum=str(summed), printed=str(total),
            ))
    return findings


def score_sum(record: Record, context: CheckContext = DEFAULT_CONTEXT) -> list[Finding]:
    """funds.total.score + Σ indicator scores = total_score."""
    total = record.total_score
    parts = _parts(record, "score", context)
    if total is None or parts is None or not record.indicators:
        return []
    summed = sum(parts, Decimal(0))
    if abs(summed - total) <= half_unit(total):
        return []
    return [Finding.of(
        FindingCode.SCORE_SUM,
        f"各项得分之和 {summed} ≠ 总分得分 {total}",
        ["total_score", "funds.total.score", *(f"indicators[{i}].score" for i in range(len(record.indicators)))],
        sum=str(summed), printed=str(total),
    )]


def grade_mismatch(record: Record) -> list[Finding]:
    """The grade follows from the total score."""
    if record.grade is None or record.total_score is None:
        return []
    expected = expected_grade(record.total_score)
    if record.grade == expected:
        return []
    return [Finding.of(FindingCode.GRADE_MISMATCH, f"总分 {record.total_score} 对应等级「{expected}」，表上为「{record.grade}」",
                       ["grade", "total_score"], printed=record.grade, expected=expected)]


def score_exceeds_weight(record: Record) -> list[Finding]:
    """No score may exceed its weight."""
    pairs = [("funds.total", record.funds.total.weight, record.funds.total.score)]
    pairs += [(f"indicators[{i}]", ind.weight, ind.score) for i, ind in enumerate(record.indicators)]
    findings = []
    for path, weight, score in pairs:
        if weight is not None and score is not None and score > weight:
            findings.append(Finding.of(FindingCode.SCORE_EXCEEDS_WEIGHT, f"得分 {score} 超过分值 {weight}",
                                       [f"{path}.score", f"{path}.weight"], score=str(score), weight=str(weight)))
    if record.total_weight is not None and record.total_score is not None and record.total_score > record.total_weight:
        findings.append(Finding.of(FindingCode.SCORE_EXCEEDS_WEIGHT,
                                   f"总分得分 {record.total_score} 超过总分分值 {record.total_weight}",
                                   ["total_score", "total_weight"]))
    return findings
