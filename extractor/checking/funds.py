"""Rules on the 项目资金 block: components, execution rate, budget score, over-execution."""

from __future__ import annotations

from decimal import Decimal

from extractor.checking.tolerance import rate_tolerance, round2
from extractor.records.models import Finding, FindingCode, FundRow, Record

ROWS = ("total", "current_year", "carryover", "other")
ROW_NAMES = {"total": "年度资金总额", "current_year": "当年财政拨款", "carryover": "上年结转资金", "other": "其他资金"}
COLUMN_NAMES = {"initial_budget": "年初预算数", "annual_budget": "全年预算数", "executed": "全年执行数"}
HUNDRED = Decimal(100)


def _rows(record: Record) -> list[tuple[str, FundRow]]:
    return [(key, getattr(record.funds, key)) for key in ROWS]


def fund_components(record: Record) -> list[Finding]:
    """年度资金总额 = 当年财政拨款 + 上年结转资金 + 其他资金, column by column."""
    findings = []
    for column, name in COLUMN_NAMES.items():
        total = getattr(record.funds.total, column)
        parts = [getattr(getattr(record.funds, key), column) for key in ROWS[1:]]
        if total is None or all(p is None for p in parts):
            continue
        summed = sum((p for p in parts if p is not None), Decimal(0))
        if summed != total:
            findings.append(Finding.of(
                FindingCode.FUND_COMPONENTS,
                f"{name}：年度资金总额 {total} ≠ 各项之和 {summed}",
                [f"funds.{key}.{column}" for key in ROWS],
                total=str(total), sum=str(summed),
            ))
    return findings


def computed_rate(row: FundRow) -> Decimal | None:
    """executed ÷ annual_budget × 100, uncapped; None when there is no rate to compute."""
    if row.executed is None or row.annual_budget is None or row.annual_budget == 0:
        return None
    return row.executed / row.annual_budget * HUNDRED


def execution_rate(record: Record) -> list[Finding]:
    """Printed 执行率 = 全年执行数 ÷ 全年预算数 × 100 (capped at 100), within rounding."""
    findings = []
    for key, row in _rows(record):
        rate = computed_rate(row)
        if rate is None or row.execution_rate is None:
            continue
        tolerance = rate_tolerance(row.execution_rate)
        capped = min(rate, HUNDRED)
        # Forms print the capped rate; some print the true one above 100: both are the form's own reading.
        if abs(row.execution_rate - capped) <= tolerance or abs(row.execution_rate - rate) <= tolerance:
            continue
        findings.append(Finding.of(
            FindingCode.EXECUTION_RATE,
            f"{ROW_NAMES[key]}执行率印为 {row.execution_rate}，按 {row.executed}÷{row.annual_budget} 应为 {round2(capped)}",
            [f"funds.{key}.execution_rate"],
            printed=str(row.execution_rate), expected=str(round2(capped)),
        ))
    return findings


def budget_score(record: Record) -> list[Finding]:
    """预算执行率 score = min(rate, 100) ÷ 100 × 分值, rounded to 2 decimals."""
    row = record.funds.total
    if row.weight is None or row.score is None:
        return []
    if row.annual_budget is not None and row.annual_budget == 0:
        return []
    rate = row.execution_rate if row.execution_rate is not None else computed_rate(row)
    if rate is None:
        return []
    expected = round2(min(rate, HUNDRED) / HUNDRED * row.weight)
    if abs(row.score - expected) <= rate_tolerance(row.score):
        return []
    return [Finding.of(
        FindingCode.BUDGET_SCORE,
        f"预算执行率得分 {row.score} 与执行率 {rate} × 分值 {row.weight} 不符（应为 {expected}）",
        ["funds.total.score"],
        printed=str(row.score), expected=str(expected),
    )]


def over_execution(record: Record) -> list[Finding]:
    """全年执行数 > 全年预算数 (shown as 100 % in practice): a warning."""
    findings = []
    for key, row in _rows(record):
        if row.executed is not None and row.annual_budget is not None and row.executed > row.annual_budget:
            findings.append(Finding.of(
                FindingCode.OVER_EXECUTION,
                f"{ROW_NAMES[key]}：全年执行数 {row.executed} 超过全年预算数 {row.annual_budget}",
                [f"funds.{key}.executed", f"funds.{key}.annual_budget"],
                executed=str(row.executed), annual_budget=str(row.annual_budget),
            ))
    return findings
