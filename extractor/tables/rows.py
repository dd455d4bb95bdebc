"""From a form's grid to labelled raw rows: which cell holds which printed value, before any mapping."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import lru_cache

from pydantic import BaseModel, Field

from extractor.domain.notation import parse_notation
from extractor.domain.repair import LabelMatch, MatchStatus, label_key, match_label
from extractor.domain.text import is_blank, norm_key
from extractor.domain.vocabulary import (
    FORM_FIELDS,
    FUND_COLUMNS,
    FUND_ROWS,
    GOALS_COLUMNS,
    INDICATOR_COLUMNS,
    LEVEL1,
    LEVEL2,
    SECTIONS,
    VocabKind,
    grade_of,
    key_for,
)
from extractor.layout import Cell, Grid
from extractor.tables.align import INF, Slot, align

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
# A cell that is only a year line: "(2024 年度)", "2024年度", "（2022年）".
_YEAR_LINE = re.compile(r"^[(（\[]?((?:19|20)\d{2})年度?[)）\]]?$")
# "项目名称：社区服务" — a label and its value printed in one cell.
_LABELLED = re.compile(r"^\s*([^:：\s][^:：]{1,9}?)\s*[:：]\s*(\S.*)$", re.S)
_NUMBER = re.compile(r"[-+]?\d+(?:,\d{3})*(?:\.\d+)?")
_DESCRIPTORS = {"定性", "定量", "正向", "反向", "正向指标", "反向指标", "定性指标", "定量指标"}


class RawValue(BaseModel):
    """A printed value and the cell(s) it was read from."""

    text: str
    cells: list[Cell]
    label: LabelMatch | None = None
    how: str = Field(default="printed", description="printed | spanned | positional")


class HeaderColumn(BaseModel):
    """One header cell and the column key it was mapped to."""

    printed: str
    key: str | None
    col: int
    status: str
    method: str | None = None
    cell_id: str


class RawFundRow(BaseModel):
    """A row of the funds block: its label and a value per column key."""

    key: str | None
    label: RawValue
    values: dict[str, RawValue] = Field(default_factory=dict)


class RawIndicatorRow(BaseModel):
    """A row of the indicator table; `spans` names the labels taken from a merged cell above."""

    row: int
    values: dict[str, RawValue] = Field(default_factory=dict)


class RawForm(BaseModel):
    """Everything a mapper needs, still as printed, each value with its cells."""

    year: RawValue | None = None
    title: RawValue | None = None
    fields: dict[str, RawValue] = Field(default_factory=dict)
    unit: str | None = Field(default=None, description="unit of the funds block (万元, 元)")
    fund_header: list[HeaderColumn] = Field(default_factory=list)
    fund_rows: list[RawFundRow] = Field(default_factory=list)
    goals: dict[str, RawValue] = Field(default_factory=dict)
    indicator_header: list[HeaderColumn] = Field(default_factory=list)
    indicators: list[RawIndicatorRow] = Field(default_factory=list)
    total_weight: RawValue | None = None
    total_score: RawValue | None = None
    grade: RawValue | None = None
    unmapped: list[list[Cell]] = Field(default_factory=list)
    sections_seen: list[str] = Field(default_factory=list)


class CellKind(StrEnum):
    """What a cell's content looks like, for the row aligner."""

    NUMBER = "number"
    DASH = "dash"
    NOTATION = "notation"  # operator + number: =100.00(%)
    QUANTITY = "quantity"  # number + unit: 100.00(%), 50个
    LEVEL1 = "level1"
    LEVEL2 = "level2"
    LEVEL_BOTH = "level_both"  # 成本指标 is both
    LEVEL1_CUT = "level1_cut"  # a level1 label only by repair: may just as well be a short 三级指标 name
    LEVEL2_CUT = "level2_cut"
    LEVEL_AMBIGUOUS = "level_ambiguous"
    PLACEHOLDER = "placeholder"  # 无
    OPERATOR = "operator"  # ≥ alone: the 指标性质 column of a split target
    DESCRIPTOR = "descriptor"  # 定性, 定量, 正向, 反向
    SECTION = "section"
    TEXT = "text"


def number_of(text: str) -> Decimal | None:
    """The number a cell holds when the cell is only a number (optionally with 分 or %)."""
    key = norm_key(text)
    key = key.removesuffix("分").removesuffix("%")
    if not key or not _NUMBER.fullmatch(key):
        return None
    try:
        return Decimal(key.replace(",", ""))
    except InvalidOperation:
        return None


@lru_cache(maxsize=8192)
def _match(text: str, kind: VocabKind) -> LabelMatch:
    return match_label(text, kind)


def _is_label(text: str, kind: VocabKind) -> LabelMatch | None:
    """The match when a cell is a label of this kind (a repair needs 3+ characters to count here)."""
    if len(norm_key(text)) > 24:
        return None
    m = _match(text, kind)
    if not m.ok:
        return None
    if m.status is MatchStatus.REPAIRED and len(label_key(text)) < 2:
        return None
    return m


@lru_cache(maxsize=8192)
def classify(text: str) -> CellKind:
    """Classify a non-blank cell's content."""
    if is_blank(text):
        return CellKind.DASH
    key = norm_key(text)
    if key == "无":
        return CellKind.PLACEHOLDER
    if key in _DESCRIPTORS:
        return CellKind.DESCRIPTOR
    if len(key) <= 5 and not any(ch.isdigit() for ch in key):
        probe = parse_notation(key + "1")  # "≥" + "1" parses as an operator and a number, nothing more
        if probe.operator is not None and probe.value == 1 and probe.unit is None:
            return CellKind.OPERATOR
    if number_of(text) is not None:
        return CellKind.NUMBER
    notation = parse_notation(text)
    if notation.is_numeric:
        return CellKind.NOTATION if notation.operator else CellKind.QUANTITY
    m = _match(text, VocabKind.INDICATOR_LABEL)
    section = _is_label(text, VocabKind.SECTION)
    if section is not None and section.method != "edit_distance" and not (m.ok and not m.repaired):
        return CellKind.SECTION
    if m.ok and len(norm_key(text)) <= 16:
        assert m.canonical is not None
        if m.canonical in LEVEL1 and m.canonical in LEVEL2:
            return CellKind.LEVEL_BOTH
        if m.repaired:
            return CellKind.LEVEL1_CUT if m.canonical in LEVEL1 else CellKind.LEVEL2_CUT
        return CellKind.LEVEL1 if m.canonical in LEVEL1 else CellKind.LEVEL2
    if m.status is MatchStatus.AMBIGUOUS and len(norm_key(text)) <= 10:
        return CellKind.LEVEL_AMBIGUOUS
    return CellKind.TEXT


def _cost_table(table: dict[CellKind, float]) -> object:
    def cost(cell: Cell) -> float:
        return table.get(classify(cell.text), INF)

    return cost


_TEXTUAL = {CellKind.TEXT: 0.0, CellKind.QUANTITY: 1.0, CellKind.NOTATION: 2.0, CellKind.NUMBER: 3.0}
_LABELS_AS_VALUE = {
    CellKind.LEVEL_AMBIGUOUS: 4.0, CellKind.LEVEL1: 5.0, CellKind.LEVEL2: 5.0, CellKind.LEVEL_BOTH: 5.0,
    CellKind.LEVEL1_CUT: 5.0, CellKind.LEVEL2_CUT: 5.0,
}
_VALUE_LIKE = {
    CellKind.NOTATION: 0.0, CellKind.QUANTITY: 0.3, CellKind.NUMBER: 0.5, CellKind.TEXT: 0.6, CellKind.DASH: 0.5,
    CellKind.PLACEHOLDER: 0.2, CellKind.OPERATOR: 2.0, CellKind.DESCRIPTOR: 2.0, **_LABELS_AS_VALUE,
}
INDICATOR_COSTS: dict[str, dict[CellKind, float]] = {
    "block": {CellKind.SECTION: 0.0},
    "level1": {
        CellKind.LEVEL1: 0.0, CellKind.LEVEL_BOTH: 0.0, CellKind.LEVEL1_CUT: 0.2, CellKind.LEVEL_AMBIGUOUS: 1.5,
        CellKind.LEVEL2: 4.0, CellKind.LEVEL2_CUT: 4.0, CellKind.TEXT: 8.0,
    },
    "level2": {
        CellKind.LEVEL2: 0.0, CellKind.LEVEL_BOTH: 0.0, CellKind.LEVEL2_CUT: 0.2, CellKind.LEVEL_AMBIGUOUS: 1.5,
        CellKind.LEVEL1: 4.0, CellKind.LEVEL1_CUT: 4.0, CellKind.TEXT: 7.0,
    },
    "name": {
        CellKind.TEXT: 0.0, CellKind.PLACEHOLDER: 0.2, CellKind.DASH: 1.0, CellKind.QUANTITY: 2.0,
        # A cut label in the name column is as likely a short name (服务对象满意度) as a misplaced label.
        CellKind.LEVEL1_CUT: 1.0, CellKind.LEVEL2_CUT: 1.0, CellKind.LEVEL_AMBIGUOUS: 2.5,
        CellKind.LEVEL1: 3.0, CellKind.LEVEL2: 3.0, CellKind.LEVEL_BOTH: 3.0, CellKind.NOTATION: 3.0,
        CellKind.NUMBER: 4.0, CellKind.OPERATOR: 4.0, CellKind.DESCRIPTOR: 3.0,
    },
    "target": _VALUE_LIKE,
    "actual": {**_VALUE_LIKE, CellKind.TEXT: 0.5},
    "weight": {CellKind.NUMBER: 0.0, CellKind.DASH: 1.0},
    "score": {CellKind.NUMBER: 0.0, CellKind.DASH: 1.0},
    "deviation": {
        **_TEXTUAL, CellKind.TEXT: 0.3, CellKind.DASH: 0.3, CellKind.PLACEHOLDER: 0.3, CellKind.LEVEL_AMBIGUOUS: 3.0,
        CellKind.LEVEL1_CUT: 3.0, CellKind.LEVEL2_CUT: 3.0,
    },
    "target_kind": {CellKind.OPERATOR: 0.0, CellKind.DESCRIPTOR: 0.0, CellKind.TEXT: 1.0, CellKind.DASH: 0.5},
    "target_value": {CellKind.NUMBER: 0.0, CellKind.QUANTITY: 0.5, CellKind.NOTATION: 0.5, CellKind.TEXT: 2.0,
                     CellKind.PLACEHOLDER: 0.5},
    "target_unit": {CellKind.TEXT: 0.0, CellKind.DASH: 0.5},
}
# Every indicator row prints these: leaving one empty must be paid for, or a label would steal its cell.
INDICATOR_MISSING = {"name": 1.0, "target": 1.0, "actual": 1.0, "weight": 1.0, "score": 1.0}
_INDICATOR_ORDER = ["block", *INDICATOR_COLUMNS.keys()]
_DEFAULT_INDICATOR_KEYS = ["block", "level1", "level2", "name", "target", "actual", "weight", "score", "deviation"]
_FUND_ORDER = list(FUND_COLUMNS.keys())


def _value(cell: Cell, how: str = "printed", label: LabelMatch | None = None) -> RawValue:
    return RawValue(text=cell.text, cells=[cell], how=how, label=label)


def _nonblank(row: list[Cell]) -> list[Cell]:
    return [c for c in row if not c.blank]


def map_header(row: list[Cell], kind: VocabKind, columns: Mapping[str, str], order: list[str]) -> list[HeaderColumn]:
    """Map header cells to column keys; an ambiguous fragment takes the one free key its position allows."""
    found: list[HeaderColumn] = []
    pending: list[tuple[Cell, LabelMatch]] = []
    for cell in _nonblank(row):
        m = _match(cell.text, kind)
        if m.ok and m.canonical is not None:
            key = key_for(columns, m.canonical)
            if key is not None and all(h.key != key for h in found):
                found.append(HeaderColumn(printed=cell.text, key=key, col=cell.col, status=m.status.value,
                                          method=m.method, cell_id=cell.id))
                continue
        if _section_of(cell) is not None:
            found.append(HeaderColumn(printed=cell.text, key="block", col=cell.col, status="exact", cell_id=cell.id))
            continue
        if m.status is MatchStatus.AMBIGUOUS:
            pending.append((cell, m))
        else:
            found.append(HeaderColumn(printed=cell.text, key=None, col=cell.col, status=m.status.value, cell_id=cell.id))
    for cell, m in pending:
        rank = {k: i for i, k in enumerate(order)}
        left = [h for h in found if h.key in rank and h.col < cell.col]
        right = [h for h in found if h.key in rank and h.col > cell.col]
        lo = max((rank[h.key] for h in left if h.key), default=-1)
        hi = min((rank[h.key] for h in right if h.key), default=len(order))
        taken = {h.key for h in found}
        keys = [key_for(columns, c) for c in m.candidates]
        fits = [k for k in keys if k and k not in taken and lo < rank.get(k, -1) < hi]
        if len(fits) == 1:
            found.append(HeaderColumn(printed=cell.text, key=fits[0], col=cell.col, status=MatchStatus.REPAIRED.value,
                                      method="position", cell_id=cell.id))
        else:
            found.append(HeaderColumn(printed=cell.text, key=None, col=cell.col, status=m.status.value, cell_id=cell.id))
    return sorted(found, key=lambda h: h.col)


def _header_cols(header: list[HeaderColumn]) -> dict[str, int]:
    return {h.key: h.col for h in header if h.key}


def _count_keys(row: list[Cell], kind: VocabKind, keys: set[str], columns: Mapping[str, str]) -> int:
    count = 0
    for cell in _nonblank(row):
        m = _is_label(cell.text, kind)
        if m is not None and (key := key_for(columns, m.canonical or "")) is not None and key in keys:
            count += 1
    return count


def _section_of(cell: Cell) -> str | None:
    key = norm_key(cell.text)
    if "绩效自评表" in key and len(key) <= 40:
        return "title"
    m = _is_label(cell.text, VocabKind.SECTION)
    if m is None or m.canonical is None or m.method == "edit_distance":
        return None  # 时效指标 is one stroke from 绩效指标: section labels are read exactly or by prefix only
    return key_for(SECTIONS, m.canonical)  # type: ignore[arg-type]


def _sections_in(row: list[Cell]) -> dict[str, Cell]:
    found: dict[str, Cell] = {}
    for cell in _nonblank(row):
        section = _section_of(cell)
        if section and section not in found:
            found[section] = cell
    return found


class _Reader:
    """Walks a grid once, top to bottom, keeping the section it is in."""

    def __init__(self, grid: Grid) -> None:
        self.grid = grid
        self.form = RawForm()
        self.state = "head"
        self.fund_cols: dict[str, int] = {}
        self.goal_cols: dict[str, int] = {}
        self.ind_cols: dict[str, int] = {}

    def read(self) -> RawForm:
        for row in self.grid.rows:
            if not _nonblank(row):
                continue
            self._row(row)
        return self.form

    def _seen(self, section: str) -> None:
        if section not in self.form.sections_seen:
            self.form.sections_seen.append(section)

    # -- dispatch -------------------------------------------------------------------------------------------------
    def _row(self, row: list[Cell]) -> None:
        row = split_labelled(row)
        cells = _nonblank(row)
        sections = _sections_in(row)
        if "footer" in sections:
            self.state = "done"
            return
        if "title" in sections:
            self.form.title = _value(sections["title"])
            self._year_from(row)
            self._seen("title")
            return
        if self.state == "head" and len(cells) == 1 and _YEAR_LINE.match(norm_key(cells[0].text)):
            self._year_from(row)
            return
        if self.state == "indicators" and self._indicator_subheader(row):
            return
        if _count_keys(row, VocabKind.INDICATOR_HEADER, {"level1", "level2", "name", "target", "actual"},
                       INDICATOR_COLUMNS) >= 2:
            self.form.indicator_header = map_header(row, VocabKind.INDICATOR_HEADER, INDICATOR_COLUMNS,
                                                    _INDICATOR_ORDER)
            self.ind_cols = _header_cols(self.form.indicator_header)
            self.state = "indicators"
            self._seen("indicators")
            return
        if _count_keys(row, VocabKind.FUNDS_HEADER, {"initial_budget", "annual_budget", "executed", "execution_rate"},
                       FUND_COLUMNS) >= 2:
            self.form.fund_header = map_header(row, VocabKind.FUNDS_HEADER, FUND_COLUMNS, _FUND_ORDER)
            self.fund_cols = _header_cols(self.form.fund_header)
            self.form.unit = _unit_of(row)
            self.state = "funds"
            self._seen("funds")
            return
        if "total" in sections or "grade" in sections:
            self._totals(row, sections)
            return
        if self._goals_header(row):
            return
        if self._fund_row(row):
            return
        if self.state == "head" and self._fields(row):
            return
        if self.state == "goals" and self._goals_content(row, sections):
            return
        if self.state == "indicators" and self._indicator(row):
            return
        if self.state == "head" and self._unlabelled_name(row):
            return
        self.form.unmapped.append(cells)

    # -- header ---------------------------------------------------------------------------------------------------
    def _year_from(self, row: list[Cell]) -> bool:
        for cell in _nonblank(row):
            m = _YEAR.search(norm_key(cell.text))
            if m and self.form.year is None:
                self.form.year = RawValue(text=m.group(1), cells=[cell])
                return True
        return False

    def _fields(self, row: list[Cell]) -> bool:
        cells = _nonblank(row)
        key: str | None = None
        matched = False
        for cell in cells:
            m = _is_label(cell.text, VocabKind.FORM_FIELD)
            if m is not None and m.canonical is not None and (m.status is not MatchStatus.REPAIRED or len(label_key(cell.text)) >= 3):
                key = key_for(FORM_FIELDS, m.canonical)  # type: ignore[arg-type]
                matched = True
                continue
            if key is not None and key not in self.form.fields:
                self.form.fields[key] = _value(cell)
                key = None
        return matched

    def _unlabelled_name(self, row: list[Cell]) -> bool:
        # The first export line of a form sometimes drops the 项目名称 label: a lone value before 主管部门.
        cells = _nonblank(row)
        if (
            len(cells) == 1
            and "project_name" not in self.form.fields
            and "department" not in self.form.fields
            and classify(cells[0].text) is CellKind.TEXT
        ):
            self.form.fields["project_name"] = _value(cells[0], how="positional")
            return True
        return False

    # -- funds ----------------------------------------------------------------------------------------------------
    def _fund_row(self, row: list[Cell]) -> bool:
        label_cell = None
        match = None
        for cell in _nonblank(row):
            m = _is_label(cell.text, VocabKind.FUND_ROW)
            if m is not None:
                label_cell, match = cell, m
                break
        if label_cell is None or match is None or match.canonical is None:
            return False
        key = key_for(FUND_ROWS, match.canonical)
        cols = self.fund_cols or {k: label_cell.col + 1 + i for i, k in enumerate(_FUND_ORDER)}
        order = sorted((k for k in cols if k in FUND_COLUMNS), key=lambda k: cols[k])
        slots = [Slot(k, cols[k], _fund_cost) for k in order]
        after = [c for c in row if c.col > label_cell.col]
        mapping = align(after, slots)
        raw = RawFundRow(key=key, label=_value(label_cell, label=match),
                         values={k: _value(c) for k, c in mapping.items()})
        if key is not None and all(r.key != key for r in self.form.fund_rows):
            self.form.fund_rows.append(raw)
        self.state = "funds"
        self._seen("funds")
        return True

    # -- goals ----------------------------------------------------------------------------------------------------
    def _goals_header(self, row: list[Cell]) -> bool:
        cols: dict[str, int] = {}
        is_goals = False
        for cell in _nonblank(row):
            m = _is_label(cell.text, VocabKind.GOALS_HEADER)
            if m is not None and m.canonical is not None and m.status is not MatchStatus.REPAIRED:
                key = key_for(GOALS_COLUMNS, m.canonical)
                if key:
                    cols[key] = cell.col
                    is_goals = True
            elif _section_of(cell) == "goals":
                is_goals = True
        if not is_goals:
            return False
        self.goal_cols = cols or self.goal_cols
        self.state = "goals"
        self._seen("goals")
        texts = [c for c in _nonblank(row) if _section_of(c) is None and _is_label(c.text, VocabKind.GOALS_HEADER) is None]
        if texts and not cols:
            self._goals_content(row, {})
        return True

    def _goals_content(self, row: list[Cell], sections: dict[str, Cell]) -> bool:
        cells = [c for c in row if _section_of(c) is None]
        if not _nonblank(cells):
            return False
        expected_col = self.goal_cols.get("expected")
        actual_col = self.goal_cols.get("actual")
        slots = [Slot("expected", expected_col, _text_cost), Slot("actual", actual_col, _text_cost)]
        mapping = align(cells, slots)
        for key, cell in mapping.items():
            if key in self.form.goals:
                prior = self.form.goals[key]
                self.form.goals[key] = RawValue(text=prior.text + cell.text, cells=[*prior.cells, cell])
            else:
                self.form.goals[key] = _value(cell)
        return bool(mapping)

    # -- indicators -----------------------------------------------------------------------------------------------
    def _indicator_subheader(self, row: list[Cell]) -> bool:
        # 年度指标值 spanning 指标性质 | 指标值 | 度量单位 printed on the row below: merge into the column map.
        cells = _nonblank(row)
        sub = [h for h in map_header(row, VocabKind.INDICATOR_HEADER, INDICATOR_COLUMNS, _INDICATOR_ORDER)
               if h.key is not None]
        if not cells or len(sub) != len(cells) or not self.form.indicator_header:
            return False
        self.form.indicator_header = sorted(
            [h for h in self.form.indicator_header if not any(x.key == h.key for x in sub)] + sub, key=lambda h: h.col)
        if {"target_kind", "target_value", "target_unit"} & {h.key for h in sub}:
            self.form.indicator_header = [h for h in self.form.indicator_header if h.key != "target"]
        self.ind_cols = _header_cols(self.form.indicator_header)
        return True

    def _indicator_slots(self) -> list[Slot]:
        if self.ind_cols:
            keys = sorted(self.ind_cols, key=lambda k: self.ind_cols[k])
            if "block" not in keys:
                keys = ["block", *keys]
            cols: dict[str, float | None] = {k: self.ind_cols.get(k) for k in keys}
            if cols.get("block") is None:
                first = min(self.ind_cols.values())
                cols["block"] = first - 1
        else:
            keys = _DEFAULT_INDICATOR_KEYS
            cols = {k: None for k in keys}
        missing = dict(INDICATOR_MISSING)
        if "target" not in keys:
            missing.pop("target")  # split target columns: none of the three is required on its own
        return [Slot(k, cols[k], _cost_table(INDICATOR_COSTS[k]), missing.get(k, 0.0))  # type: ignore[arg-type]
                for k in keys if k in INDICATOR_COSTS]

    def _indicator(self, row: list[Cell]) -> bool:
        mapping = align(row, self._indicator_slots())
        mapping.pop("block", None)
        if not ({"weight", "score"} & mapping.keys()) and not ({"name", "target"} <= mapping.keys()):
            return False
        values = {k: _value(c) for k, c in mapping.items()}
        for key in ("level1", "level2"):
            if key in values:
                values[key].label = _match(values[key].text, VocabKind.INDICATOR_LABEL)
            else:
                spanned = self._spanned(row, key)
                if spanned is not None:
                    values[key] = RawValue(text=spanned.text, cells=[spanned], how="spanned",
                                           label=_match(spanned.text, VocabKind.INDICATOR_LABEL))
        self.form.indicators.append(RawIndicatorRow(row=row[0].row if row else -1, values=values))
        return True

    def _spanned(self, row: list[Cell], key: str) -> Cell | None:
        # A merged cell in a PDF grid covers the rows below it: that is printed placement, not inference.
        col = self.ind_cols.get(key)
        if col is None or not row:
            return None
        cell = self.grid.covering(row[0].row, col)
        if cell is not None and cell.row != row[0].row and cell.row_span > 1 and not cell.blank:
            return cell
        return None

    # -- totals ---------------------------------------------------------------------------------------------------
    def _totals(self, row: list[Cell], sections: dict[str, Cell]) -> None:
        cells = _nonblank(row)
        if "total" in sections:
            self._seen("total")
            start = sections["total"].col
            stop = sections["grade"].col if "grade" in sections and sections["grade"].col > start else 10**6
            numbers = [c for c in cells if start < c.col < stop and number_of(c.text) is not None]
            if len(numbers) >= 2:
                self.form.total_weight, self.form.total_score = _value(numbers[0]), _value(numbers[1])
            elif len(numbers) == 1:
                w, s = self.ind_cols.get("weight"), self.ind_cols.get("score")
                cell = numbers[0]
                if w is not None and s is not None and abs(cell.col - s) < abs(cell.col - w):
                    self.form.total_score = _value(cell)
                else:
                    self.form.total_weight = _value(cell)
        if "grade" in sections:
            self._seen("grade")
            after = [c for c in cells if c.col > sections["grade"].col]
            for cell in after:
                if grade_of(cell.text) is not None:
                    self.form.grade = _value(cell)
                    break
            else:
                if after:
                    self.form.grade = _value(after[0])
        self.state = "totals"


def split_labelled(row: list[Cell]) -> list[Cell]:
    """Cells holding "label：value" for a known label become two cells (same id, so provenance stays exact)."""
    out: list[Cell] = []
    for cell in row:
        m = _LABELLED.match(cell.text)
        if m is not None:
            head = m.group(1)
            if _is_label(head, VocabKind.FORM_FIELD) is not None or (
                _is_label(head, VocabKind.SECTION) is not None and _section_of(cell.model_copy(update={"text": head}))
            ):
                out.append(cell.model_copy(update={"text": head, "whole_text": cell.text}))
                out.append(cell.model_copy(update={"text": m.group(2), "whole_text": cell.text}))
                continue
        out.append(cell)
    return out


def _fund_cost(cell: Cell) -> float:
    kind = classify(cell.text)
    if kind in (CellKind.NUMBER, CellKind.DASH):
        return 0.0
    if kind in (CellKind.QUANTITY, CellKind.NOTATION):
        return 1.0
    return INF


def _text_cost(cell: Cell) -> float:
    return 0.0 if classify(cell.text) is CellKind.TEXT else 1.0


def _unit_of(row: list[Cell]) -> str | None:
    for cell in _nonblank(row):
        key = norm_key(cell.text)
        if "万元" in key:
            return "万元"
        if "(元)" in key or "（元）" in cell.text:
            return "元"
    return None


def read_rows(grid: Grid) -> RawForm:
    """Read one form's grid into labelled raw rows."""
    return _Reader(grid).read()
