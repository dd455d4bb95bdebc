"""What a cell holds, judged with the label tables of the form's family: a label of some kind, a number, a value."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum

from extractor.domain.notation import is_unit, parse_notation
from extractor.domain.numbers import amount_of, number_of
from extractor.domain.repair import LabelMatch, LabelTable, MatchStatus, default_table, label_key
from extractor.domain.text import is_blank, norm_key, simplified
from extractor.domain.vocabulary import LEVEL1, LEVEL2, SECTIONS, VocabKind, key_for
from extractor.layout import Cell

_DESCRIPTORS = {"定性", "定量", "正向", "反向", "正向指标", "反向指标", "定性指标", "定量指标"}
# What a 度量单位 cell holds on its own: a per-cent sign, a measure word, a currency. A lone 优 or 是 is a value.
_UNIT_CHARS = set("%‰个人次元天件份台辆户所项场篇期批家套处条座张本册棵株吨亩年月日周时分秒米斤只头间栋层类种位名")
# A 一级指标 cell that prints only its weight: (50分), （30分）, 10分.
WEIGHT_NOTE = re.compile(r"^[(（]\d+(?:\.\d+)?分[)）]$")
# Template rows with nothing filled in: 指标2:, 指标1:/, ……
_PLACEHOLDER_NAME = re.compile(r"^(?:指标\d+[:：]?[/／]?|[.…。·]{2,}|…+)$")


class CellKind(StrEnum):
    """What a cell's content looks like, for the row aligners."""

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
    WEIGHT_NOTE = "weight_note"  # (50分): a 一级指标 cell printing only its weight
    PLACEHOLDER = "placeholder"  # 无
    PLACEHOLDER_NAME = "placeholder_name"  # 指标2:, ……: a template row left empty
    OPERATOR = "operator"  # ≥ alone: the 指标性质 column of a split target
    DESCRIPTOR = "descriptor"  # 定性, 定量, 正向, 反向
    UNIT = "unit"  # %, 人次, 万元 alone: the 度量单位 column
    SECTION = "section"
    TEXT = "text"


class FormLabels:
    """The label tables one form is read with (its family's spellings over the vocabulary), with memoised tests."""

    def __init__(self, tables: Mapping[VocabKind, LabelTable] | None = None) -> None:
        self.tables = dict(tables) if tables is not None else {kind: default_table(kind) for kind in VocabKind}
        self._kinds: dict[str, CellKind] = {}
        self._sections: dict[str, str | None] = {}

    def match(self, text: str, kind: VocabKind) -> LabelMatch:
        """Match a printed label against this form's table of a kind."""
        return self.tables[kind].match(text)

    def label(self, text: str, kind: VocabKind) -> LabelMatch | None:
        """The match when a cell is a label of this kind (a repair needs 2+ characters to count here)."""
        if len(norm_key(text)) > 24:
            return None
        m = self.match(text, kind)
        if not m.ok:
            return None
        if m.status is MatchStatus.REPAIRED and len(label_key(text)) < 2:
            return None
        return m

    def section(self, text: str) -> str | None:
        """The section a cell names (title, funds, goals, indicators, total, grade, …) or None."""
        if text in self._sections:
            return self._sections[text]
        key = simplified(norm_key(text))
        found: str | None
        if "绩效自评表" in key and len(key) <= 48:
            found = "title"
        else:
            m = self.label(text, VocabKind.SECTION)
            # 时效指标 is one stroke from 绩效指标: section labels are read exactly or by prefix only.
            found = None if m is None or m.canonical is None or m.method == "edit_distance" else key_for(
                SECTIONS, m.canonical)
        self._sections[text] = found
        return found

    def kind(self, text: str) -> CellKind:
        """Classify a cell's content."""
        found = self._kinds.get(text)
        if found is None:
            if len(self._kinds) > 50_000:
                self._kinds.clear()
            found = self._kinds[text] = self._classify(text)
        return found

    def _classify(self, text: str) -> CellKind:
        if is_blank(text):
            return CellKind.DASH
        key = simplified(norm_key(text))  # 指標2: (a mirror in Traditional characters) is 指标2:
        if key == "无":
            return CellKind.PLACEHOLDER
        if _PLACEHOLDER_NAME.match(key):
            return CellKind.PLACEHOLDER_NAME
        if WEIGHT_NOTE.match(key):
            return CellKind.WEIGHT_NOTE
        if key in _DESCRIPTORS:
            return CellKind.DESCRIPTOR
        if len(key) <= 5 and not any(ch.isdigit() for ch in key):
            probe = parse_notation(key + "1")  # "≥" + "1" parses as an operator and a number, nothing more
            if probe.operator is not None and probe.value == 1 and probe.unit is None:
                return CellKind.OPERATOR
        if number_of(text) is not None or amount_of(text) is not None:
            return CellKind.NUMBER
        notation = parse_notation(text)
        if notation.is_numeric:
            return CellKind.NOTATION if notation.operator else CellKind.QUANTITY
        m = self.match(text, VocabKind.INDICATOR_LABEL)
        section = self.label(text, VocabKind.SECTION)
        if section is not None and section.method != "edit_distance" and not (m.ok and not m.repaired):
            return CellKind.SECTION
        if m.ok and len(key) <= 16:
            assert m.canonical is not None
            if m.canonical in LEVEL1 and m.canonical in LEVEL2:
                return CellKind.LEVEL_BOTH
            if m.repaired:
                return CellKind.LEVEL1_CUT if m.canonical in LEVEL1 else CellKind.LEVEL2_CUT
            return CellKind.LEVEL1 if m.canonical in LEVEL1 else CellKind.LEVEL2
        if m.status is MatchStatus.AMBIGUOUS and len(key) <= 10:
            return CellKind.LEVEL_AMBIGUOUS
        if len(key) <= 4 and is_unit(key) and (len(key) > 1 or key in _UNIT_CHARS):
            return CellKind.UNIT
        return CellKind.TEXT


DEFAULT_LABELS = FormLabels()

# How well a cell of each kind fits each indicator column (0 = perfectly; absent = never).
_TEXTUAL = {CellKind.TEXT: 0.0, CellKind.QUANTITY: 1.0, CellKind.NOTATION: 2.0, CellKind.NUMBER: 3.0,
            CellKind.UNIT: 1.0}
_LABELS_AS_VALUE = {
    CellKind.LEVEL_AMBIGUOUS: 4.0, CellKind.LEVEL1: 5.0, CellKind.LEVEL2: 5.0, CellKind.LEVEL_BOTH: 5.0,
    CellKind.LEVEL1_CUT: 5.0, CellKind.LEVEL2_CUT: 5.0,
}
_VALUE_LIKE = {
    CellKind.NOTATION: 0.0, CellKind.QUANTITY: 0.3, CellKind.NUMBER: 0.5, CellKind.TEXT: 0.6, CellKind.DASH: 0.5,
    CellKind.PLACEHOLDER: 0.2, CellKind.OPERATOR: 2.0, CellKind.DESCRIPTOR: 2.0, CellKind.UNIT: 1.5,
    **_LABELS_AS_VALUE,
}
INDICATOR_COSTS: dict[str, dict[CellKind, float]] = {
    "block": {CellKind.SECTION: 0.0},
    "level1": {
        CellKind.LEVEL1: 0.0, CellKind.LEVEL_BOTH: 0.0, CellKind.LEVEL1_CUT: 0.2, CellKind.LEVEL_AMBIGUOUS: 1.5,
        CellKind.WEIGHT_NOTE: 0.0, CellKind.LEVEL2: 4.0, CellKind.LEVEL2_CUT: 4.0, CellKind.TEXT: 8.0,
    },
    "level2": {
        CellKind.LEVEL2: 0.0, CellKind.LEVEL_BOTH: 0.0, CellKind.LEVEL2_CUT: 0.2, CellKind.LEVEL_AMBIGUOUS: 1.5,
        CellKind.LEVEL1: 4.0, CellKind.LEVEL1_CUT: 4.0, CellKind.TEXT: 7.0,
    },
    "name": {
        CellKind.TEXT: 0.0, CellKind.PLACEHOLDER: 0.2, CellKind.PLACEHOLDER_NAME: 0.2, CellKind.DASH: 1.0,
        CellKind.QUANTITY: 2.0,
        # A cut label in the name column is as likely a short name (服务对象满意度) as a misplaced label.
        CellKind.LEVEL1_CUT: 1.0, CellKind.LEVEL2_CUT: 1.0, CellKind.LEVEL_AMBIGUOUS: 2.5,
        CellKind.LEVEL1: 3.0, CellKind.LEVEL2: 3.0, CellKind.LEVEL_BOTH: 3.0, CellKind.NOTATION: 3.0,
        CellKind.NUMBER: 4.0, CellKind.OPERATOR: 4.0, CellKind.DESCRIPTOR: 3.0, CellKind.UNIT: 3.0,
    },
    "target": _VALUE_LIKE,
    "actual": {**_VALUE_LIKE, CellKind.TEXT: 0.5},
    "weight": {CellKind.NUMBER: 0.0, CellKind.DASH: 1.0},
    "score": {CellKind.NUMBER: 0.0, CellKind.DASH: 1.0},
    "deviation": {
        **_TEXTUAL, CellKind.TEXT: 0.3, CellKind.DASH: 0.3, CellKind.PLACEHOLDER: 0.3, CellKind.LEVEL_AMBIGUOUS: 3.0,
        CellKind.LEVEL1_CUT: 3.0, CellKind.LEVEL2_CUT: 3.0,
    },
    "method": {CellKind.TEXT: 0.2, CellKind.DASH: 0.5, CellKind.QUANTITY: 2.0, CellKind.NOTATION: 2.0},
    "nature": {CellKind.OPERATOR: 0.0, CellKind.DESCRIPTOR: 0.0, CellKind.TEXT: 1.0, CellKind.DASH: 0.5},
    "target_value": {CellKind.NUMBER: 0.0, CellKind.QUANTITY: 0.5, CellKind.NOTATION: 0.5, CellKind.TEXT: 1.0,
                     CellKind.PLACEHOLDER: 0.5, CellKind.DASH: 0.8, CellKind.UNIT: 1.2},
    "unit": {CellKind.UNIT: 0.0, CellKind.TEXT: 2.5, CellKind.DASH: 0.5},
}
# Every indicator row prints these: leaving one empty must be paid for, or a label would steal its cell.
INDICATOR_MISSING = {"name": 1.0, "target": 1.0, "actual": 1.0, "weight": 1.0, "score": 1.0}


def cell_cost(labels: FormLabels, key: str, cell: Cell) -> float:
    """How well a cell fits an indicator column (math.inf when it cannot stand there)."""
    return INDICATOR_COSTS[key].get(labels.kind(cell.text), float("inf"))
