"""Build the answer a faithful model would give for a form: the gold record's values, each citing its grid cell.

The cells are found in the grid independently of the rules mapper: header values by their text, each table
row by its label, and the row's numbers left to right so that no cell is cited twice.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from extractor.domain.repair import match_label
from extractor.domain.text import norm_key
from extractor.domain.vocabulary import FUND_ROWS, VocabKind, grade_of
from extractor.layout import Cell, Grid
from extractor.records.models import Indicator, Record
from extractor.tables.rows import number_of

FUND_COLUMNS = ("initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score")


def cited(value: Any, *cells: Cell) -> dict[str, Any]:
    """One cited value as the model sends it."""
    if isinstance(value, Decimal):
        value = format(value, "f")
    return {"value": value, "cells": [c.id for c in cells]}


class _Finder:
    def __init__(self, grid: Grid) -> None:
        self.grid = grid
        self.cells = [c for c in grid.cells() if c.text.strip()]

    def text(self, value: str, after: int = -1) -> list[Cell]:
        """The cell (or run of consecutive cells) whose text is the value."""
        key = norm_key(value)
        for i, cell in enumerate(self.cells):
            if cell.row <= after:
                continue
            joined = ""
            for j in range(i, len(self.cells)):
                joined += norm_key(self.cells[j].text)
                if joined == key:
                    return self.cells[i:j + 1]
                if not key.startswith(joined):
                    break
        for cell in self.cells:  # "项目名称：社区服务": the value printed after its label in one cell
            if cell.row > after and re.sub(r"^[^:：]{1,10}[:：]", "", norm_key(cell.text), count=1) == key:
                return [cell]
        raise LookupError(f"no cell holds {value!r}")

    def label_row(self, predicate: Any, after: int = -1) -> int:
        for cell in self.cells:
            if cell.row > after and predicate(cell):
                return cell.row
        raise LookupError("row not found")

    def numbers(self, row: int, values: list[Decimal | None], start_col: int = -1) -> list[Cell | None]:
        """Cells of one row holding the values in order, left to right (a None value takes no cell)."""
        out: list[Cell | None] = []
        col = start_col
        for value in values:
            if value is None:
                out.append(None)
                continue
            cell = next(c for c in self.grid.rows[row] if c.col > col and number_of(c.text) == value)
            out.append(cell)
            col = cell.col
        return out


def _run(cells: list[Cell], value: str) -> list[Cell]:
    """The first run of consecutive cells whose texts joined are the value."""
    key = norm_key(value)
    for i in range(len(cells)):
        joined = ""
        for j in range(i, len(cells)):
            joined += norm_key(cells[j].text)
            if joined == key:
                return cells[i:j + 1]
            if not key.startswith(joined):
                break
    raise LookupError(f"no run of cells holds {value!r}")


def _row_cells(finder: _Finder, row: int) -> list[Cell]:
    return [c for c in finder.grid.rows[row] if c.text.strip()]


def _label_of(cell: Cell | None) -> str | None:
    return match_label(cell.text, VocabKind.INDICATOR_LABEL).canonical if cell is not None else None


def _indicator(finder: _Finder, ind: Indicator, after: int,
               carry: dict[str, Cell | None]) -> tuple[dict[str, Any], int]:
    name_cells = finder.text(ind.name, after) if ind.name else []
    row = name_cells[0].row
    cells = _row_cells(finder, row)
    labels = [c for c in cells if c.col < name_cells[0].col and _label_of(c) is not None]
    # The labels printed on this row (level1 then level2); a label printed once above for several rows (a
    # merged cell) is cited where it is printed; a level1 printed nowhere is inferred (no cell).
    if labels:
        carry["level2"] = labels[-1]
    if len(labels) >= 2:
        carry["level1"] = labels[-2]
    out: dict[str, Any] = {}
    for key in ("level2", "level1"):
        value = getattr(ind, key)
        cell = carry[key]
        out[key] = cited(value, cell) if _label_of(cell) == value else cited(value)
    assert out["level2"]["cells"], f"no printed level2 for {ind.name}"
    out["name"] = cited(ind.name, *name_cells) if ind.name else None
    col = name_cells[-1].col
    for key in ("target", "actual"):
        value = getattr(ind, key)
        if value is None:
            out[key] = None
            continue
        run = _run([c for c in cells if c.col > col], value)  # split columns: ≥ | 2000 | 人
        out[key], col = cited(value, *run), run[-1].col
        if key == "target":
            # The split target's parts (record v1.1): 指标性质 and 度量单位 each cite their own cell.
            nature = next((c for c in cells if c.col <= run[0].col and norm_key(c.text) == norm_key(ind.nature or "")
                           and c.col > name_cells[-1].col), None)
            unit = next((c for c in cells if c.col >= run[-1].col and norm_key(c.text) == norm_key(ind.unit or "")),
                        None)
            out["nature"] = cited(ind.nature, nature) if ind.nature is not None and nature else None
            out["unit"] = cited(ind.unit, unit) if ind.unit is not None and unit else None
    weight, score = finder.numbers(row, [ind.weight, ind.score], col)
    out["weight"] = cited(ind.weight, weight) if weight else None
    out["score"] = cited(ind.score, score) if score else None
    last = (score or weight)
    if ind.deviation:
        cell = next(c for c in cells if c.col > (last.col if last else col) and norm_key(c.text) == norm_key(ind.deviation))
        out["deviation"] = cited(ind.deviation, cell)
    else:
        out["deviation"] = None
    return out, row


def answer_for(record: Record, grid: Grid) -> dict[str, Any]:
    """The answer a faithful model gives for this grid's form."""
    f = _Finder(grid)
    year_re = re.compile(rf"(?<!\d){record.year}\s*年")
    year = next(c for c in f.cells if year_re.search(norm_key(c.text)))
    answer: dict[str, Any] = {"year": cited(record.year, year)}
    for key in ("project_name", "department", "implementing_unit"):
        value = getattr(record, key)
        answer[key] = cited(value, *f.text(value)) if value else None
    if record.money_unit is not None:
        # The funds block's header prints the unit: 项目资金（万元） / 项目资金 (元).
        unit_cell = next(c for c in f.cells if ("万" in c.text) == (record.money_unit == "万元") and "元" in c.text
                         and number_of(c.text) is None)
        answer["money_unit"] = cited(record.money_unit, unit_cell)
    funds: dict[str, Any] = {}
    for key, label in FUND_ROWS.items():
        row = f.label_row(lambda c, label=label: match_label(c.text, VocabKind.FUND_ROW).canonical == label)
        label_col = next(c.col for c in _row_cells(f, row) if match_label(c.text, VocabKind.FUND_ROW).canonical == label)
        fund = getattr(record.funds, key)
        values = [getattr(fund, col) for col in FUND_COLUMNS]
        cells = f.numbers(row, values, label_col)
        funds[key] = {col: cited(v, c) if c is not None else None for col, v, c in zip(FUND_COLUMNS, values, cells, strict=True)}
    answer["funds"] = funds
    answer["goals"] = {k: cited(v, *f.text(v)) if v else None
                       for k, v in (("expected", record.goals.expected), ("actual", record.goals.actual))}
    indicators: list[dict[str, Any]] = []
    carry: dict[str, Cell | None] = {"level1": None, "level2": None}
    after = f.label_row(lambda c: norm_key(c.text) == "三级指标")  # names are searched below the header
    for ind in record.indicators:
        out, after = _indicator(f, ind, after, carry)
        indicators.append(out)
    answer["indicators"] = indicators
    # The 总分 row: the first row below the indicators printing the total weight and then the total score.
    total_row = f.label_row(lambda c: number_of(c.text) == record.total_weight and any(
        number_of(d.text) == record.total_score and d.col > c.col for d in f.grid.rows[c.row]), after)
    weight, score = f.numbers(total_row, [record.total_weight, record.total_score])
    answer["total_weight"] = cited(record.total_weight, weight) if weight else None
    answer["total_score"] = cited(record.total_score, score) if score else None
    grade_row = f.label_row(lambda c: norm_key(c.text) == "评分等级", after)
    grade = next(c for c in _row_cells(f, grade_row) if grade_of(c.text) == record.grade)
    answer["grade"] = cited(record.grade, grade)
    return answer


def grid_of_request(body: dict[str, Any], grids: list[Grid]) -> int:
    """Which grid a request asks about (text exports: by the line numbers of the cell ids in the user message)."""
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    lines = [int(n) for n in re.findall(r"\[L(\d+)C\d+\]", user)]
    first = min(lines)
    for i, grid in enumerate(grids):
        assert grid.first_line is not None and grid.last_line is not None
        if grid.first_line <= first <= grid.last_line:
            return i
    raise LookupError(f"no grid holds line {first}")
