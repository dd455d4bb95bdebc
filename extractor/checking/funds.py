"""Rules on the 项目资金 block: components, execution rate, budget score, over-execution."""

from __future__ import annotations

from decimal import Decimal

from extractor.checking.context import DEFAULT_CONTEXT, CheckContext
from extractor.checking.tolerance import rate_tolerance, round2
from extractor.domain.vocabulary import FUND_COLUMNS, FUND_ROWS
from extractor.records.models import Finding, FindingCode, FundRow, Record

ROWS = tuple(FUND_ROWS)
ROW_NAMES = dict(FUND_ROWS)
COLUMN_NAMES = {key: FUND_COLUMNS[key] for key in ("initial_budget", "annual_budget", "executed")}
HUNDRED = Decimal(100)


def _rows(record: Record) -> list[tuple[str, FundRow]]:
    return [(key, getattr(record.funds, key)) for key in ROWS]


def fund_components(record: Record) -> list[Finding]:
    """年度资金总额 = 当年财政拨款 + 上年结转资金 + 其他资金 (+ the further rows a family prints), column by column."""
    findings = []
    for column, name in COLUMN_NAMES.items():
        total = getattr(record.funds.total, column)
        parts = [getattr(getattr(record.funds, key), column) for key in ROWS[1:]]
        parts += [getattr(row, column) for row in record.funds.extra]
        if total is None or all(p is None for p in parts):
            continue
        summed = sum((p for p in parts if p is not None), Decimal(0))
        if summed != total:
            findings.append(Finding.of(
                FindingCode.FUND_COMPONENTS,
                f"{name}：年度资金总额 {total} ≠ 各项之和 {summed}",
                [f"funds.{key}.{column}" for key in ROWS]
                + [f"funds.extra[{i}].{column}" for i in range(len(record.funds.extra))],
                total=str(total), sum=str(summed),
            ))
    return findings


def budget_of(row: FundRow, basis: str = "annual_budget") -> Decimal | None:
    """The budget a row's 执行率 divides by: 全年预算数, or the family's own basis (Beijing's 年初预算数(A))."""
    if basis == "initial_budget" or row.annual_budget is None:
        # A form that prints no 全年预算数 has only its 年初预算数 to divide by.
        return row.initial_budget if basis == "initial_budget" or row.initial_budget is not None else None
    return row.annual_budget


def computed_rate(row: FundRow, basis: str = "annual_budget") -> Decimal | None:
    """executed ÷ budget × 100, uncapped; None when there is no rate to compute."""
    budget = budget_of(row, basis)
    if row.executed is None or budget is None or budget == 0:
        return None
    return row.executed / budget * HUNDRED


def execution_rate(record: Record, context: CheckContext = DEFAULT_CONTEXT) -> list[Finding]:
    """Printed 执行率 = 全年执行数 ÷ 全年预算数 × 100 (capped at 100), within rounding."""
    findings = []
    for key, row in _rows(record):
        rate = computed_rate(row, context.rate_basis)
        if rate is None or row.execution_rate is None:
            continue
        tolerance = rate_tolerance(row.execution_rate)
        capped = min(rate, HUNDRED)
        # Forms print the capped rate; some print the true one above 100: both are the form's own reading.
        if abs(row.execution_rate - capped) <= tolerance or abs(row.execution_rate - rate) <= tolerance:
            continue
        findings.append(Finding.of(
            FindingCode.EXECUTION_RATE,
            f"{ROW_NAMES[key]}执行率印为 {row.execution_rate}，按 {row.executed}÷{budget_of(row, context.rate_basis)} "
            f"应为 {round2(capped)}",
            [f"funds.{key}.execution_rate"],
            printed=str(row.execution_rate), expected=str(round2(capped)),
        ))
    return findings


def budget_score(record: Record, context: CheckContext = DEFAULT_CONTEXT) -> list[Finding]:
    """预算执行率 score = min(rate, 100) ÷ 100 × 分值, rounded to 2 decimals."""
    row = record.funds.total
    if row.weight is None or row.score is None:
        return []
    budget = budget_of(row, context.rate_basis)
    if budget is not None and budget == 0:
        return []
    rate = row.execution_rate if row.execution_rate is not None else computed_rate(row, context.rate_basis)
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


def over_execution(record: Record, context: CheckContext = DEFAULT_CONTEXT) -> list[Finding]:
    """全年执行数 > 全年预算数 (shown as 100 % in practice): a warning."""
    findings = []
    for key, row in _rows(record):
        budget = budget_of(row, context.rate_basis)
        if row.executed is not None and budget is not None and row.executed > budget:
            column = "annual_budget" if budget is row.annual_budget else "initial_budget"
            findings.append(Finding.of(
                FindingCode.OVER_EXECUTION,
                f"{ROW_NAMES[key]}：全年执行数 {row.executed} 超过{COLUMN_NAMES[column]} {budget}",
                [f"funds.{key}.executed", f"funds.{key}.{column}"],
                executed=str(row.executed), annual_budget=str(budget),
            ))
    return findings
