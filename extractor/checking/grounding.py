"""Grounding: every value of a record must be found in the source's cells, or it is rejected."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from extractor.domain.numbers import money_of, number_of
from extractor.domain.repair import MatchStatus, label_key, match_label
from extractor.domain.text import norm_key, simplified
from extractor.domain.vocabulary import VocabKind, grade_of, parent_of
from extractor.layout import Cell, Grid
from extractor.records.models import (
    Alignment,
    FieldSource,
    Finding,
    FindingCode,
    MapMethod,
    Provenance,
    Record,
)
from extractor.records.paths import get_path, iter_values, set_path

_DECIMAL_FIELDS = re.compile(
    r"(^|\.)(initial_budget|annual_budget|executed|weight|execution_rate|score|total_weight|total_score|"
    r"reviewed_score)$"
)
# Amounts may print their unit in the cell (150万): grounded by the amount.
_AMOUNT_FIELDS = re.compile(r"^funds\..*\.(initial_budget|annual_budget|executed)$")
_LABEL_FIELDS = re.compile(r"\.(level1|level2)$")
# A value may be part of a cell (a long cell holding two values) only when it is long enough to mean something.
_MIN_PART = 4
# "项目名称：社区服务": a value printed after its label in the same cell.
_LABEL_PREFIX = re.compile(r"^[^:：]{1,10}[:：]")


class GroundingResult(BaseModel):
    """What grounding kept, what it rejected, and how each value was found."""

    record: Record
    alignment: dict[str, Alignment] = Field(default_factory=dict)
    findings: list[Finding] = Field(default_factory=list)
    rejected: dict[str, Any] = Field(default_factory=dict)


class SourceCells:
    """The cells of a form's source, indexed for look-ups by id, text and number."""

    def __init__(self, cells: Iterable[Cell]) -> None:
        self.by_id: dict[str, Cell] = {}
        self.texts: dict[str, Cell] = {}
        self.numbers: dict[Decimal, Cell] = {}
        for cell in cells:
            self.by_id[cell.id] = cell
            key = norm_key(cell.text)
            if key:
                self.texts.setdefault(key, cell)
            number = number_of(cell.text)
            if number is not None:
                self.numbers.setdefault(number, cell)

    @classmethod
    def of(cls, grid: Grid) -> SourceCells:
        """Index a grid."""
        return cls(grid.cells())


def _cited(source: SourceCells, src: FieldSource | None) -> list[Cell] | None:
    """The cited cells, or None when nothing is cited; [] when a citation points nowhere.

    A piece of a cell (`L3C1#2`, cut out of text with no cell boundaries) is looked up in the whole cell.
    """
    if src is None or not src.cells:
        return None
    found = [source.by_id[ref.id.split("#", 1)[0]] for ref in src.cells if ref.id.split("#", 1)[0] in source.by_id]
    return found if len(found) == len(src.cells) else []


def _decimal(value: Decimal, cells: list[Cell] | None, source: SourceCells, amount: bool = False) -> Alignment | None:
    if cells is None:
        cell = source.numbers.get(value)
        if cell is None:
            return None
        return Alignment.EXACT if norm_key(cell.text) == format(value, "f") else Alignment.NORMALISED
    if len(cells) != 1:
        return None
    number = money_of(cells[0].text) if amount else number_of(cells[0].text)
    if number is None or number != value:
        return None
    return Alignment.EXACT if norm_key(cells[0].text) == format(value, "f") else Alignment.NORMALISED


def _text(value: str, cells: list[Cell] | None, source: SourceCells) -> Alignment | None:
    key = norm_key(value)
    if not key:
        return None
    if cells is None:
        cell = source.texts.get(key)
        if cell is not None:
            return Alignment.EXACT if cell.text == value else Alignment.NORMALISED
        return None
    joined = "".join(norm_key(c.text) for c in cells)
    if joined == key:
        return Alignment.EXACT if "".join(c.text for c in cells) == value else Alignment.NORMALISED
    if len(cells) == 1 and _LABEL_PREFIX.match(joined) and _LABEL_PREFIX.sub("", joined, count=1) == key:
        return Alignment.NORMALISED
    if len(key) >= _MIN_PART and key in joined:
        return Alignment.NORMALISED
    return None


def _label(value: str, cells: list[Cell] | None, source: SourceCells, prefix: bool = False) -> Alignment | None:
    candidates = cells if cells is not None else list(source.by_id.values())
    texts = [cell.text for cell in candidates]
    if cells is not None and len(cells) > 1:
        texts.insert(0, "".join(c.text for c in cells))  # a label printed in wrapped pieces (经济效益 / 指标)
    for text in texts:
        m = match_label(text, VocabKind.INDICATOR_LABEL)
        if m.canonical == value:
            return Alignment.REPAIRED if m.status is MatchStatus.REPAIRED else (
                Alignment.EXACT if m.status is MatchStatus.EXACT else Alignment.NORMALISED)
    # A repair the mapper made from context (the start of the label on the row below a page break): the cited
    # cell must print the label's start.
    if prefix and cells is not None and len(cells) == 1:
        start = label_key(cells[0].text)
        if len(start) >= 2 and value.startswith(start):
            return Alignment.REPAIRED
    return None


def _money_unit(value: str, cells: list[Cell] | None, source: SourceCells) -> Alignment | None:
    # 项目资金（万元）, 年度预算数(万元), 150万: the unit is printed in the cited cell (a 元 is inside 万元 too).
    candidates = cells if cells is not None else list(source.by_id.values())
    for cell in candidates:
        text = simplified(norm_key(cell.text))
        if value == "万元" and "万" in text:
            return Alignment.NORMALISED
        if value == "元" and "元" in text and "万元" not in text:
            return Alignment.NORMALISED
    return None


def _year(value: int, cells: list[Cell] | None, source: SourceCells) -> Alignment | None:
    pattern = re.compile(rf"(?<!\d){value}\s*年")
    candidates = cells if cells is not None else list(source.by_id.values())
    texts = [norm_key(c.text) for c in candidates]
    if cells is not None and len(cells) > 1:
        texts.append("".join(texts))  # `(2025` `年度)`: a year line split at its space
    return Alignment.EXACT if any(pattern.search(t) for t in texts) else None


def _grade(value: str, cells: list[Cell] | None, source: SourceCells) -> Alignment | None:
    candidates = cells if cells is not None else list(source.by_id.values())
    for cell in candidates:
        if grade_of(cell.text) == value:
            return Alignment.EXACT if norm_key(cell.text) == value else Alignment.NORMALISED
    return None


def align_value(path: str, value: Any, src: FieldSource | None, source: SourceCells, record: Record,
                rejected: dict[str, Any] | None = None) -> Alignment | None:
    """How a value is found in the source, or None when it is not there."""
    if src is not None and src.method is MapMethod.HUMAN:
        return Alignment.CORRECTED
    if src is not None and src.method is MapMethod.INFERRED and path.endswith(".level1"):
        level2_path = path.removesuffix("level1") + "level2"
        level2 = None if rejected and level2_path in rejected else get_path(record, level2_path)
        return Alignment.INFERRED if level2 is not None and value in parent_of(level2) else None
    cells = _cited(source, src)
    if cells == []:
        return None  # the citation names cells the source does not have
    if path == "year":
        return _year(int(value), cells, source)
    if path == "grade":
        return _grade(str(value), cells, source)
    if path == "money_unit":
        return _money_unit(str(value), cells, source)
    if _LABEL_FIELDS.search(path):
        return _label(str(value), cells, source, prefix=src is not None and src.method is MapMethod.REPAIRED)
    if _DECIMAL_FIELDS.search(path):
        return _decimal(Decimal(value), cells, source, amount=bool(_AMOUNT_FIELDS.match(path)))
    return _text(str(value), cells, source)


def ground(record: Record, provenance: Provenance | None, source: SourceCells) -> GroundingResult:
    """Check every value against the source; drop what is not there and report it as UNGROUNDED_VALUE."""
    fields = provenance.fields if provenance is not None else {}
    alignment: dict[str, Alignment] = {}
    rejected: dict[str, Any] = {}
    findings: list[Finding] = []
    # level2 before level1: an inferred level1 is grounded through its level2.
    values = sorted(iter_values(record), key=lambda pv: pv[0].endswith(".level1"))
    for path, value in values:
        if value is None:
            continue
        src = fields.get(path)
        found = align_value(path, value, src, source, record, rejected)
        if found is not None:
            alignment[path] = found
            continue
        rejected[path] = value
        alignment[path] = Alignment.UNGROUNDED
        cited = ", ".join(ref.id for ref in src.cells) if src is not None and src.cells else "无引用单元格"
        findings.append(
            Finding.of(
                FindingCode.UNGROUNDED_VALUE,
                f"值「{value}」在原件中找不到（引用：{cited}），已舍弃 / value not found in the source, rejected",
                [path],
                value=str(value),
            )
        )
    kept = record
    if rejected:
        kept = Record.model_validate(record.model_dump())  # copy only when something must go
        for path in rejected:
            set_path(kept, path, None)
    return GroundingResult(record=kept, alignment=alignment, findings=findings, rejected=rejected)
