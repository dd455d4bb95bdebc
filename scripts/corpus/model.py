"""What the generator knows about a form: printed values plus facts (met/missed), and the gold record it implies."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

FUND_ROWS = ("total", "current_year", "carryover", "other")
# Form families (templates.md; the ids of extractor/templates/families): central is the seed's family.
FAMILIES = ("central", "anhui", "yunnan", "sichuan", "beijing", "ningxia", "department")
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
    target: str | None  # single-column 年度指标值 as printed (None: printed blank)
    parts: tuple[str, str, str]  # 指标性质, 指标值, 度量单位 for layouts that split the target
    actual: str | None
    weight: str
    score: str
    deviation: str | None
    numeric: bool | None = None  # target and actual are both numbers in compatible units
    met: bool | None = None  # the actual meets the target (None: not known, e.g. seed forms)
    method: str | None = None  # 得分计算方法 (Beijing)
    group: str | None = None  # the printed 一级指标 group when it is not level1 (Ningxia's 项目效益 holds 满意度)


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
    total_weight: str | None
    total_score: str | None
    grade: str | None
    expected_findings: list[str] = field(default_factory=list)
    planted: list[str] = field(default_factory=list)
    leader: str = ""
    phone: str = ""
    # record v1.1 and the families (templates.md); the defaults are the central form's.
    family: str = "central"
    money_unit: str = "万元"
    project_code: str | None = None
    extra_funds: list[dict[str, str | None]] = field(default_factory=list)  # {"label", six columns}
    evaluation: dict[str, str | None] | None = None
    reviewed_score: str | None = None
    fund_rows: tuple[str, ...] = FUND_ROWS  # the fund rows the form prints
    printing: dict[str, Any] = field(default_factory=dict)  # family printing habits decided with the values


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


def _money_row(values: dict[str, str | None], yuan: bool) -> dict[str, str | None]:
    values = dict(values)
    if yuan:
        for column in MONEY_COLUMNS:
            values[column] = to_yuan(values[column])
    return {column: values[column] for column in FUND_COLUMNS}


def record_of(form: FormSpec, *, yuan: bool = False, split: bool = False) -> dict[str, Any]:
    """The gold record (record v1.1, decimals as strings) of a form printed in a given layout.

    `yuan`: the layout prints money in 元 (万元 × 10000). `split`: the layout prints 指标性质 | 指标值 | 度量单位
    in their own columns (target = the parts joined, nature and unit = the cells as printed).
    """
    funds: dict[str, Any] = {row: _money_row(form.funds[row], yuan) for row in FUND_ROWS}
    funds["extra"] = [{"label": extra["label"], **_money_row(extra, yuan)} for extra in form.extra_funds]
    evaluation = form.evaluation or {}
    return {
        "year": form.year,
        "project_name": form.project_name,
        "project_code": form.project_code,
        "department": form.department,
        "implementing_unit": form.implementing_unit,
        "money_unit": "元" if yuan else form.money_unit,
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
                "nature": (ind.parts[0] or None) if split else None,
                "unit": (ind.parts[2] or None) if split else None,
                "method": ind.method,
            }
            for ind in form.indicators
        ],
        "total_weight": form.total_weight,
        "total_score": form.total_score,
        "reviewed_score": form.reviewed_score,
        "grade": form.grade,
        "evaluation": {key: evaluation.get(key) for key in ("conclusion", "problems", "measures")},
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
        expected_findings=list(gold["expected_findings"]), money_unit=rec.get("money_unit") or "万元",
    )
