"""A model's answer → record v1 with provenance: each value keeps the cells it cites, stored as they print it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from extractor.checking.grounding import SourceCells
from extractor.domain.notation import parse_notation
from extractor.domain.numbers import money_of
from extractor.domain.repair import MatchStatus, match_label
from extractor.domain.text import clean_text, is_blank, norm_key
from extractor.domain.vocabulary import VocabKind
from extractor.mapping.answers import (
    Cited,
    CitedGrade,
    CitedLevel1,
    CitedLevel2,
    CitedMoneyUnit,
    CitedNumber,
    CitedText,
    CitedYear,
    Dropped,
    FormAnswer,
    IndicatorAnswer,
)
from extractor.mapping.rules import MappedForm, cell_ref
from extractor.records.models import (
    CellRef,
    Evaluation,
    ExtraFundRow,
    FieldSource,
    Finding,
    FindingCode,
    FundRow,
    Funds,
    Goals,
    Indicator,
    MapMethod,
    Provenance,
    Record,
)
from extractor.records.paths import set_path

MAPPER_NAME = "llm"
FUND_ROWS = ("total", "current_year", "carryover", "other")
FUND_COLUMNS = ("initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score")


def dropped_finding(d: Dropped) -> Finding:
    """UNGROUNDED_VALUE for a value of the answer that was not kept."""
    return Finding.of(FindingCode.UNGROUNDED_VALUE,
                      f"模型给出的值「{d.value}」无法接受（{d.reason}），已舍弃 / the model's value was rejected",
                      [d.path], value=None if d.value is None else str(d.value), reason=d.reason)


class _Builder:
    """Turns cited values into record values and provenance entries."""

    def __init__(self, source: SourceCells, note: str | None = None) -> None:
        self.source = source
        self.note = note
        self.fields: dict[str, FieldSource] = {}
        self.dropped: list[Dropped] = []

    def _refs(self, cited: Cited) -> list[CellRef]:
        return [cell_ref(self.source.by_id[c]) if c in self.source.by_id else CellRef(id=c) for c in cited.cells]

    def _printed(self, cited: Cited) -> str:
        return "".join(self.source.by_id[c].text for c in cited.cells if c in self.source.by_id)

    def _keep(self, path: str, cited: Cited | None) -> bool:
        if cited is None or getattr(cited, "value", None) is None:
            return False
        if not cited.cells and not cited.may_be_uncited:
            # Uncited, grounding would search the whole form: a model's value must say where it was read.
            self.dropped.append(Dropped(path=path, value=getattr(cited, "value", None), reason="no cell cited"))
            return False
        return True

    def _source(self, path: str, cited: Cited, **extra: Any) -> None:
        self.fields[path] = FieldSource(cells=self._refs(cited), printed=self._printed(cited) or None,
                                        method=MapMethod.LLM, note=self.note, **extra)

    def text(self, path: str, cited: CitedText | None, *, blank_is_null: bool = False) -> str | None:
        if not self._keep(path, cited):
            return None
        assert cited is not None and cited.value is not None
        printed = self._printed(cited)
        # Stored as printed (full-width punctuation and all) when the model copied it; else as the model gave it.
        value = clean_text(printed if norm_key(printed) == norm_key(cited.value) else cited.value)
        if parse_notation(value).is_numeric:
            value = "".join(value.split())  # "=100.00 (%)" → "=100.00(%)", as the rules mapper stores it
        if not value or (blank_is_null and is_blank(value)):
            return None
        self._source(path, cited)
        return value

    def number(self, path: str, cited: CitedNumber | None) -> Decimal | None:
        if not self._keep(path, cited):
            return None
        assert cited is not None and cited.value is not None
        value = Decimal(cited.value)
        if len(cited.cells) == 1 and cited.cells[0] in self.source.by_id:
            printed = money_of(self.source.by_id[cited.cells[0]].text)
            if printed is not None and printed == value:
                value = printed  # keep the printed precision: "10" stays 10, "10.00" stays 10.00
        self._source(path, cited)
        return value

    def year(self, cited: CitedYear | None) -> int | None:
        if not self._keep("year", cited):
            return None
        assert cited is not None
        self._source("year", cited)
        return cited.value

    def unit(self, cited: CitedMoneyUnit | None) -> str | None:
        if not self._keep("money_unit", cited):
            return None
        assert cited is not None
        self._source("money_unit", cited)
        return cited.value

    def grade(self, cited: CitedGrade | None) -> str | None:
        if not self._keep("grade", cited):
            return None
        assert cited is not None
        self._source("grade", cited)
        return cited.value

    def label(self, path: str, cited: CitedLevel1 | CitedLevel2 | None,
              level2: tuple[str, FieldSource] | None = None) -> str | None:
        if not self._keep(path, cited):
            return None
        assert cited is not None and cited.value is not None
        if not cited.cells:
            # No level1 printed: the model named the one the vocabulary puts above the level2 (checked as inferred).
            l2_value, l2_source = level2 if level2 is not None else (None, None)
            self.fields[path] = FieldSource(cells=l2_source.cells if l2_source else [], printed=None,
                                            method=MapMethod.INFERRED, note=f"一级指标 inferred from 二级指标 {l2_value}")
            return cited.value
        repair = None
        if len(cited.cells) == 1 and cited.cells[0] in self.source.by_id:
            m = match_label(self.source.by_id[cited.cells[0]].text, VocabKind.INDICATOR_LABEL)
            if m.canonical == cited.value and m.status is not MatchStatus.EXACT:
                repair = {"canonical": m.canonical, "status": m.status.value, "method": m.method, "distance": m.distance}
        self._source(path, cited, repair=repair)
        return cited.value

    def indicator(self, i: int, row: IndicatorAnswer) -> Indicator:
        p = f"indicators[{i}]"
        level2 = self.label(f"{p}.level2", row.level2)
        l2 = (level2, self.fields[f"{p}.level2"]) if level2 is not None else None
        return Indicator(
            level1=self.label(f"{p}.level1", row.level1, l2),  # type: ignore[arg-type]
            level2=level2,  # type: ignore[arg-type]
            name=self.text(f"{p}.name", row.name),
            target=self.text(f"{p}.target", row.target),
            actual=self.text(f"{p}.actual", row.actual),
            weight=self.number(f"{p}.weight", row.weight),
            score=self.number(f"{p}.score", row.score),
            deviation=self.text(f"{p}.deviation", row.deviation, blank_is_null=True),
            nature=self.text(f"{p}.nature", row.nature, blank_is_null=True),
            unit=self.text(f"{p}.unit", row.unit, blank_is_null=True),
            method=self.text(f"{p}.method", row.method, blank_is_null=True),
        )


def to_mapped(answer: FormAnswer, source: SourceCells, dropped: list[Dropped] | None = None) -> MappedForm:
    """The record an answer describes, its provenance (method llm), and a finding for each value not kept."""
    b = _Builder(source)
    extra = []
    for i, row in enumerate(answer.funds.extra):
        label = b.text(f"funds.extra[{len(extra)}].label", row.label)
        if label is None:
            b.dropped.append(Dropped(path=f"funds.extra[{i}]", value=None, reason="a fund row without its label"))
            continue
        extra.append(ExtraFundRow(label=label, **{
            col: b.number(f"funds.extra[{len(extra)}].{col}", getattr(row, col)) for col in FUND_COLUMNS}))
    funds = Funds(**{
        row: FundRow(**{col: b.number(f"funds.{row}.{col}", getattr(getattr(answer.funds, row), col))
                        for col in FUND_COLUMNS})
        for row in FUND_ROWS
    }, extra=extra)
    record = Record(
        year=b.year(answer.year),
        project_name=b.text("project_name", answer.project_name),
        project_code=b.text("project_code", answer.project_code),
        department=b.text("department", answer.department),
        implementing_unit=b.text("implementing_unit", answer.implementing_unit),
        money_unit=b.unit(answer.money_unit),  # type: ignore[arg-type]
        funds=funds,
        goals=Goals(expected=b.text("goals.expected", answer.goals.expected),
                    actual=b.text("goals.actual", answer.goals.actual)),
        indicators=[b.indicator(i, row) for i, row in enumerate(answer.indicators)],
        total_weight=b.number("total_weight", answer.total_weight),
        total_score=b.number("total_score", answer.total_score),
        reviewed_score=b.number("reviewed_score", answer.reviewed_score),
        grade=b.grade(answer.grade),  # type: ignore[arg-type]
        evaluation=Evaluation(**{key: b.text(f"evaluation.{key}", getattr(answer.evaluation, key),
                                              blank_is_null=True) for key in ("conclusion", "problems", "measures")}),
    )
    findings = [dropped_finding(d) for d in [*(dropped or []), *b.dropped]]
    provenance = Provenance(mapper=MAPPER_NAME, fields=b.fields, layout={"cells": len(source.by_id)})
    return MappedForm(record=record, provenance=provenance, findings=findings)


def apply_readings(mapped: MappedForm, readings: dict[str, CitedNumber], source: SourceCells, note: str) -> MappedForm:
    """A copy of a mapped form with some numbers read again (each with its new cell)."""
    record = mapped.record.model_copy(deep=True)
    fields = dict(mapped.provenance.fields)
    b = _Builder(source, note=note)
    for path, cited in readings.items():
        value = b.number(path, cited)
        if value is None:
            continue
        set_path(record, path, value)
        fields[path] = b.fields[path]
    provenance = mapped.provenance.model_copy(update={"fields": fields})
    return MappedForm(record=record, provenance=provenance, findings=[*mapped.findings, *map(dropped_finding, b.dropped)])
