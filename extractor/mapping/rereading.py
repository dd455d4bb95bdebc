"""After the checker: is a failing sum a misreading (re-ask the rows concerned) or the form's own fault (report it)?

Every number of an LLM record is grounded in the cell it cites, so a misreading that survives grounding is a
number taken from the wrong cell. A failing rule is blamed on the reading only when the citations show it:

- a cell cited by two numbers of the record (two fields cannot both be printed in one cell), or a row's number
  cited from another table row than the row's other values; or
- re-reading one number from a cell of its own table row that no field cites makes the rule hold.

A form whose printed total contradicts its printed parts, with every number cited once from its own row and
no spare number in the row that would repair the sum (the seed's 风险防控治理, 安全宣传, 残保金抚恤金专项), shows
neither sign: its findings are reported as they are and no tokens are spent on it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

from pydantic import BaseModel, Field

from extractor.checking import funds, totals
from extractor.layout import Cell, Grid
from extractor.records.models import Finding, FindingCode, Provenance, Record
from extractor.records.paths import get_path, set_path
from extractor.tables.rows import number_of

RecordRule = Callable[[Record], list[Finding]]
ARITHMETIC_RULES: dict[FindingCode, RecordRule] = {
    FindingCode.WEIGHT_SUM: totals.weight_sum,
    FindingCode.SCORE_SUM: totals.score_sum,
    FindingCode.SCORE_EXCEEDS_WEIGHT: totals.score_exceeds_weight,
    FindingCode.GRADE_MISMATCH: totals.grade_mismatch,
    FindingCode.FUND_COMPONENTS: funds.fund_components,
    FindingCode.EXECUTION_RATE: funds.execution_rate,
    FindingCode.BUDGET_SCORE: funds.budget_score,
}
_NUMERIC = re.compile(
    r"^(funds\.\w+\.(initial_budget|annual_budget|executed|weight|execution_rate|score)"
    r"|indicators\[\d+\]\.(weight|score)|total_weight|total_score)$"
)
_FUND_NUMBERS = ("initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score")


class Suspect(BaseModel):
    """A number of the record that may have been read from the wrong cell."""

    path: str
    value: str
    cells: list[str]
    codes: list[str] = Field(description="the failing rules it takes part in")
    unused: list[str] = Field(default_factory=list, description="numbers of its table row that no field cites")
    reasons: list[str] = Field(default_factory=list)


def row_of(path: str) -> str:
    """The record row a number belongs to: indicators[3], funds.total, or totals."""
    if path.startswith("indicators["):
        return path.split(".", 1)[0]
    if path.startswith("funds."):
        return ".".join(path.split(".")[:2])
    return "totals"


def row_paths(row: str) -> list[str]:
    """The numbers of one record row (what a targeted re-ask reads again)."""
    if row.startswith("indicators["):
        return [f"{row}.weight", f"{row}.score"]
    if row.startswith("funds."):
        return [f"{row}.{col}" for col in _FUND_NUMBERS]
    return ["total_weight", "total_score"]


def _involved(finding: Finding) -> list[str]:
    paths = [p for p in finding.fields if _NUMERIC.match(p)]
    if finding.code is FindingCode.EXECUTION_RATE:
        paths += [p.replace("execution_rate", col) for p in paths for col in ("executed", "annual_budget")]
    elif finding.code is FindingCode.BUDGET_SCORE:
        paths += [f"funds.total.{col}" for col in ("weight", "execution_rate", "executed", "annual_budget")]
    elif finding.code is FindingCode.GRADE_MISMATCH:
        paths.append("total_score")
    return list(dict.fromkeys(paths))


def _still_fails(rule: RecordRule, finding: Finding, record: Record, path: str, value: Decimal) -> bool:
    trial = record.model_copy(deep=True)
    set_path(trial, path, value)
    return any(f.code is finding.code and f.fields == finding.fields for f in rule(trial))


def _home_rows(provenance: Provenance, by_id: dict[str, Cell]) -> dict[str, int]:
    """The table row each record row was read from: an indicator's name cell, the commonest row of a fund row."""
    votes: dict[str, Counter[int]] = {}
    for path, src in provenance.fields.items():
        cells = [by_id[ref.id] for ref in src.cells if ref.id in by_id]
        if not cells:
            continue
        row = row_of(path)
        if path.endswith(".name") and row.startswith("indicators["):
            votes.setdefault(row, Counter())[cells[0].row] += 100  # the name decides
        elif _NUMERIC.match(path) and row != "totals":
            votes.setdefault(row, Counter())[cells[0].row] += 1
    return {row: counter.most_common(1)[0][0] for row, counter in votes.items()}


def suspects(record: Record, provenance: Provenance, grid: Grid, findings: list[Finding]) -> list[Suspect]:
    """Numbers of failing arithmetic that look misread (see the module docstring); [] when the form is at fault."""
    failing = [f for f in findings if f.code in ARITHMETIC_RULES]
    if not failing:
        return []
    by_id = grid.by_id()
    cited_anywhere = {ref.id for src in provenance.fields.values() for ref in src.cells}
    number_cites = Counter(ref.id for path, src in provenance.fields.items() if _NUMERIC.match(path) for ref in src.cells)
    homes = _home_rows(provenance, by_id)
    found: dict[str, Suspect] = {}
    for finding in failing:
        rule = ARITHMETIC_RULES[finding.code]
        for path in _involved(finding):
            value = get_path(record, path)
            src = provenance.fields.get(path)
            if value is None or src is None or len(src.cells) != 1 or src.cells[0].id not in by_id:
                continue
            cell = by_id[src.cells[0].id]
            home = homes.get(row_of(path))
            rows = {cell.row} | ({home} if home is not None else set())
            spare = [c for r in sorted(rows) for c in grid.rows[r]
                     if c.id not in cited_anywhere and number_of(c.text) is not None]
            reasons = []
            if number_cites[cell.id] > 1:
                reasons.append(f"{cell.id} is cited by another number of the record too")
            if home is not None and cell.row != home:
                reasons.append(f"{cell.id} is on another table row than the rest of {row_of(path)}")
            repairs = [c for c in spare if not _still_fails(rule, finding, record, path, number_of(c.text))]  # type: ignore[arg-type]
            if repairs:
                reasons.append(f"reading {', '.join(c.id for c in repairs)} instead would make {finding.code.value} hold")
            if not reasons:
                continue
            suspect = found.setdefault(path, Suspect(path=path, value=format(value, "f"), cells=[cell.id], codes=[],
                                                     unused=[f"{c.id} ({c.text.strip()})" for c in spare]))
            suspect.codes = list(dict.fromkeys([*suspect.codes, finding.code.value]))
            suspect.reasons = list(dict.fromkeys([*suspect.reasons, *reasons]))
    return list(found.values())
