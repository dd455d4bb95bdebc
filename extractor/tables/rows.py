"""From a form's grid to labelled raw rows: which cell holds which printed value, before any mapping.

The form's family (templates/) is picked first by its cues; its label tables and layout facts guide the read.
Grids whose lines are not table rows (a text stream) are cut into logical rows first (tables/stream.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from pydantic import BaseModel, Field

from extractor.domain.numbers import number_of
from extractor.domain.repair import LabelMatch, MatchStatus, label_key
from extractor.domain.text import is_blank, norm_key, simplified
from extractor.domain.vocabulary import (
    EVALUATION_FIELDS,
    EXTRA_FUND_ROWS,
    FORM_FIELDS,
    FUND_COLUMNS,
    FUND_HEADER_KEYS,
    FUND_ROWS,
    GOALS_COLUMNS,
    INDICATOR_COLUMNS,
    VocabKind,
    grade_of,
    key_for,
)
from extractor.errors import UnsupportedTemplateError
from extractor.layout import Cell, Grid
from extractor.tables.align import INF, Slot, align
from extractor.tables.cells import (
    INDICATOR_COSTS,
    INDICATOR_MISSING,
    WEIGHT_NOTE,
    CellKind,
    FormLabels,
)
from extractor.tables.placement import amounts, place_fund_values, resolve_by_components
from extractor.tables.stream import regroup
from extractor.templates import TemplateChoice, TemplateDefinition, TemplateRegistry, default_registry

__all__ = ["HeaderColumn", "RawForm", "RawFundRow", "RawIndicatorRow", "RawValue", "number_of", "read_rows"]

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
# A cell that is only a year line: "(2024 年度)", "2024年度", "（2022年）", "2019年度)".
_YEAR_LINE = re.compile(r"^[(（\[]?((?:19|20)\d{2})年度?[)）\]]?$")
# "项目名称：社区服务" — a label and its value printed in one cell.
_LABELLED = re.compile(r"^\s*([^:：\s][^:：]{1,11}?)\s*[:：]\s*(\S.*)$", re.S)
_OTHER_FIELD = re.compile(r"^[^:：]{2,12}[:：]")
# A project code printed before the name: 51092324T000010263357-2023年全县安可替代补助资金项目.
_PROJECT_CODE = re.compile(r"^([0-9A-Z]{10,40})\s*[-－—_]")
_INDICATOR_ORDER = ["block", *INDICATOR_COLUMNS.keys()]
_DEFAULT_INDICATOR_KEYS = ["block", "level1", "level2", "name", "target", "actual", "weight", "score", "deviation"]
_FUND_ORDER = list(FUND_HEADER_KEYS.keys())
_DENSE = frozenset({"cell_per_line", "cell_per_line_bar"})
_SPARSE = frozenset({"pipe", "spaces", "fixed_width", "glued"})


class RawValue(BaseModel):
    """A printed value and the cell(s) it was read from."""

    text: str
    cells: list[Cell]
    label: LabelMatch | None = None
    how: str = Field(default="printed", description="printed | spanned | positional | placed | weight_note")
    note: str | None = None


class HeaderColumn(BaseModel):
    """One header cell and the column key it was mapped to."""

    printed: str
    key: str | None
    col: int
    status: str
    method: str | None = None
    cell_id: str


class RawFundRow(BaseModel):
    """A row of the funds block: its label and a value per column key (`extra` rows keep their label)."""

    key: str | None
    label: RawValue
    values: dict[str, RawValue] = Field(default_factory=dict)
    ambiguous: dict[str, list[str]] = Field(default_factory=dict, description="column → the printed candidates "
                                            "when the values could be placed in more than one way")


class RawIndicatorRow(BaseModel):
    """A row of the indicator table."""

    row: int
    values: dict[str, RawValue] = Field(default_factory=dict)


class RawForm(BaseModel):
    """Everything a mapper needs, still as printed, each value with its cells."""

    template: TemplateChoice | None = None
    family: TemplateDefinition | None = None
    year: RawValue | None = None
    title: RawValue | None = None
    fields: dict[str, RawValue] = Field(default_factory=dict)
    unit: str | None = Field(default=None, description="unit of the funds block (万元, 元)")
    unit_cell: RawValue | None = None
    fund_header: list[HeaderColumn] = Field(default_factory=list)
    fund_rows: list[RawFundRow] = Field(default_factory=list)
    goals: dict[str, RawValue] = Field(default_factory=dict)
    indicator_header: list[HeaderColumn] = Field(default_factory=list)
    indicators: list[RawIndicatorRow] = Field(default_factory=list)
    placeholders: int = Field(default=0, description="template rows left empty (指标2:, ……), dropped")
    total_weight: RawValue | None = None
    total_score: RawValue | None = None
    reviewed_score: RawValue | None = None
    grade: RawValue | None = None
    evaluation: dict[str, RawValue] = Field(default_factory=dict)
    unmapped: list[list[Cell]] = Field(default_factory=list)
    sections_seen: list[str] = Field(default_factory=list)
    text_layout: str | None = None
    notes: list[str] = Field(default_factory=list, description="what the ingest said of this form's text")
    funds_headerless: bool = Field(default=False, description="fund rows read with no funds header above them")
    conflicts: dict[str, tuple[str, str]] = Field(default_factory=dict, description="record path → two different "
                                                  "printings of it (a row printed twice)")


def _value(cell: Cell, how: str = "printed", label: LabelMatch | None = None) -> RawValue:
    return RawValue(text=cell.text, cells=[cell], how=how, label=label)


def _nonblank(row: list[Cell]) -> list[Cell]:
    return [c for c in row if not c.blank]


def _label_like(text: str) -> bool:
    key = norm_key(text)
    return 2 <= len(key) <= 12 and not any(ch.isdigit() for ch in key)


def _header_cols(header: list[HeaderColumn]) -> dict[str, int]:
    return {h.key: h.col for h in header if h.key}


def _numberish(text: str) -> bool:
    """Mostly digits and a separator or two with a stray character (0.干0, 1器00.0, 1.67e2)."""
    key = norm_key(text)
    digits = sum(ch.isdigit() for ch in key)
    return 0 < len(key) <= 14 and digits >= 2 and digits >= len(key) - 3


def _title_like(text: str) -> bool:
    """A line that reads like the form's title with a slip (绩效自平表, 项目支出绩效自评): never a project name."""
    key = simplified(norm_key(text))
    return len(key) <= 24 and ("绩效" in key or "自评" in key) and ("表" in key or "自评" in key)


def _unit_of(cells: list[Cell]) -> tuple[str, Cell] | None:
    for cell in cells:
        key = simplified(norm_key(cell.text))
        if "万元" in key:
            return "万元", cell
        if "(元)" in key or key.endswith("元)") or key in ("元", "单位:元"):
            return "元", cell
    return None


class _Reader:
    """Walks a grid once, top to bottom, keeping the section it is in."""

    def __init__(self, grid: Grid, labels: FormLabels, family: TemplateDefinition | None) -> None:
        self.grid = grid
        self.labels = labels
        self.family = family
        self.form = RawForm(text_layout=grid.text_layout, notes=list(grid.notes))
        self.state = "head"
        self.fund_cols: dict[str, int] = {}
        self.goal_cols: dict[str, int] = {}
        self.ind_cols: dict[str, int] = {}
        self.single_total: Cell | None = None
        self.fund_alternatives: dict[int, list[dict[str, Cell]]] = {}
        self.dense = grid.text_layout in _DENSE
        self.sparse = grid.text_layout in _SPARSE
        # Text with no cell boundaries (previews, OCR text): only what labels make certain is read, the head;
        # glued numbers and texts are never split by guessing (templates.md).
        self.glued = grid.text_layout == "glued"

    def read(self) -> RawForm:
        for row in self.grid.rows:
            if not _nonblank(row):
                continue
            self._row(row)
        self._settle_single_total()
        self._settle_fund_placements()
        return self.form

    def _seen(self, section: str) -> None:
        if section not in self.form.sections_seen:
            self.form.sections_seen.append(section)

    # -- label tests ------------------------------------------------------------------------------------------
    def _section_of(self, cell: Cell) -> str | None:
        return self.labels.section(cell.text)

    def _sections_in(self, row: list[Cell]) -> dict[str, Cell]:
        found: dict[str, Cell] = {}
        for cell in _nonblank(row):
            section = self._section_of(cell)
            if section and section not in found:
                found[section] = cell
        return found

    def _count_keys(self, row: list[Cell], kind: VocabKind, keys: set[str], columns: Mapping[str, str]) -> int:
        count = 0
        for cell in _nonblank(row):
            m = self.labels.label(cell.text, kind)
            if m is not None and (key := key_for(columns, m.canonical or "")) is not None and key in keys:
                count += 1
        return count

    def map_header(self, row: list[Cell], kind: VocabKind, columns: Mapping[str, str],
                   order: list[str]) -> list[HeaderColumn]:
        """Map header cells to column keys; an ambiguous fragment takes the one free key its position allows."""
        found: list[HeaderColumn] = []
        pending: list[tuple[Cell, LabelMatch]] = []
        for cell in _nonblank(row):
            assigned = self.grid.assigned.get(cell.id)
            m = self.labels.match(cell.text, kind)
            if assigned is not None and assigned in columns and all(h.key != assigned for h in found):
                found.append(HeaderColumn(printed=cell.text, key=assigned, col=cell.col, status=m.status.value,
                                          method=m.method, cell_id=cell.id))
                continue
            section = self._section_of(cell)
            if m.ok and m.canonical is not None and not (m.repaired and section is not None):
                key = key_for(columns, m.canonical)
                if key is not None and all(h.key != key for h in found):
                    found.append(HeaderColumn(printed=cell.text, key=key, col=cell.col, status=m.status.value,
                                              method=m.method, cell_id=cell.id))
                    continue
            if section is not None:
                found.append(HeaderColumn(printed=cell.text, key="block", col=cell.col, status="exact",
                                          cell_id=cell.id))
                continue
            if m.status is MatchStatus.AMBIGUOUS:
                pending.append((cell, m))
            elif _label_like(cell.text):
                # Unreadable (OCR 执行事 for 执行率): any column may be meant; its place among the others decides.
                pending.append((cell, m.model_copy(update={"candidates": list(columns.values())})))
            else:
                found.append(HeaderColumn(printed=cell.text, key=None, col=cell.col, status=m.status.value,
                                          cell_id=cell.id))
        rank = {k: i for i, k in enumerate(order)}
        for cell, m in pending:
            left = [h for h in found if h.key in rank and h.col < cell.col]
            right = [h for h in found if h.key in rank and h.col > cell.col]
            lo = max((rank[h.key] for h in left if h.key), default=-1)
            hi = min((rank[h.key] for h in right if h.key), default=len(order))
            taken = {h.key for h in found}
            keys = [key_for(columns, c) for c in m.candidates]
            fits = [k for k in keys if k and k not in taken and lo < rank.get(k, -1) < hi]
            if len(fits) == 1:
                found.append(HeaderColumn(printed=cell.text, key=fits[0], col=cell.col,
                                          status=MatchStatus.REPAIRED.value, method="position", cell_id=cell.id))
            else:
                found.append(HeaderColumn(printed=cell.text, key=None, col=cell.col, status=m.status.value,
                                          cell_id=cell.id))
        return sorted(found, key=lambda h: h.col)

    def split_labelled(self, row: list[Cell]) -> list[Cell]:
        """Cells holding "label：value" for a known label become two cells (same id: provenance stays exact)."""
        out: list[Cell] = []
        for cell in row:
            m = _LABELLED.match(cell.text)
            if m is not None:
                head = m.group(1)
                if (self.labels.label(head, VocabKind.FORM_FIELD) is not None
                        or self.labels.label(head, VocabKind.EVALUATION) is not None
                        or (self.labels.label(head, VocabKind.SECTION) is not None
                            and self.labels.section(head) is not None)):
                    out.append(cell.model_copy(update={"text": head, "whole_text": cell.text}))
                    out.append(cell.model_copy(update={"text": m.group(2), "whole_text": cell.text}))
                    continue
            out.append(cell)
        return out

    # -- dispatch ---------------------------------------------------------------------------------------------
    def _row(self, row: list[Cell]) -> None:
        row = self.split_labelled(row)
        cells = _nonblank(row)
        sections = self._sections_in(row)
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
        if "implementation" in sections:
            # 2.项目实施内容及过程概述 and its text: no record field, and not part of the goals above it.
            self.state = "implementation"
            self._seen("implementation")
            return
        if self.state == "indicators" and not self.grid.assigned and self._indicator_subheader(row):
            return
        if self._count_keys(row, VocabKind.INDICATOR_HEADER, {"level1", "level2", "name", "target", "actual",
                                                              "target_value", "nature"},
                            INDICATOR_COLUMNS) >= 2 and not self._fund_header_row(row):
            self.form.indicator_header = self.map_header(row, VocabKind.INDICATOR_HEADER, INDICATOR_COLUMNS,
                                                         _INDICATOR_ORDER)
            if (not any(h.key in ("nature", "unit") for h in self.form.indicator_header)
                    and not self.grid.assigned):
                # 指标值(A) alone (Ningxia) is the whole target, not the middle of a split one.
                for h in self.form.indicator_header:
                    if h.key == "target_value":
                        h.key = "target"
            self.ind_cols = _header_cols(self.form.indicator_header)
            self.state = "indicators"
            self._seen("indicators")
            return
        if self._fund_header_row(row):
            self.form.fund_header = self.map_header(row, VocabKind.FUNDS_HEADER, FUND_HEADER_KEYS, _FUND_ORDER)
            self.fund_cols = _header_cols(self.form.fund_header)
            self._unit_from(cells)
            self.state = "funds"
            self._seen("funds")
            return
        if self.glued and self.state != "head":
            self._glued_rest(row, sections)
            return
        if "total" in sections or "grade" in sections or "reviewed" in sections:
            self._totals(row, sections)
            return
        if self._evaluation(row):
            return
        if self._goals_header(row):
            return
        if self._fund_row(row):
            return
        if self.state in ("head", "funds", "goals") and self._fields(row):
            return
        if ("funds" in sections or self.state == "funds") and len(cells) <= 2 and _unit_of(cells) is not None:
            self._unit_from(cells)  # 项目资金 / (万元) printed on a line of its own
            self._seen("funds")
            return
        if self.state == "goals" and self._goals_content(row, sections):
            return
        if self.state == "indicators" and self._indicator(row):
            return
        if self.state == "head" and self._unlabelled_name(row):
            return
        self.form.unmapped.append(cells)

    def _glued_rest(self, row: list[Cell], sections: dict[str, Cell]) -> None:
        """Beyond the head of glued text: note the sections seen, read nothing (see __init__)."""
        for section in sections:
            self._seen(section)
        self._unit_from(_nonblank(row))
        self.form.unmapped.append(_nonblank(row))

    def _fund_header_row(self, row: list[Cell]) -> bool:
        return self._count_keys(row, VocabKind.FUNDS_HEADER,
                                {"initial_budget", "annual_budget", "executed", "execution_rate"},
                                FUND_COLUMNS) >= 2

    def _unit_from(self, cells: list[Cell]) -> None:
        found = _unit_of(cells)
        if found is not None and self.form.unit is None:
            self.form.unit = found[0]
            self.form.unit_cell = _value(found[1])

    # -- header -----------------------------------------------------------------------------------------------
    def _year_from(self, row: list[Cell]) -> bool:
        cells = _nonblank(row)
        for cell in cells:
            m = _YEAR.search(norm_key(cell.text))
            if m and self.form.year is None:
                self.form.year = RawValue(text=m.group(1), cells=[cell])
                return True
        for a, b in zip(cells, cells[1:], strict=False):  # `(2025` `年度)`: a year line split at its space
            m = _YEAR.search(norm_key(a.text + b.text))
            if m and self.form.year is None and m.start() < len(norm_key(a.text)):
                self.form.year = RawValue(text=m.group(1), cells=[a, b])
                return True
        return False

    def _fields(self, row: list[Cell]) -> bool:
        cells = _nonblank(row)
        key: str | None = None
        matched = False
        for cell in cells:
            m = self.labels.label(cell.text, VocabKind.FORM_FIELD)
            if m is not None and m.canonical is not None and (
                    m.status is not MatchStatus.REPAIRED or len(label_key(cell.text)) >= 3):
                key = key_for(FORM_FIELDS, m.canonical)
                matched = True
                continue
            if self.sparse and key is not None and self._is_anchor(cell):
                key = None  # 主管部门 实施单位 天长市水利局: the 主管部门 cell is blank, its neighbour a label
                continue
            # A value under its printed label beats a positional guess made on an earlier line.
            if key is not None and (key not in self.form.fields or self.form.fields[key].how == "positional"):
                self.form.fields[key] = _value(cell)
                key = None
        if matched and self.state == "head":
            self._unit_from(cells)
        return matched

    def _is_anchor(self, cell: Cell) -> bool:
        return (self._section_of(cell) is not None
                or self.labels.label(cell.text, VocabKind.FUND_ROW) is not None
                or self.labels.label(cell.text, VocabKind.FORM_FIELD) is not None)

    def _unlabelled_name(self, row: list[Cell]) -> bool:
        # The first export line of a form sometimes drops the 项目名称 label: a lone value before 主管部门.
        cells = _nonblank(row)
        if (
            len(cells) == 1
            and "project_name" not in self.form.fields
            and "department" not in self.form.fields
            and self.labels.kind(cells[0].text) is CellKind.TEXT
            and not _OTHER_FIELD.match(norm_key(cells[0].text))  # 填报单位（盖章）：… is some other field
            and not _title_like(cells[0].text)  # 财政项目支出绩效自平表: a damaged title, not a project's name
        ):
            self.form.fields["project_name"] = _value(cells[0], how="positional")
            return True
        return False

    # -- funds ------------------------------------------------------------------------------------------------
    def _fund_row(self, row: list[Cell]) -> bool:
        label_cell = None
        match = None
        for cell in _nonblank(row):
            m = self.labels.label(cell.text, VocabKind.FUND_ROW)
            if m is not None and (m.status is not MatchStatus.REPAIRED or len(label_key(cell.text)) >= 4):
                label_cell, match = cell, m
                break
        if label_cell is None or match is None or match.canonical is None:
            return False
        key = key_for(FUND_ROWS, match.canonical)
        if key is None and match.canonical in EXTRA_FUND_ROWS:
            key = "extra"
        header_keys = [k for k in sorted(self.fund_cols, key=lambda k: self.fund_cols[k]) if k in FUND_HEADER_KEYS]
        if not self.fund_cols:
            self.form.funds_headerless = True  # the columns are the central form's order, not what the form says
        cols = self.fund_cols or {k: label_cell.col + 1 + i for i, k in enumerate(_FUND_ORDER)}
        after = [c for c in row if c.col > label_cell.col]
        ambiguous: dict[str, list[str]] = {}
        if self.sparse and header_keys:
            basis = self.family.layout.rate_basis if self.family is not None else "annual_budget"
            placed = place_fund_values(_nonblank(after), header_keys, basis, sub_row=key != "total")
            mapping = placed.mapping
            ambiguous = placed.ambiguous
            if placed.alternatives:
                self.fund_alternatives[len(self.form.fund_rows)] = placed.alternatives
        elif self.dense and header_keys and self._dense_fit(after, header_keys):
            # One cell per line keeps empty cells: a row's cells are its columns, in order (a note column merged
            # over the rows, 原因 or 得分计算方法, is printed on the first row only).
            mapping = {k: c for k, c in zip(header_keys, after, strict=False) if not c.blank}
        else:
            order = sorted((k for k in cols if k in FUND_HEADER_KEYS), key=lambda k: cols[k])
            slots = [Slot(k, cols[k], self._fund_cost(k, sub_row=key != "total")) for k in order]
            mapping = align(after, slots)
        raw = RawFundRow(key=key, label=_value(label_cell, label=match),
                         values={k: _value(c) for k, c in mapping.items() if k in FUND_COLUMNS},
                         ambiguous=ambiguous)
        earlier = next((r for r in self.form.fund_rows if key is not None and key != "extra" and r.key == key), None)
        if key == "extra" or (key is not None and earlier is None):
            self.form.fund_rows.append(raw)
        elif earlier is not None:
            for col, value in raw.values.items():
                before = earlier.values.get(col)
                if before is not None and number_of(before.text) != number_of(value.text):
                    self.form.conflicts.setdefault(f"funds.{key}.{col}", (before.text, value.text))
        self.state = "funds"
        self._seen("funds")
        return True

    @staticmethod
    def _dense_fit(cells: list[Cell], keys: list[str]) -> bool:
        return len(cells) == len(keys) or (
            len(cells) < len(keys) and all(k in ("reason", "method") for k in keys[len(cells):]))

    def _settle_fund_placements(self) -> None:
        """Sub-rows whose blanks could sit in several columns: the total they must add up to decides."""
        if not self.fund_alternatives:
            return
        rows = self.form.fund_rows
        total_at = next((i for i, r in enumerate(rows) if r.key == "total"), None)
        if total_at is None or total_at in self.fund_alternatives:
            return
        total = amounts({k: v.cells[0] for k, v in rows[total_at].values.items()})
        fixed = [amounts({k: v.cells[0] for k, v in r.values.items()}) for i, r in enumerate(rows)
                 if i != total_at and i not in self.fund_alternatives and r.key != "extra"]
        open_at = [i for i in self.fund_alternatives if rows[i].key != "extra"]
        if not open_at:
            return
        chosen = resolve_by_components(total, fixed, [self.fund_alternatives[i] for i in open_at])
        if chosen is None:
            return
        for i, mapping in zip(open_at, chosen, strict=True):
            values = {k: _value(c, how="placed") for k, c in mapping.items() if k in FUND_COLUMNS and not is_blank(c.text)}
            rows[i] = rows[i].model_copy(update={"values": values, "ambiguous": {}})

    def _fund_cost(self, key: str, sub_row: bool = False) -> object:
        def cost(cell: Cell) -> float:
            kind = self.labels.kind(cell.text)
            if key in ("reason", "method"):
                return 0.0 if kind is CellKind.TEXT else 2.0
            if sub_row and key in ("weight", "score") and kind is not CellKind.DASH:
                return INF  # 分值 and 得分 belong to 年度资金总额; a sub-row prints — or / there
            if kind in (CellKind.NUMBER, CellKind.DASH):
                return 0.0
            if kind in (CellKind.QUANTITY, CellKind.NOTATION):
                return 1.0
            if _numberish(cell.text):
                return 1.5  # 0.干0: a damaged number stands where it is printed, to be reported unreadable
            return INF

        return cost

    # -- goals ------------------------------------------------------------------------------------------------
    def _goals_header(self, row: list[Cell]) -> bool:
        cols: dict[str, int] = {}
        is_goals = False
        for cell in _nonblank(row):
            m = self.labels.label(cell.text, VocabKind.GOALS_HEADER)
            if m is not None and m.canonical is not None and m.status is not MatchStatus.REPAIRED:
                key = key_for(GOALS_COLUMNS, m.canonical)
                if key and key not in cols:
                    cols[key] = cell.col
                    is_goals = True
            elif self._section_of(cell) == "goals":
                is_goals = True
        if not is_goals:
            return False
        self.goal_cols = cols or self.goal_cols
        self.state = "goals"
        self._seen("goals")
        texts = [c for c in _nonblank(row) if self._section_of(c) is None
                 and self.labels.label(c.text, VocabKind.GOALS_HEADER) is None]
        if texts and not cols:
            self._goals_content(row, {})
        elif texts and self.grid.text_layout is not None:
            # A stream's goals row: the texts follow their labels in order (预期目标 实际完成情况 text text).
            self._goals_content(texts, {}, ordered=True)
        return True

    def _goals_content(self, row: list[Cell], sections: dict[str, Cell], ordered: bool = False) -> bool:
        cells = [c for c in row if self._section_of(c) is None]
        if not _nonblank(cells):
            return False
        if self._is_anchor(_nonblank(cells)[0]) and self.labels.label(_nonblank(cells)[0].text,
                                                                       VocabKind.FORM_FIELD) is not None:
            return False
        keys = sorted(self.goal_cols, key=lambda k: self.goal_cols[k]) or ["expected", "actual"]
        if (ordered or self.grid.text_layout is not None) and len(_nonblank(cells)) == len(keys):
            mapping = dict(zip(keys, _nonblank(cells), strict=True))
        elif self.dense and len(cells) == len(keys):
            mapping = {k: c for k, c in zip(keys, cells, strict=True) if not c.blank}
        else:
            expected_col = self.goal_cols.get("expected")
            actual_col = self.goal_cols.get("actual")
            slots = [Slot("expected", expected_col, self._text_cost), Slot("actual", actual_col, self._text_cost)]
            mapping = align(cells, slots)
        for key, cell in mapping.items():
            if key in self.form.goals:
                prior = self.form.goals[key]
                if self.grid.text_layout is None:
                    # A PDF's or a scan's goals text running over lines of the same cell region.
                    self.form.goals[key] = RawValue(text=prior.text + cell.text, cells=[*prior.cells, cell])
                elif norm_key(prior.text) != norm_key(cell.text):
                    self.form.conflicts.setdefault(f"goals.{key}", (prior.text, cell.text))
            else:
                self.form.goals[key] = _value(cell)
        return bool(mapping)

    def _text_cost(self, cell: Cell) -> float:
        return 0.0 if self.labels.kind(cell.text) is CellKind.TEXT else 1.0

    # -- evaluation (评价结论 / 存在问题 / 改进措施) ---------------------------------------------------------------
    def _evaluation(self, row: list[Cell]) -> bool:
        cells = _nonblank(row)
        found = False
        key: str | None = None
        for cell in cells:
            m = self.labels.label(cell.text, VocabKind.EVALUATION)
            if m is not None and m.canonical is not None and m.status is not MatchStatus.REPAIRED:
                key = key_for(EVALUATION_FIELDS, m.canonical)
                found = True
                continue
            if key is not None and key not in self.form.evaluation:
                self.form.evaluation[key] = _value(cell)
                key = None
        if found:
            self.state = "tail"
            self._seen("evaluation")
        return found

    # -- indicators -------------------------------------------------------------------------------------------
    def _indicator_subheader(self, row: list[Cell]) -> bool:
        # 年度指标值 spanning 指标性质 | 指标值 | 度量单位 printed on the row below: merge into the column map.
        cells = _nonblank(row)
        sub = [h for h in self.map_header(row, VocabKind.INDICATOR_HEADER, INDICATOR_COLUMNS, _INDICATOR_ORDER)
               if h.key is not None]
        if not cells or len(sub) != len(cells) or not self.form.indicator_header:
            return False
        self.form.indicator_header = sorted(
            [h for h in self.form.indicator_header if not any(x.key == h.key for x in sub)] + sub, key=lambda h: h.col)
        if {"nature", "target_value", "unit"} & {h.key for h in sub}:
            self.form.indicator_header = [h for h in self.form.indicator_header if h.key != "target"]
            for h in self.form.indicator_header:
                if h.key == "target" and not {"nature", "unit"} & {x.key for x in sub}:
                    h.key = "target"
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
        return [Slot(k, cols[k], self._indicator_cost(k), missing.get(k, 0.0))
                for k in keys if k in INDICATOR_COSTS]

    def _indicator_cost(self, key: str) -> object:
        table = INDICATOR_COSTS[key]

        def cost(cell: Cell) -> float:
            return table.get(self.labels.kind(cell.text), INF)

        return cost

    def _indicator(self, row: list[Cell]) -> bool:
        assigned = {c.id: self.grid.assigned[c.id] for c in row if c.id in self.grid.assigned}
        if assigned:
            mapping = {assigned[c.id]: c for c in row if c.id in assigned and not c.blank}
            blanks = {assigned[c.id]: c for c in row if c.id in assigned and c.blank}
        else:
            # A PDF's or a scan's lattice puts every cell in its column: a shift there is far less likely than in
            # an export that drops and shifts cells (a name 社会效益 beside a merged 二级指标 stays the name).
            mapping = align(row, self._indicator_slots(), shift_cost=1.0 if self.grid.text_layout is None else 0.3)
            blanks = {}
            # Text printed in a label column that is no label (服务对 of a merged cell cut by a page break) is kept
            # there as printed: the label above must not be carried over what the form prints instead.
            used = {id(c) for c in mapping.values()}
            for key in ("level1", "level2"):
                col = self.ind_cols.get(key)
                stray = next((c for c in row if col is not None and c.col == col and not c.blank and id(c) not in used),
                             None)
                if stray is not None and key not in mapping:
                    mapping[key] = stray
        mapping.pop("block", None)
        values = {k: _value(c) for k, c in mapping.items()}
        values.update({k: _value(c) for k, c in blanks.items() if k not in values})
        if self._placeholder(values):
            self.form.placeholders += 1
            return True
        filled = {k for k, v in values.items() if not is_blank(v.text)}
        if not ({"weight", "score"} & filled) and not ({"name", "target"} <= filled) and not (
                assigned and "name" in filled):
            if assigned and filled <= {"level1", "level2"}:
                self.form.placeholders += 1  # a level label with no indicator under it (生态效益指标 / 空)
                return True
            return False
        for key in ("level1", "level2"):
            if key in values and not is_blank(values[key].text):
                text = values[key].text
                if WEIGHT_NOTE.match(norm_key(text)):
                    values[key].how = "weight_note"  # (50分): the level1 is the level2's parent
                    values[key].label = None
                    continue
                values[key].label = self.labels.match(text, VocabKind.INDICATOR_LABEL)
            else:
                values.pop(key, None)
                spanned = self._spanned(row, key)
                if spanned is not None:
                    values[key] = RawValue(text=spanned.text, cells=[spanned], how="spanned",
                                           label=self.labels.match(spanned.text, VocabKind.INDICATOR_LABEL))
        self.form.indicators.append(RawIndicatorRow(row=row[0].row if row else -1, values=values))
        return True

    def _placeholder(self, values: dict[str, RawValue]) -> bool:
        """A template row left empty: 指标2:, ……, 指标1:/ with nothing else printed but dashes."""
        name = values.get("name")
        if name is None or self.labels.kind(name.text) is not CellKind.PLACEHOLDER_NAME:
            return False
        others = [v for k, v in values.items() if k not in ("level1", "level2", "name")]
        return all(is_blank(v.text) for v in others)

    def _spanned(self, row: list[Cell], key: str) -> Cell | None:
        # A merged cell in a PDF grid covers the rows below it: that is printed placement, not inference.
        col = self.ind_cols.get(key)
        if col is None or not row or self.grid.assigned:
            return None
        cell = self.grid.covering(row[0].row, col)
        if cell is not None and cell.row != row[0].row and cell.row_span > 1 and not cell.blank:
            return cell
        return None

    # -- totals -----------------------------------------------------------------------------------------------
    def _totals(self, row: list[Cell], sections: dict[str, Cell]) -> None:
        cells = _nonblank(row)
        if "reviewed" in sections:
            start = sections["reviewed"].col
            numbers = [c for c in cells if c.col > start and number_of(c.text) is not None]
            if numbers:
                self.form.reviewed_score = _value(numbers[0])
        if "total" in sections:
            self._seen("total")
            start = sections["total"].col
            stops = [sections[s].col for s in ("grade", "reviewed") if s in sections and sections[s].col > start]
            stop = min(stops, default=10**6)
            numbers = [c for c in cells if start < c.col < stop and number_of(c.text) is not None]
            if len(numbers) >= 2:
                self.form.total_weight, self.form.total_score = _value(numbers[0]), _value(numbers[1])
                rest = [c for c in cells if c.col > numbers[1].col and c.col < stop]
            elif len(numbers) == 1:
                self._single_total(row, sections["total"], numbers[0])
                rest = [c for c in cells if c.col > numbers[0].col and c.col < stop]
            else:
                rest = []
            # The grade printed on the 总分 line (总分 | 100 | 96 | 优).
            for cell in rest:
                if grade_of(cell.text) is not None and "grade" not in sections:
                    self.form.grade = _value(cell)
                    break
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

    def _single_total(self, row: list[Cell], label: Cell, cell: Cell) -> None:
        """One figure after 总分/合计/自评得分: which of the two totals it is, decided when the form is read."""
        key = norm_key(label.text)
        if "自评得分" in key or "得分" in key:
            self.form.total_score = _value(cell)
            return
        w, s = self.ind_cols.get("weight"), self.ind_cols.get("score")
        if self.dense and w is not None and s is not None:
            # One cell per line keeps the empty cells: the figure's place among the row's cells is its column.
            tail = [c for c in row if c.col > label.col]
            columns = sorted(self.ind_cols, key=lambda k: self.ind_cols[k])
            at = len(columns) - len(tail) + tail.index(cell) if cell in tail else -1
            if 0 <= at < len(columns) and columns[at] in ("weight", "score"):
                target = "total_weight" if columns[at] == "weight" else "total_score"
                setattr(self.form, target, _value(cell, how="positional"))
                return
        if not self.sparse and not self.dense and w is not None and s is not None and self.grid.text_layout is None:
            setattr(self.form, "total_score" if abs(cell.col - s) < abs(cell.col - w) else "total_weight",
                    _value(cell))
            return
        if self.grid.text_layout == "tsv" and w is not None and s is not None:
            setattr(self.form, "total_score" if abs(cell.col - s) < abs(cell.col - w) else "total_weight",
                    _value(cell))
            return
        self.single_total = cell

    def _settle_single_total(self) -> None:
        """A lone 合计 figure: the scores' total, unless no score is printed at all (a blank form's weights)."""
        cell = self.single_total
        if cell is None:
            return
        scores = [r.values.get("score") for r in self.form.indicators]
        printed_scores = [s for s in scores if s is not None and not is_blank(s.text)]
        weights = [number_of(r.values["weight"].text) for r in self.form.indicators
                   if "weight" in r.values and number_of(r.values["weight"].text) is not None]
        figure = number_of(cell.text)
        if not printed_scores and weights and figure is not None and sum(weights, Decimal(0)) + Decimal(10) in (
                figure, figure + 0) or (not printed_scores and weights):
            self.form.total_weight = _value(cell, how="placed")
        else:
            self.form.total_score = _value(cell, how="placed")


_LABELS: dict[tuple[int, str | None], FormLabels] = {}


def form_labels(registry: TemplateRegistry, family: str | None) -> FormLabels:
    """The label tests for a family (memoised per registry and family)."""
    key = (id(registry), family)
    if key not in _LABELS:
        _LABELS[key] = FormLabels(registry.tables(family))
    return _LABELS[key]


def pick_family(grid: Grid, registry: TemplateRegistry) -> TemplateChoice:
    """The family a grid's text speaks for."""
    return registry.pick(c.text for c in grid.cells() if c.text)


def read_rows(grid: Grid, registry: TemplateRegistry | None = None) -> RawForm:
    """Read one form's grid into labelled raw rows; a recognised family the project does not map raises."""
    registry = registry or default_registry()
    choice = pick_family(grid, registry)
    family = registry.get(choice.id)
    if not choice.supported:
        raise UnsupportedTemplateError(
            f"a form of the family {family.name} ({family.id}), which is not a project form and is not mapped",
            family=family.id, cues=choice.cues)
    labels = form_labels(registry, family.id)
    if grid.text_layout is not None and grid.text_layout not in ("tsv", "csv"):
        grid = regroup(grid, labels)
    form = _Reader(grid, labels, family).read()
    if grid.parts:
        _cite_pieces(form, grid.parts)
    form.template = choice
    form.family = family
    return form


def _cite_pieces(obj: object, parts: dict[str, list[Cell]]) -> None:
    """Values read from a label joined out of wrapped pieces cite the pieces the source prints."""
    if isinstance(obj, RawValue):
        if len(obj.cells) == 1 and obj.cells[0].id in parts:
            obj.cells = list(parts[obj.cells[0].id])
        return
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            _cite_pieces(getattr(obj, name), parts)
    elif isinstance(obj, dict):
        for value in obj.values():
            _cite_pieces(value, parts)
    elif isinstance(obj, list):
        for value in obj:
            _cite_pieces(value, parts)


def project_code_of(name: str) -> str | None:
    """The project code printed before a name (`51092324T000010263357-…`), or None."""
    m = _PROJECT_CODE.match(norm_key(name))
    return m.group(1) if m and any(ch.isdigit() for ch in m.group(1)) else None
