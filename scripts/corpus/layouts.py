"""Layout variants of the form as a table of cells with spans, shared by the PDF renderer and the text export.

- `seed`: the Shanghai system export (9 columns; the seed export is exactly this table flattened row by row).
- `split`: 年度指标值 split into 指标性质 | 指标值 | 度量单位 under a two-row header (11 columns); the gold
  target is the parts concatenated, 定性 left out (`≥`+`50`+`个` → `≥50个`; `定性`+`下降` → `下降`).
- `extended`: extra header rows (项目负责人, 联系电话), unit 元, headers 全年预算数（A）/ 全年执行数（B）/
  执行率（B/A）, 其中：财政拨款, and a signature line under the table.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from scripts.corpus.model import FUND_ROWS, FormSpec, record_of

LAYOUTS = ("seed", "split", "extended")


@dataclass
class Cell:
    """One (possibly merged) cell; `role` tells the text export what it holds."""

    row: int
    col: int
    text: str
    colspan: int = 1
    rowspan: int = 1
    align: str = "center"
    role: str = ""


@dataclass
class FormLayout:
    """A form laid out: title lines, the table, lines under it, and the gold record it prints."""

    layout: str
    title: str
    year_line: str
    widths: list[float]
    cells: list[Cell]
    row_kinds: list[str]
    record: dict[str, Any]
    above: list[str] = field(default_factory=list)
    below: list[str] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        """Number of table rows."""
        return len(self.row_kinds)

    @property
    def n_cols(self) -> int:
        """Number of table columns."""
        return len(self.widths)


@dataclass
class Printing:
    """Per-document printing habits: how an empty fund cell and the year are printed."""

    dash: str = "—"
    year_style: int = 0


class _Builder:
    def __init__(self) -> None:
        self.cells: list[Cell] = []
        self.kinds: list[str] = []

    def row(self, kind: str, *cells: tuple[Any, ...]) -> int:
        r = len(self.kinds)
        self.kinds.append(kind)
        for spec in cells:
            col, text, *rest = spec
            colspan = rest[0] if rest else 1
            rest = rest[1:]
            rowspan = rest[0] if rest else 1
            align = rest[1] if len(rest) > 1 else "center"
            role = rest[2] if len(rest) > 2 else ""
            self.cells.append(Cell(r, col, text, colspan, rowspan, align, role))
        return r


def _dash(value: str | None, printing: Printing) -> str:
    return printing.dash if value is None else value


def _year_line(year: int, printing: Printing) -> str:
    return (f"({year} 年度)", f"（{year}年度）", f"{year}年度")[printing.year_style]


def build(form: FormSpec, layout: str, printing: Printing, rng: random.Random) -> FormLayout:
    """Lay a form out in one of LAYOUTS."""
    if layout == "seed":
        return _seed(form, printing)
    if layout == "split":
        return _split(form, printing)
    if layout == "extended":
        return _extended(form, printing, rng)
    raise ValueError(f"unknown layout {layout!r}; choose from {LAYOUTS}")


def _groups(values: list[str]) -> list[tuple[int, int]]:
    """(start, length) runs of equal consecutive values (merged cells)."""
    runs: list[tuple[int, int]] = []
    for i, v in enumerate(values):
        if runs and values[runs[-1][0]] == v:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((i, 1))
    return runs


def _indicator_rows(b: _Builder, rec: dict[str, Any], first: int, cols: dict[str, int],
                    form: FormSpec | None = None) -> None:
    """Indicator rows with merged (row-spanning) 一级/二级 cells; `first` is the first row index."""
    inds = rec["indicators"]
    level1 = _groups([i["level1"] for i in inds])
    level2 = _groups([f"{i['level1']}/{i['level2']}" for i in inds])
    starts1 = {s: n for s, n in level1}
    starts2 = {s: n for s, n in level2}
    for k, ind in enumerate(inds):
        cells: list[tuple[Any, ...]] = []
        if k in starts1:
            cells.append((cols["level1"], ind["level1"], 1, starts1[k], "center", "level1"))
        if k in starts2:
            cells.append((cols["level2"], ind["level2"], 1, starts2[k], "center", "level2"))
        cells.append((cols["name"], ind["name"], 1, 1, "center", "name"))
        if form is not None:  # split target
            nature, value, unit = form.indicators[k].parts
            cells += [(cols["nature"], nature, 1, 1, "center", "nature"), (cols["value"], value, 1, 1, "center", "value"),
                      (cols["unit"], unit, 1, 1, "center", "unit")]
        else:
            cells.append((cols["target"], ind["target"], 1, 1, "center", "target"))
        cells += [
            (cols["actual"], ind["actual"], 1, 1, "center", "actual"),
            (cols["weight"], ind["weight"], 1, 1, "center", "weight"),
            (cols["score"], ind["score"], 1, 1, "center", "score"),
            (cols["deviation"], ind["deviation"] or "", 1, 1, "left", "deviation"),
        ]
        r = b.row("indicator", *cells)
        assert r == first + k


def _funds_rows(b: _Builder, rec: dict[str, Any], printing: Printing, label: str, headers: tuple[str, ...],
                row_labels: tuple[str, ...], label_span: int, value_cols: tuple[tuple[int, int], ...],
                blank_after: int | None) -> None:
    cells: list[tuple[Any, ...]] = [(0, label, 1, 5, "center", "section"), (1, "", label_span)]
    cells += [(c, h, s, 1, "center", "funds_header") for (c, s), h in zip(value_cols, headers, strict=True)]
    if blank_after is not None:
        cells.append((blank_after, ""))
    b.row("funds_header", *cells)
    columns = ("initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score")
    for key, row_label in zip(FUND_ROWS, row_labels, strict=True):
        values = rec["funds"][key]
        cells = [(1, row_label, label_span, 1, "center", "fund_label")]
        cells += [(c, _dash(values[col], printing), s, 1, "center", "fund_value")
                  for (c, s), col in zip(value_cols, columns, strict=True)]
        if blank_after is not None:
            cells.append((blank_after, ""))
        b.row("fund", *cells)


def _seed(form: FormSpec, printing: Printing) -> FormLayout:
    rec = record_of(form)
    b = _Builder()
    b.row("project", (0, "项目名称", 2, 1, "center", "label"), (2, rec["project_name"], 7, 1, "center", "project"))
    b.row("dept", (0, "主管部门", 2, 1, "center", "label"), (2, rec["department"], 2, 1, "center", "department"),
          (4, "实施单位", 1, 1, "center", "label"), (5, rec["implementing_unit"], 4, 1, "center", "unit"))
    _funds_rows(b, rec, printing, "项目资金（万元）", ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"),
                ("年度资金总额", "其中：当年财政拨款", "上年结转资金", "其他资金"), 1,
                ((2, 1), (3, 1), (4, 1), (5, 1), (6, 1), (7, 1)), 8)
    _goals(b, rec, ((1, 3), (4, 5)))
    n = len(rec["indicators"])
    b.row("ind_header", (0, "绩效指标", 1, n + 1, "center", "section"),
          *[(c, h, 1, 1, "center", "ind_header") for c, h in enumerate(
              ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"), start=1)])
    cols = {"level1": 1, "level2": 2, "name": 3, "target": 4, "actual": 5, "weight": 6, "score": 7, "deviation": 8}
    _indicator_rows(b, rec, len(b.kinds), cols)
    _totals(b, rec, 6)
    return FormLayout("seed", "财政项目支出绩效自评表", _year_line(rec["year"], printing),
                      [34, 50, 58, 96, 64, 56, 40, 40, 82], b.cells, b.kinds, rec)


def _goals(b: _Builder, rec: dict[str, Any], spans: tuple[tuple[int, int], tuple[int, int]]) -> None:
    (c1, s1), (c2, s2) = spans
    b.row("goals_header", (0, "年度总体目标", 1, 2, "center", "section"), (c1, "预期目标", s1, 1, "center", "goals_header"),
          (c2, "实际完成情况", s2, 1, "center", "goals_header"))
    b.row("goals", (c1, rec["goals"]["expected"], s1, 1, "left", "goal"), (c2, rec["goals"]["actual"], s2, 1, "left", "goal"))


def _totals(b: _Builder, rec: dict[str, Any], weight_col: int, last_col: int | None = None) -> None:
    last = weight_col + 2 if last_col is None else last_col
    b.row("total", (0, "总分", weight_col, 1, "center", "label"), (weight_col, rec["total_weight"], 1, 1, "center", "total"),
          (weight_col + 1, rec["total_score"], 1, 1, "center", "total"), (last, ""))
    b.row("grade", (0, "评分等级", weight_col, 1, "center", "label"), (weight_col, rec["grade"], 3, 1, "center", "grade"))


def _split(form: FormSpec, printing: Printing) -> FormLayout:
    rec = record_of(form, split=True)
    b = _Builder()
    b.row("project", (0, "项目名称", 2, 1, "center", "label"), (2, rec["project_name"], 9, 1, "center", "project"))
    b.row("dept", (0, "主管部门", 2, 1, "center", "label"), (2, rec["department"], 4, 1, "center", "department"),
          (6, "实施单位", 2, 1, "center", "label"), (8, rec["implementing_unit"], 3, 1, "center", "unit"))
    _funds_rows(b, rec, printing, "项目资金（万元）", ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"),
                ("年度资金总额", "其中：当年财政拨款", "上年结转资金", "其他资金"), 2,
                ((3, 1), (4, 2), (6, 2), (8, 1), (9, 1), (10, 1)), None)
    _goals(b, rec, ((1, 5), (6, 5)))
    n = len(rec["indicators"])
    b.row("ind_header", (0, "绩效指标", 1, n + 2, "center", "section"),
          (1, "一级指标", 1, 2, "center", "ind_header"), (2, "二级指标", 1, 2, "center", "ind_header"),
          (3, "三级指标", 1, 2, "center", "ind_header"), (4, "年度指标值", 3, 1, "center", "ind_header"),
          (7, "实际完成值", 1, 2, "center", "ind_header"), (8, "分值", 1, 2, "center", "ind_header"),
          (9, "得分", 1, 2, "center", "ind_header"), (10, "偏差原因分析及改进措施", 1, 2, "center", "ind_header"))
    b.row("ind_subheader", (4, "指标性质", 1, 1, "center", "ind_header"), (5, "指标值", 1, 1, "center", "ind_header"),
          (6, "度量单位", 1, 1, "center", "ind_header"))
    cols = {"level1": 1, "level2": 2, "name": 3, "nature": 4, "value": 5, "unit": 6, "actual": 7, "weight": 8,
            "score": 9, "deviation": 10}
    _indicator_rows(b, rec, len(b.kinds), cols, form)
    _totals(b, rec, 8)
    return FormLayout("split", "财政项目支出绩效自评表", _year_line(rec["year"], printing),
                      [28, 40, 48, 76, 30, 42, 38, 54, 40, 40, 84], b.cells, b.kinds, rec)


def _extended(form: FormSpec, printing: Printing, rng: random.Random) -> FormLayout:
    rec = record_of(form, yuan=True)
    b = _Builder()
    b.row("project", (0, "项目名称", 2, 1, "center", "label"), (2, rec["project_name"], 7, 1, "center", "project"))
    b.row("leader", (0, "项目负责人", 2, 1, "center", "label"), (2, form.leader, 2, 1, "center", "leader"),
          (4, "联系电话", 1, 1, "center", "label"), (5, form.phone, 4, 1, "center", "phone"))
    b.row("dept", (0, "主管部门", 2, 1, "center", "label"), (2, rec["department"], 2, 1, "center", "department"),
          (4, "实施单位", 1, 1, "center", "label"), (5, rec["implementing_unit"], 4, 1, "center", "unit"))
    _funds_rows(b, rec, printing, "项目资金（元）",
                ("年初预算数", "全年预算数（A）", "全年执行数（B）", "分值", "执行率（B/A）", "得分"),
                ("年度资金总额", "其中：财政拨款", "上年结转资金", "其他资金"), 1,
                ((2, 1), (3, 1), (4, 1), (5, 1), (6, 1), (7, 2)), None)
    _goals(b, rec, ((1, 3), (4, 5)))
    n = len(rec["indicators"])
    b.row("ind_header", (0, "绩效指标", 1, n + 1, "center", "section"),
          *[(c, h, 1, 1, "center", "ind_header") for c, h in enumerate(
              ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"), start=1)])
    cols = {"level1": 1, "level2": 2, "name": 3, "target": 4, "actual": 5, "weight": 6, "score": 7, "deviation": 8}
    _indicator_rows(b, rec, len(b.kinds), cols)
    _totals(b, rec, 6)
    day = f"{rec['year'] + 1}年{rng.randint(1, 4)}月{rng.randint(1, 28)}日"
    return FormLayout("extended", "项目支出绩效自评表", _year_line(rec["year"], printing),
                      [32, 48, 70, 88, 70, 52, 40, 40, 80], b.cells, b.kinds, rec,
                      above=[f"填报单位（盖章）：{rec['implementing_unit']}"],
                      below=[f"单位负责人：{rng.choice(('李明', '王强', '赵刚'))}    填报人：{form.leader}    填报日期：{day}"])
