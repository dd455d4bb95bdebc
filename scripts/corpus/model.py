"""What the generator knows about a form: printed values plus facts (met/missed), and the gold record it implies."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

FUND_ROWS = ("total", "current_year", "carryover", "other")
FUND_COLUMNS = ("initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score")
MONEY_COLUMNS = ("initial_budget", "annual_budget", "executed")
QUALITATIVE_NATURE = "定性"
_TARGET = re.compile(r"^(>=|<=|=|＝|>|<|≥|≤)?\s*(\d+(?:\.\d+)?)\s*[（(]?([^()（）]*)[)）]?$")


@dataclass
class IndicatorSpec:
    """One 三级指标 row as printed, with the generator's knowledge of whether it met its target."""

    level1: str
    level2: str
    name: str
    target: str  # single-column 年度指标值 as printed
    parts: tuple[str, str, str]  # 指标性质, 指标值, 度量单位 for layouts that split the target
    actual: str
    weight: str
    score: str
    deviation: str | None
    numeric: bool | None = None  # target and actual are both numbers in compatible units
    met: bool | None = None  # the actual meets the target (None: not known, e.g. seed forms)


@dataclass
class FormSpec:
    """A whole form: header, funds, goals, indicators, totals, and its findings."""

    origin: str
    year: int
    project_name: str
    department: str
    implementing_unit: str
    funds: dict[str, dict[str, str | None]]
    goals_expected: str
    goals_actual: str
    indicators: list[IndicatorSpec]
    total_weight: str
    total_score: str
    grade: str
    expected_findings: list[str] = field(default_factory=list)
    planted: list[str] = field(default_factory=list)
    leader: str = ""
    phone: str = ""


def split_target(target: str) -> tuple[str, str, str]:
    """A printed target split into 指标性质 / 指标值 / 度量单位 (`=100.00(%)` → `=`, `100.00`, `%`)."""
    compact = re.sub(r"\s+", "", target)
    match = _TARGET.match(compact)
    if match is None:
        return (QUALITATIVE_NATURE, compact, "")
    op, value, unit = match.groups()
    return (op or "=", value, unit or "")


def joined_target(parts: tuple[str, str, str]) -> str:
    """The record's target for a split-target layout: the printed parts concatenated, 定性 left out."""
    nature, value, unit = parts
    return value + unit if nature == QUALITATIVE_NATURE else nature + value + unit


def to_yuan(value: str | None) -> str | None:
    """A 万元 amount printed in 元 (two decimals), as layouts with unit 元 print it."""
    if value is None:
        return None
    return format((Decimal(value) * 10000).quantize(Decimal("0.01")), "f")


def record_of(form: FormSpec, *, yuan: bool = False, split: bool = False) -> dict[str, Any]:
    """The gold record (record v1, decimals as strings) of a form printed in a given layout."""
    funds: dict[str, dict[str, str | None]] = {}
    for row in FUND_ROWS:
        values = dict(form.funds[row])
        if yuan:
            for column in MONEY_COLUMNS:
                values[column] = to_yuan(values[column])
        funds[row] = {column: values[column] for column in FUND_COLUMNS}
    return {
        "year": form.year,
        "project_name": form.project_name,
        "department": form.department,
        "implementing_unit": form.implementing_unit,
        "funds": funds,
        "goals": {"expected": form.goals_expected, "actual": form.goals_actual},
        "indicators": [
            {
                "level1": ind.level1,
                "level2": ind.level2,
                "name": ind.name,
                "target": joined_target(ind.parts) if split else ind.target,
                "actual": ind.actual,
                "weight": ind.weight,
                "score": ind.score,
                "deviation": ind.deviation,
            }
            for ind in form.indicators
        ],
        "total_weight": form.total_weight,
        "total_score": form.total_score,
        "grade": form.grade,
    }


def form_from_gold(gold: dict[str, Any], origin: str) -> FormSpec:
    """A seed gold file as a FormSpec (its expected findings are the hand-checked ones)."""
    rec = gold["record"]
    indicators = [
        IndicatorSpec(
            level1=i["level1"], level2=i["level2"], name=i["name"], target=i["target"],
            parts=split_target(i["target"]), actual=i["actual"], weight=i["weight"], score=i["score"],
            deviation=i["deviation"],
        )
        for i in rec["indicators"]
    ]
    return FormSpec(
        origin=origin, year=rec["year"], project_name=rec["project_name"], department=rec["department"],
        implementing_unit=rec["implementing_unit"],
        funds={row: dict(rec["funds"][row]) for row in FUND_ROWS},
        goals_expected=rec["goals"]["expected"], goals_actual=rec["goals"]["actual"], indicators=indicators,
        total_weight=rec["total_weight"], total_score=rec["total_score"], grade=rec["grade"],
        expected_findings=list(gold["expected_findings"]),
    )
