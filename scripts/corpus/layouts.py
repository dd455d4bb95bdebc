"""Layout variants of the form as a table of cells with spans, shared by the PDF renderer and the text export.

- `seed`: the Shanghai system export (9 columns; the seed export is exactly this table flattened row by row).
- `split`: 年度指标值 split into 指标性质 | 指标值 | 度量单位 under a two-row header (11 columns); the gold
  target is the parts concatenated, 定性 left out (`≥`+`50`+`个` → `≥50个`; `定性`+`下降` → `下降`).
- `extended`: extra header rows (项目负责人, 联系电话), unit 元, headers 全年预算数（A）/ 全年执行数（B）/
  执行率（B/A）, 其中：财政拨款, and a signature line under the table.

Those three are the central family. One layout per other family of templates.md (realworld/*/NOTES.md): `anhui`,
`yunnan`, `sichuan`, `beijing`, `ningxia`, and `department` (a 部门整体支出绩效自评表, no record: the reader must
refuse it). A `\n` in a cell's text is a line break the form prints inside the cell (`经济效益` / `指标`); every
layout carries its gold record (v1.1), its family and the record paths it does not print (`skip_null`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from scripts.corpus import content
from scripts.corpus.model import FUND_ROWS, FormSpec, record_of

LAYOUTS = ("seed", "split", "extended")  # the central family's layouts
# Every family's layouts (templates.md); `department` is a department-wide form, never a project form.
FAMILY_LAYOUTS: dict[str, tuple[str, ...]] = {
    "central": LAYOUTS, "anhui": ("anhui",), "yunnan": ("yunnan",), "sichuan": ("sichuan",),
    "beijing": ("beijing",), "ningxia": ("ningxia",), "department": ("department",),
}
ALL_LAYOUTS = tuple(name for names in FAMILY_LAYOUTS.values() for name in names)
FAMILY_OF = {name: family for family, names in FAMILY_LAYOUTS.items() for name in names}
# What the central layouts do not print (record v1.1 fields they have no cell for).
_CENTRAL_SKIP = ["reviewed_score", "evaluation", "indicators[].nature", "indicators[].unit", "indicators[].method"]
_SPLIT_SKIP = ["reviewed_score", "evaluation", "indicators[].method"]


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
    family: str = "central"
    skip_null: list[str] = field(default_factory=list)  # record paths the layout does not print at all

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
    if layout in _FAMILY_BUILDERS:
        if layout != "department" and form.family != layout:
            raise ValueError(f"layout {layout!r} prints {layout} forms, not {form.family} ones")
        return _FAMILY_BUILDERS[layout](form, printing, rng)
    raise ValueError(f"unknown layout {layout!r}; choose from {ALL_LAYOUTS}")


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
                      [34, 50, 58, 96, 64, 56, 40, 40, 82], b.cells, b.kinds, rec, skip_null=list(_CENTRAL_SKIP))


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
                      [28, 40, 48, 76, 30, 42, 38, 54, 40, 40, 84], b.cells, b.kinds, rec, skip_null=list(_SPLIT_SKIP))


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
                      below=[f"单位负责人：{rng.choice(('李明', '王强', '赵刚'))}    填报人：{form.leader}    填报日期：{day}"],
                      skip_null=list(_CENTRAL_SKIP))


# --- the other families (templates.md; realworld/*/NOTES.md) --------------------------------------------------

# Level2 labels wrapped inside their cell, as the provincial templates print them (`经济效益` / `指标`).
_WRAPPED_LEVEL2 = {
    "经济效益指标": ("经济效益\n指标",), "社会效益指标": ("社会效益\n指标",), "生态效益指标": ("生态效益\n指标",),
    "可持续影响指标": ("可持续影\n响指标", "可持续影响\n指标"), "服务对象满意度指标": ("服务对象\n满意度指标",),
    "经济成本指标": ("经济成本\n指标",), "社会成本指标": ("社会成本\n指标",), "生态环境成本指标": ("生态环境\n成本指标",),
}
_LEVEL2_BY_LEVEL1 = {
    "产出指标": ("数量指标", "质量指标", "时效指标", "成本指标"),
    "效益指标": ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"),
}


def _points(values: list[str]) -> str:
    """A group's weight as a level1 cell prints it: `50`, `12.5`."""
    total = sum((Decimal(v) for v in values), Decimal(0))
    return format(total.quantize(Decimal(1)) if total == total.to_integral() else total.normalize(), "f")


def _wrap_level2(level2: str, rng: random.Random, share: float = 1.0) -> str:
    choices = _WRAPPED_LEVEL2.get(level2)
    return rng.choice(choices) if choices and rng.random() < share else level2


@dataclass
class _Row:
    """One printed row of an indicator block: merge keys and texts of its 一级/二级 cells, then its other cells."""

    key1: str
    text1: str
    key2: str
    text2: str
    cells: list[tuple[int, str, str, str]]  # (col, text, align, role)


def _indicator_block(b: _Builder, rows: list[_Row], col1: int = 1, col2: int = 2) -> None:
    """Indicator rows with 一级/二级 cells merged over runs of equal keys (placeholder rows included)."""
    runs1 = {s: n for s, n in _groups([r.key1 for r in rows])}
    runs2 = {s: n for s, n in _groups([f"{r.key1}/{r.key2}" for r in rows])}
    for k, row in enumerate(rows):
        cells: list[tuple[Any, ...]] = []
        if k in runs1:
            cells.append((col1, row.text1, 1, runs1[k], "center", "level1"))
        if k in runs2:
            cells.append((col2, row.text2, 1, runs2[k], "center", "level2"))
        cells += [(col, text, 1, 1, align, role) for col, text, align, role in row.cells]
        b.row("placeholder" if row.cells and row.cells[0][3] == "placeholder" else "indicator", *cells)


def _funds_block(b: _Builder, title: str, title_span: int, headers: list[tuple[int, int, str]],
                 rows: list[tuple[str, list[tuple[int, int, str]]]], label: tuple[int, int],
                 note: tuple[int, int, str] | None = None, header_label: str = "") -> None:
    """A funds block: the section cell down the left, a header row, then one row per fund row."""
    b.row("funds_header", (0, title, title_span, 1 + len(rows), "center", "section"),
          (label[0], header_label, label[1], 1, "center", "funds_header" if header_label else ""),
          *[(c, h, s, 1, "center", "funds_header") for c, s, h in headers])
    for k, (row_label, values) in enumerate(rows):
        cells: list[tuple[Any, ...]] = [(label[0], row_label, label[1], 1, "center", "fund_label")]
        cells += [(c, v, s, 1, "center", "fund_value") for c, s, v in values]
        if note is not None and k == 0:
            cells.append((note[0], note[2], note[1], len(rows), "left", "fund_note"))
        b.row("fund", *cells)


def _v(value: str | None, blank: str) -> str:
    return blank if value is None else value


def _pct(rate: str | None, blank: str, percent: bool) -> str:
    return blank if rate is None else rate + ("%" if percent else "")


def _goal_rows(b: _Builder, title: str, headers: tuple[str, str], expected: str, actual: str,
               spans: tuple[tuple[int, int], tuple[int, int]]) -> None:
    (c1, s1), (c2, s2) = spans
    b.row("goals_header", (0, title, 1, 2, "center", "section"), (c1, headers[0], s1, 1, "center", "goals_header"),
          (c2, headers[1], s2, 1, "center", "goals_header"))
    b.row("goals", (c1, expected, s1, 1, "left", "goal"), (c2, actual, s2, 1, "left", "goal"))


def _anhui(form: FormSpec, printing: Printing, rng: random.Random) -> FormLayout:
    """安徽: (A)/(B) headers, `年度资金总额:`, 年度总体目标完成情况, 年度绩效指标完成情况, weight-only 一级 cells, wrapped
    二级 labels, `指标1:` names with placeholder rows, 总分 and a 注 footnote, no 评分等级."""
    rec = record_of(form)
    colon = form.printing.get("colon", ":")
    dash = rng.choice((printing.dash or "-", "/", "-"))
    b = _Builder()
    b.row("project", (0, "项目名称", 2, 1, "center", "label"), (2, rec["project_name"], 7, 1, "center", "project"))
    b.row("dept", (0, "主管部门", 2, 1, "center", "label"), (2, rec["department"], 2, 1, "center", "department"),
          (4, "实施单位", 1, 1, "center", "label"), (5, rec["implementing_unit"], 4, 1, "center", "unit"))
    labels = (f"年度资金总额{colon}", f"其中{colon}本年财政拨款", "上年结转资金", "其他资金")
    cols = ((2, 1), (3, 1), (4, 1), (5, 1), (6, 1), (7, 2))
    order = ("initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score")
    rows = []
    for key, row_label in zip(FUND_ROWS, labels, strict=True):
        values = rec["funds"][key]
        blank = "" if key == "total" else dash  # the total's blank rate stays blank (tianchang: `880 880 880 10 10`)
        rows.append((row_label, [(c, s, _v(values[col], blank if col == "execution_rate" else dash))
                                 for (c, s), col in zip(cols, order, strict=True)]))
    _funds_block(b, "项目资金\n(万元)", 1, [(c, s, h) for (c, s), h in zip(cols, (
        "年初预算数", "全年预算数(A)", "全年执行数(B)", "分值", "执行率(B/A)", "得分"), strict=True)], rows, (1, 1))
    _goal_rows(b, "年度总体目标完成情况", ("预期目标", "实际完成情况"), rec["goals"]["expected"], rec["goals"]["actual"],
               ((1, 3), (4, 5)))
    inds, specs = rec["indicators"], form.indicators
    weights1: dict[str, list[str]] = {}
    for ind in inds:
        weights1.setdefault(ind["level1"], []).append(ind["weight"])
    printed: list[_Row] = []
    placeholder_share = rng.choice((0.0, 0.6, 0.9))
    used2 = {(i["level1"], i["level2"]) for i in inds}
    wrap_share = rng.choice((0.6, 1.0))
    level2_text: dict[str, str] = {}

    def text1(level1: str) -> str:
        points = f"({_points(weights1[level1])}分)"
        return f"满意度指标\n{points}" if level1 == "满意度指标" else points

    def text2(level2: str) -> str:
        return level2_text.setdefault(level2, _wrap_level2(level2, rng, wrap_share))

    def placeholders(level1: str, level2: str, number: int, empty_group: bool) -> None:
        """`指标N:` alone (or `指标1:` with `/` cells under a level2 the form leaves empty), then `……`."""
        slash = "/" if empty_group else ""
        cells = [(3, f"指标{number}{colon}", "center", "placeholder"), (4, slash, "center", "placeholder"),
                 (5, slash, "center", "placeholder"), (6, "", "center", "placeholder"),
                 (7, "", "center", "placeholder"), (8, slash, "left", "placeholder")]
        printed.append(_Row(level1, text1(level1), level2, text2(level2), cells))
        if rng.random() < 0.8:
            printed.append(_Row(level1, text1(level1), level2, text2(level2),
                                [(3, "……", "center", "placeholder")] + [(c, "", "center", "placeholder")
                                                                          for c in range(4, 9)]))

    for k, (ind, spec) in enumerate(zip(inds, specs, strict=True)):
        printed.append(_Row(ind["level1"], text1(ind["level1"]), ind["level2"], text2(ind["level2"]), [
            (3, ind["name"], "center", "name"), (4, _v(spec.target, ""), "center", "target"),
            (5, _v(spec.actual, ""), "center", "actual"), (6, ind["weight"], "center", "weight"),
            (7, ind["score"], "center", "score"), (8, ind["deviation"] or "", "left", "deviation")]))
        following = inds[k + 1] if k + 1 < len(inds) else None
        group = (ind["level1"], ind["level2"])
        if (following is None or (following["level1"], following["level2"]) != group) and \
                rng.random() < placeholder_share:
            placeholders(*group, sum(1 for i in inds if (i["level1"], i["level2"]) == group) + 1, False)
        vocabulary = _LEVEL2_BY_LEVEL1.get(ind["level1"], ())
        if (following is None or following["level1"] != ind["level1"]) and ind["level2"] in vocabulary and \
                rng.random() < placeholder_share / 3:
            later = [l2 for l2 in vocabulary[vocabulary.index(ind["level2"]) + 1:] if (ind["level1"], l2) not in used2]
            if later:  # a level2 the form leaves empty: `指标1:/ / /` then `……`
                placeholders(ind["level1"], later[0], 1, True)
    b.row("ind_header", (0, "年度绩效指标完成情况", 1, len(printed) + 1, "center", "section"),
          *[(c, h, 1, 1, "center", "ind_header") for c, h in enumerate(
              ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"), start=1)])
    _indicator_block(b, printed)
    b.row("total", (0, "总分", 6, 1, "center", "label"), (6, rec["total_weight"], 1, 1, "center", "total"),
          (7, rec["total_score"], 1, 1, "center", "total"), (8, ""))
    b.row("note", (0, content.ANHUI_FOOTNOTE, 9, 1, "left", "note"))
    skip = ["grade", "reviewed_score", "evaluation", "indicators[].nature", "indicators[].unit", "indicators[].method"]
    return FormLayout("anhui", "项目支出绩效自评表", _year_line(rec["year"], printing),
                      [34, 50, 58, 96, 64, 56, 40, 40, 82], b.cells, b.kinds, rec, family="anhui", skip_null=skip)


def _split_header(b: _Builder, n: int, title: str, headers: tuple[str, ...]) -> None:
    """The two-row header of a block whose 年度指标值 is split into 指标性质 | 指标值 | 度量单位 (11 columns)."""
    one, two, three, target, actual, weight, score, deviation = headers
    b.row("ind_header", (0, title, 1, n + 2, "center", "section"),
          (1, one, 1, 2, "center", "ind_header"), (2, two, 1, 2, "center", "ind_header"),
          (3, three, 1, 2, "center", "ind_header"), (4, target, 3, 1, "center", "ind_header"),
          (7, actual, 1, 2, "center", "ind_header"), (8, weight, 1, 2, "center", "ind_header"),
          (9, score, 1, 2, "center", "ind_header"), (10, deviation, 1, 2, "center", "ind_header"))
    b.row("ind_subheader", (4, "指标性质", 1, 1, "center", "ind_header"), (5, "指标值", 1, 1, "center", "ind_header"),
          (6, "度量单位", 1, 1, "center", "ind_header"))


def _split_rows(form: FormSpec, rec: dict[str, Any], text2: Any) -> list[_Row]:
    return [_Row(ind["level1"], ind["level1"], ind["level2"], text2(ind["level2"]), [
        (3, ind["name"], "center", "name"), (4, spec.parts[0], "center", "nature"),
        (5, spec.parts[1], "center", "value"), (6, spec.parts[2], "center", "unit"),
        (7, ind["actual"] or "", "center", "actual"), (8, ind["weight"], "center", "weight"),
        (9, ind["score"], "center", "score"), (10, ind["deviation"] or "", "left", "deviation")])
        for ind, spec in zip(rec["indicators"], form.indicators, strict=True)]


def _yunnan(form: FormSpec, printing: Printing, rng: random.Random) -> FormLayout:
    """云南: split 指标性质 | 指标值 | 度量单位, ≧ ═ ﹦, labels wrapped in their cells, 其他需要说明事项, the grade on the
    总分 line, money in 万元 or 元."""
    yuan = rng.random() < 0.4
    rec = record_of(form, yuan=yuan, split=True)
    percent = rng.random() < 0.6
    b = _Builder()
    b.row("project", (0, "项目名称", 2, 1, "center", "label"), (2, rec["project_name"], 9, 1, "center", "project"))
    b.row("dept", (0, "主管部门", 2, 1, "center", "label"), (2, rec["department"], 4, 1, "center", "department"),
          (6, "实施单位", 2, 1, "center", "label"), (8, rec["implementing_unit"], 3, 1, "center", "unit"))
    cols = ((3, 1), (4, 2), (6, 2), (8, 1), (9, 1), (10, 1))
    order = ("initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score")
    labels = ("年度资金总额", "其中:当年财政\n拨款", "上年结转\n资金", "其他资金")
    rows = []
    for key, row_label in zip(FUND_ROWS, labels, strict=True):
        values = rec["funds"][key]
        rows.append((row_label, [(c, s, _pct(values[col], printing.dash, percent) if col == "execution_rate"
                                  else _v(values[col], printing.dash)) for (c, s), col in zip(cols, order, strict=True)]))
    unit = "元" if yuan else "万元"
    _funds_block(b, f"项目资金\n({unit})", 1, [(c, s, h) for (c, s), h in zip(cols, (
        "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"), strict=True)], rows, (1, 2))
    _goal_rows(b, "年度\n总体\n目标", ("预期目标", "实际完成情况"), rec["goals"]["expected"], rec["goals"]["actual"],
               ((1, 5), (6, 5)))
    wrap_share = rng.choice((0.0, 0.7, 1.0))
    etc = rng.random() < 0.3  # the template's `服务对象满意度指标等`
    texts: dict[str, str] = {}

    def text2(level2: str) -> str:
        if level2 == "服务对象满意度指标" and etc:
            return "服务对象满意度指标等"
        return texts.setdefault(level2, _wrap_level2(level2, rng, wrap_share))

    printed = _split_rows(form, rec, text2)
    _split_header(b, len(printed), "绩效指标", ("一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                                            "偏差原因分析及改进措施"))
    _indicator_block(b, printed)
    b.row("other_notes", (0, "其他需要说明事项", 3, 1, "center", "label"),
          (3, rng.choice(content.YUNNAN_OTHER_NOTES), 8, 1, "left", "other_notes"))
    b.row("total", (0, "总分", 8, 1, "center", "label"), (8, rec["total_weight"], 1, 1, "center", "total"),
          (9, rec["total_score"], 1, 1, "center", "total"), (10, rec["grade"], 1, 1, "center", "grade"))
    above = [f"部门:{rec['implementing_unit']}"] if rng.random() < 0.5 else []
    return FormLayout("yunnan", f"{rec['year']}年度项目支出绩效自评表", "",
                      [28, 40, 48, 76, 30, 42, 38, 54, 40, 40, 84], b.cells, b.kinds, rec, above=above,
                      family="yunnan", skip_null=list(_SPLIT_SKIP))


def _sichuan(form: FormSpec, printing: Printing, rng: random.Random) -> FormLayout:
    """四川 部门预算项目支出绩效自评表: code-name, 项目基本情况, 年初预算 | 调整后预算数 | 预算执行数 | 预算执行率 | 权重 |
    得分 | 原因 with 总额 / 其中:财政资金 / 财政专户管理资金 / 单位资金 / 其他资金, split targets, 合计 (the total
    score), 评价结论 / 存在问题 / 改进措施, 项目负责人 / 财务负责人, no grade."""
    rec = record_of(form, split=True)
    b = _Builder()
    b.row("project", (0, "项目名称", 2, 1, "center", "label"), (2, rec["project_name"], 9, 1, "center", "project"))
    stamp = rng.choice(("实施单位 (盖章)", "实施单位(盖章)", "实施单位（盖章）"))
    b.row("dept", (0, "主管部门", 2, 1, "center", "label"), (2, rec["department"], 4, 1, "center", "department"),
          (6, stamp, 2, 1, "center", "label"), (8, rec["implementing_unit"], 3, 1, "center", "unit"))
    b.row("goals_title", (0, "项目基本情况", 1, 4, "center", "section"),
          (1, "1.项目年度目标完成情况", 10, 1, "center", "goals_header"))
    b.row("goals_header", (1, "项目年度目标", 5, 1, "center", "goals_header"),
          (6, "年度目标完成情况", 5, 1, "center", "goals_header"))
    b.row("goals", (1, rec["goals"]["expected"], 5, 1, "left", "goal"), (6, rec["goals"]["actual"], 5, 1, "left", "goal"))
    b.row("overview", (1, "2.项目实施内容及过程概述", 3, 1, "center", "label"),
          (4, rng.choice(content.SICHUAN_OVERVIEWS), 7, 1, "left", "overview"))
    cols = ((3, 1), (4, 1), (5, 1), (6, 1), (7, 1), (8, 1))
    order = ("initial_budget", "annual_budget", "executed", "execution_rate", "weight", "score")
    funds = rec["funds"]
    rows = []
    for label, values in [("总额", funds["total"]), ("其中:财政资金", funds["current_year"]),
                          *[(e["label"], e) for e in funds["extra"]], ("其他资金", funds["other"])]:
        rows.append((label, [(c, s, _pct(values[col], "", True) if col == "execution_rate" else
                              _v(values[col], "/" if col in ("weight", "score") and label != "总额" else ""))
                             for (c, s), col in zip(cols, order, strict=True)]))
    note = content.SICHUAN_REASON_NOTE if rng.random() < 0.7 else rng.choice(content.SICHUAN_REASONS)
    _funds_block(b, "预算执行情况(10分)", 1, [(c, s, h) for (c, s), h in zip(cols, (
        "年初预算", "调整后预算数", "预算执行数", "预算执行率", "权重", "得分"), strict=True)] + [(9, 2, "原因")], rows, (1, 2),
        note=(9, 2, note), header_label="年度预算数(万元)")
    printed = _split_rows(form, rec, lambda level2: level2)
    weights = [i["weight"] for i in rec["indicators"]]
    b.row("ind_header", (0, f"绩效指标({_points(weights)}分)", 1, len(printed) + 1, "center", "section"),
          *[(c, h, 1, 1, "center", "ind_header") for c, h in enumerate(
              ("一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "完成值", "权重", "得分", "未完成原因分析"),
              start=1)])
    _indicator_block(b, printed)
    b.row("total", (0, "合计", 9, 1, "center", "label"), (9, rec["total_score"], 1, 1, "center", "total"), (10, ""))
    evaluation = rec["evaluation"]
    for key, label in (("conclusion", "评价结论"), ("problems", "存在问题"), ("measures", "改进措施")):
        b.row("evaluation", (0, label, 2, 1, "center", "label"), (2, evaluation[key], 9, 1, "left", "evaluation"))
    finance = rng.choice(content.PERSONS)
    b.row("signature", (0, f"项目负责人:{form.leader}", 5, 1, "left", "signature"),
          (5, f"财务负责人:{finance}", 6, 1, "left", "signature"))
    above = [f"报表编号:{form.project_code[:6] if form.project_code else '510000'}_{rng.randint(1, 99):04d}zp"] \
        if rng.random() < 0.5 else []
    skip = ["funds.carryover", "total_weight", "grade", "reviewed_score", "indicators[].method"]
    return FormLayout("sichuan", f"部门预算项目支出绩效自评表({rec['year']}年度)", "",
                      [26, 34, 40, 62, 46, 44, 44, 50, 44, 44, 86], b.cells, b.kinds, rec, above=above,
                      family="sichuan", skip_null=skip)


def _beijing(form: FormSpec, printing: Printing, rng: random.Random) -> FormLayout:
    """北京 2016: 主管部门及代码, `实施单位:`, 年初预算数(A) | 全年执行数(B) | 分值(10分) | 执行率(B/A) | 得分 |
    得分计算方法, 分值 before the 年度指标值(A), 得分计算方法 per indicator, 总分, 评分等级 on some forms."""
    rec = record_of(form)
    percent = rng.random() < 0.7
    b = _Builder()
    b.row("project", (0, "项目名称", 2, 1, "center", "label"), (2, rec["project_name"], 8, 1, "center", "project"))
    b.row("dept", (0, "主管部门及代码", 2, 1, "center", "label"), (2, rec["department"], 3, 1, "center", "department"),
          (5, "实施单位:", 1, 1, "center", "label"), (6, rec["implementing_unit"], 4, 1, "center", "unit"))
    cols = ((3, 1), (4, 1), (5, 1), (6, 1), (7, 1))
    order = ("initial_budget", "executed", "weight", "execution_rate", "score")
    rows = []
    for key, label in (("total", "年度资金总额:"), ("current_year", "其中:本年一般公共预算拨款"), ("other", "其他资金")):
        values = rec["funds"][key]
        rows.append((label, [(c, s, _pct(values[col], "", percent) if col == "execution_rate" else _v(values[col], ""))
                             for (c, s), col in zip(cols, order, strict=True)]))
    _funds_block(b, "项目资金\n(万元)", 1, [(c, s, h) for (c, s), h in zip(cols, (
        "年初预算数(A)", "全年执行数(B)", "分值(10分)", "执行率(B/A)", "得分"), strict=True)] + [(8, 2, "得分计算方法")],
        rows, (1, 2), note=(8, 2, content.BEIJING_FUNDS_METHOD))
    if rng.random() < 0.5:
        _goal_rows(b, "年度总体目标", ("年初设定目标", "全年实际完成情况"), rec["goals"]["expected"],
                   rec["goals"]["actual"], ((1, 4), (5, 5)))
    else:  # the two texts side by side with no header (the wenku preview)
        b.row("goals", (0, "年度总体目标", 1, 1, "center", "section"), (1, rec["goals"]["expected"], 4, 1, "left", "goal"),
              (5, rec["goals"]["actual"], 5, 1, "left", "goal"))
    weighted = rng.random() < 0.5
    weights1: dict[str, list[str]] = {}
    for ind in rec["indicators"]:
        weights1.setdefault(ind["level1"], []).append(ind["weight"])

    def text1(level1: str) -> str:
        return f"{level1}({_points(weights1[level1])}分)" if weighted else level1

    printed = [_Row(ind["level1"], text1(ind["level1"]), ind["level2"], ind["level2"], [
        (3, ind["name"], "center", "name"), (4, ind["weight"], "center", "weight"),
        (5, _v(ind["target"], ""), "center", "target"), (6, _v(ind["actual"], ""), "center", "actual"),
        (7, ind["method"] or "", "left", "method"), (8, ind["score"], "center", "score"),
        (9, ind["deviation"] or "", "left", "deviation")]) for ind in rec["indicators"]]
    b.row("ind_header", (0, "绩效指标", 1, len(printed) + 1, "center", "section"),
          *[(c, h, 1, 1, "center", "ind_header") for c, h in enumerate(
              ("一级指标", "二级指标", "三级指标", "分值", "年度指标值(A)", "全年实际值(B)", "得分计算方法", "得分", "未完成原因分析"),
              start=1)])
    _indicator_block(b, printed)
    b.row("total", (0, "总分", 4, 1, "center", "label"), (4, rec["total_weight"], 1, 1, "center", "total"),
          (5, "", 3), (8, rec["total_score"], 1, 1, "center", "total"), (9, ""))
    skip = ["funds.carryover", "funds.total.annual_budget", "funds.current_year.annual_budget",
            "funds.other.annual_budget", "reviewed_score", "evaluation", "indicators[].nature", "indicators[].unit"]
    if form.printing.get("grade_row"):
        b.row("grade", (0, "评分等级", 4, 1, "center", "label"), (4, rec["grade"], 6, 1, "center", "grade"))
    else:
        skip.append("grade")
    return FormLayout("beijing", "项目支出绩效自评表", _year_line(rec["year"], printing),
                      [30, 46, 50, 70, 32, 56, 52, 78, 32, 74], b.cells, b.kinds, rec, family="beijing", skip_null=skip)


def _ningxia(form: FormSpec, printing: Printing, rng: random.Random) -> FormLayout:
    """宁夏: 项目名称 / 主管部门 / 实施单位 / 自评得分 / 财政审核评分, 年初预算数 | 调整预算数(A) | 全年执行数(B) |
    执行率(B/A) (no 分值 / 得分), 年初设定目标 / 年度总体目标完成情况, 项目决策 / 项目管理 / 项目产出 / 项目效益 with
    their weights, 分值 before 指标值(A), no 总分 row and no grade."""
    rec = record_of(form)
    percent = rng.random() < 0.7
    b = _Builder()
    for kind, label, key, role in (("project", "项目名称", "project_name", "project"),
                                   ("dept", "主管部门", "department", "department"),
                                   ("unit", "实施单位", "implementing_unit", "unit")):
        b.row(kind, (0, label, 2, 1, "center", "label"), (2, rec[key], 7, 1, "center", role))
    reviewed = rec["reviewed_score"] or ""
    if rng.random() < 0.5:
        b.row("self_score", (0, "自评得分", 2, 1, "center", "label"), (2, rec["total_score"], 2, 1, "center", "total"),
              (4, "财政审核评分", 2, 1, "center", "label"), (6, reviewed, 3, 1, "center", "reviewed"))
    else:
        b.row("self_score", (0, "自评得分", 2, 1, "center", "label"), (2, rec["total_score"], 7, 1, "center", "total"))
        b.row("reviewed", (0, "财政审核评分", 2, 1, "center", "label"), (2, reviewed, 7, 1, "center", "reviewed"))
    cols = ((3, 2), (5, 1), (6, 1), (7, 2))
    order = ("initial_budget", "annual_budget", "executed", "execution_rate")
    labels = dict(zip(FUND_ROWS, ("年度资金总额", "其中：财政拨款", "上年结转资金", "其他资金"), strict=True))
    rows = []
    for key in form.fund_rows:
        values = rec["funds"][key]
        rows.append((labels[key], [(c, s, _pct(values[col], printing.dash, percent) if col == "execution_rate"
                                    else _v(values[col], printing.dash)) for (c, s), col in zip(cols, order, strict=True)]))
    _funds_block(b, "项目资金\n(万元)", 1, [(c, s, h) for (c, s), h in zip(cols, (
        "年初预算数", "调整预算数(A)", "全年执行数(B)", "执行率(B/A)"), strict=True)], rows, (1, 2))
    _goal_rows(b, "年度总体目标", ("年初设定目标", "年度总体目标完成情况"), rec["goals"]["expected"], rec["goals"]["actual"],
               ((1, 4), (5, 4)))
    groups: dict[str, list[str]] = {}
    level2s: dict[str, list[str]] = {}
    for ind, spec in zip(rec["indicators"], form.indicators, strict=True):
        groups.setdefault(spec.group or ind["level1"], []).append(ind["weight"])
        level2s.setdefault(ind["level2"], []).append(ind["weight"])
    weighted2 = rng.random() < 0.5

    def text2(level2: str, group: str) -> str:
        return f"{level2}({_points(level2s[level2])}分)" if weighted2 and group == "项目产出" else level2

    printed = [_Row(spec.group or ind["level1"], f"{spec.group or ind['level1']}({_points(groups[spec.group or ind['level1']])}分)",
                    ind["level2"], text2(ind["level2"], spec.group or ""), [
        (3, ind["name"], "center", "name"), (4, ind["weight"], "center", "weight"),
        (5, _v(ind["target"], ""), "center", "target"), (6, _v(ind["actual"], ""), "center", "actual"),
        (7, ind["score"], "center", "score"), (8, ind["deviation"] or "", "left", "deviation")])
        for ind, spec in zip(rec["indicators"], form.indicators, strict=True)]
    b.row("ind_header", (0, "绩效指标", 1, len(printed) + 1, "center", "section"),
          *[(c, h, 1, 1, "center", "ind_header") for c, h in enumerate(
              ("一级指标", "二级指标", "三级指标", "分值", "指标值(A)", "全年实际值(B)", "得分", "未完成原因分析及改进措施"),
              start=1)])
    _indicator_block(b, printed)
    skip = ["total_weight", "grade", "evaluation", "indicators[].nature", "indicators[].unit", "indicators[].method"]
    skip += [f"funds.{key}.{col}" for key in form.fund_rows for col in ("weight", "score")]
    skip += [f"funds.{key}" for key in FUND_ROWS if key not in form.fund_rows]
    year_line = rng.choice((f"({rec['year']}年)", _year_line(rec["year"], printing)))
    return FormLayout("ningxia", rng.choice(content.NINGXIA_TITLES), year_line,
                      [30, 50, 54, 90, 36, 66, 66, 36, 92], b.cells, b.kinds, rec, family="ningxia", skip_null=skip)


def _department(form: FormSpec, printing: Printing, rng: random.Random) -> FormLayout:
    """部门整体支出绩效自评表 (department-wide): a form the reader must refuse (UNSUPPORTED_TEMPLATE); no record."""
    year = form.year
    total = Decimal(rng.randint(800, 90000)) / 100
    basic = round(total * Decimal(rng.randint(40, 70)) / 100, 2)
    fund = round(total * Decimal(rng.randint(0, 10)) / 100, 2)
    nontax = round(total * Decimal(rng.randint(0, 8)) / 100, 2)
    general = total - fund - nontax
    executed = round(total * Decimal(rng.randint(80, 100)) / 100, 2)
    rate = (executed / total * 100).quantize(Decimal("0.01"))
    b = _Builder()
    b.row("project", (0, "预算部门、单位名称", 2, 1, "center", "label"), (2, form.department, 6, 1, "center", "department"))
    b.row("funds_header", (0, "年度预算申请\n(万元)", 2, 5, "center", "section"),
          *[(c, h, 1, 1, "center", "funds_header") for c, h in enumerate(
              ("年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "自评得分"), start=2)])
    b.row("fund", *[(c, v, 1, 1, "center", "fund_value") for c, v in enumerate(
        (f"{total:.2f}", f"{total:.2f}", f"{executed:.2f}", "10", f"{rate}%", f"{rate / 10:.2f}"), start=2)])
    b.row("fund", (2, "按收入性质分", 3, 1, "center", "label"), (5, "按支出性质分", 3, 1, "center", "label"))
    b.row("fund", (2, f"一般公共预算：{general:.2f}", 3, 1, "left", "fund_value"),
          (5, f"基本支出：{basic:.2f}", 3, 1, "left", "fund_value"))
    b.row("fund", (2, f"政府性基金拨款：{fund:.2f}\n纳入专户管理的非税收入拨款：{nontax:.2f}", 3, 1, "left", "fund_value"),
          (5, f"项目支出：{total - basic:.2f}", 3, 1, "left", "fund_value"))
    _goal_rows(b, "年度总体目标", ("预期目标", "实际完成情况"), form.goals_expected, form.goals_actual, ((1, 3), (4, 4)))
    rows = []
    for level1, level2, names in content.DEPARTMENT_LEVELS:
        for name in names:
            rows.append((level1, level2, name))
    weights = _split_weights(rng, len(rows))
    printed = []
    totals1: dict[str, int] = {}
    for (level1, _, _), w in zip(rows, weights, strict=True):
        totals1[level1] = totals1.get(level1, 0) + w
    score_total = Decimal(0)
    for (level1, level2, name), w in zip(rows, weights, strict=True):
        score = Decimal(w) - (Decimal(rng.choice((0, 0, 0, 1))) if w > 1 else 0)
        score_total += score
        printed.append(_Row(level1, f"{level1}({totals1[level1]}分)", level2, level2, [
            (3, f"{name}({w}分)", "center", "name"), (5, str(w), "center", "weight"),
            (6, str(score), "center", "score"), (7, "", "left", "note")]))
    b.row("ind_header", (0, "年度绩效指标", 1, len(printed) + 1, "center", "section"),
          (1, "一级指标", 1, 1, "center", "ind_header"), (2, "二级指标", 1, 1, "center", "ind_header"),
          (3, "三级指标", 2, 1, "center", "ind_header"), (5, "分值", 1, 1, "center", "ind_header"),
          (6, "得分", 1, 1, "center", "ind_header"), (7, "备注", 1, 1, "center", "ind_header"))
    _indicator_block(b, printed)
    for cell in b.cells:
        if cell.role == "name":
            cell.colspan = 2  # the 三级指标 cell spans two columns here
    b.row("total", (0, "总分", 5, 1, "center", "label"), (5, "100", 1, 1, "center", "total"),
          (6, str(score_total), 1, 1, "center", "total"), (7, ""))
    return FormLayout("department", "部门整体支出绩效自评表", _year_line(year, printing),
                      [40, 60, 70, 70, 70, 50, 50, 110], b.cells, b.kinds, {}, family="department")


def _split_weights(rng: random.Random, n: int) -> list[int]:
    """n integer weights summing to 100 (a department sheet's 三级指标)."""
    cuts = sorted(rng.sample(range(1, 100 - n + 1), n - 1))
    return [b - a + 1 for a, b in zip([0, *cuts], [*cuts, 100 - n], strict=True)]


_FAMILY_BUILDERS = {"anhui": _anhui, "yunnan": _yunnan, "sichuan": _sichuan, "beijing": _beijing, "ningxia": _ningxia,
                    "department": _department}
