"""What the model must answer for one form: every value with the ids of the cells it is printed in.

Validators run with instructor's validation context (the form's cells): a value its cited cells do not hold,
or a label the vocabulary does not give for that cell, raises, and instructor re-asks with the message. The
comparison is the checker's own (checking.grounding.align_value), so what passes here passes there.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from extractor.checking.grounding import SourceCells, align_value
from extractor.domain.numbers import money_of
from extractor.domain.repair import match_label
from extractor.domain.vocabulary import VocabKind, parent_of
from extractor.records.models import DECIMAL_PATTERN, CellRef, FieldSource, Level1, Level2, Record

_EMPTY = Record()
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


def grounding_source(info: ValidationInfo) -> SourceCells | None:
    """The cells to ground against, or None when validating without them (lenient read of a final answer)."""
    context = info.context if isinstance(info.context, dict) else None
    if context is None or context.get("lenient"):
        return None
    source = context.get("source")
    return source if isinstance(source, SourceCells) else None


def _shown(text: str) -> str:
    return " ".join(text.split())


def _as_number(value: Any) -> Any:
    """A number as the model may send it ("100.0%", "1,234.00", 10) → its printed digits; anything else as is."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        value = str(value)
    if isinstance(value, str):
        number = money_of(value)
        if number is not None:
            return format(number, "f")
    return value


class Cited(BaseModel):
    """A value and the cells it was read from."""

    model_config = ConfigDict(extra="ignore")
    cells: list[str] = Field(default_factory=list, description="ids of the cell(s) the value is printed in, e.g. ['L24C3']")

    # The record path whose comparison rule applies (grounding picks the rule by path).
    probe: ClassVar[str] = "project_name"
    may_be_uncited: ClassVar[bool] = False

    @field_validator("cells", mode="before")
    @classmethod
    def _ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list):
            return [v.strip().strip("[]") if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> Cited:
        source = grounding_source(info)
        value = getattr(self, "value", None)
        if source is None or value is None:
            return self
        if not self.cells:
            if self.may_be_uncited:
                return self
            raise ValueError(f"「{value}」 cites no cell: give the id(s) of the cell(s) it is printed in, or null")
        unknown = [c for c in self.cells if c not in source.by_id]
        if unknown:
            raise ValueError(f"cell id(s) {', '.join(unknown)} do not exist in this form; cite ids from the listing")
        src = FieldSource(cells=[CellRef(id=c) for c in self.cells])
        if align_value(self.probe, self.comparable(), src, source, _EMPTY) is None:
            raise ValueError(self.explain(source))
        return self

    def comparable(self) -> Any:
        """The value as the grounding rule compares it."""
        return getattr(self, "value", None)

    def printed(self, source: SourceCells) -> str:
        """The cited cells' text, as shown to the model."""
        return " + ".join(f"{c} 「{_shown(source.by_id[c].text)}」" for c in self.cells if c in source.by_id)

    def explain(self, source: SourceCells) -> str:
        """Why the value was refused, for the re-ask."""
        return (f"「{getattr(self, 'value', None)}」 is not what {self.printed(source)} holds: copy the text exactly as "
                f"printed (never complete, correct or invent it) and cite the cell(s) it is printed in, or return null")


class CitedText(Cited):
    """Free text, copied as printed."""

    value: str | None = Field(default=None, description="the text exactly as printed")


class CitedNumber(Cited):
    """A number as printed in one cell."""

    value: str | None = Field(default=None, pattern=DECIMAL_PATTERN, description='as printed, e.g. "148.79", "10"')
    probe: ClassVar[str] = "total_score"

    @field_validator("value", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        return _as_number(value)

    def comparable(self) -> Any:
        return Decimal(self.value) if self.value is not None else None

    def explain(self, source: SourceCells) -> str:
        if len(self.cells) != 1:
            return f"the number {self.value} must cite exactly one cell (it cites {len(self.cells)})"
        return (f"{self.value} is not the number in {self.printed(source)}: cite the one cell that prints the number "
                f"and copy it as printed (never compute or round), or return null")


class CitedAmount(CitedNumber):
    """An amount as printed in one cell, perhaps with its unit (150万 → "150")."""

    probe: ClassVar[str] = "funds.total.executed"


class CitedYear(Cited):
    """The year of `(2024 年度)`."""

    value: int | None = Field(default=None, ge=1990, le=2100)
    probe: ClassVar[str] = "year"

    def explain(self, source: SourceCells) -> str:
        return f"{self.printed(source)} does not print the year {self.value}年"


class CitedMoneyUnit(Cited):
    """The unit the funds block prints its amounts in (项目资金（万元） → 万元)."""

    value: Literal["万元", "元"] | None = None
    probe: ClassVar[str] = "money_unit"

    def explain(self, source: SourceCells) -> str:
        return f"{self.printed(source)} does not print the unit {self.value}"


class CitedGrade(Cited):
    """评分等级."""

    value: Literal["优", "良", "中", "差"] | None = None
    probe: ClassVar[str] = "grade"

    def explain(self, source: SourceCells) -> str:
        return f"{self.printed(source)} does not print the grade {self.value}"


class _CitedLabel(Cited):
    value: str | None = None  # narrowed to the vocabulary by the subclasses
    probe: ClassVar[str] = "indicators[0].level2"

    def explain(self, source: SourceCells) -> str:
        if len(self.cells) != 1:
            return f"the label {self.value} must cite the one cell that prints it"
        cell = source.by_id[self.cells[0]]
        m = match_label(cell.text, VocabKind.INDICATOR_LABEL)
        if m.canonical is not None:
            said = f"which the vocabulary reads as {m.canonical}"
        elif m.candidates:
            said = f"which could be any of {', '.join(m.candidates)}: it cannot be restored to one label"
        else:
            said = "which is no label of the vocabulary"
        return (f"{self.cells[0]} prints 「{_shown(cell.text)}」, {said}, not {self.value}: cite the cell that prints "
                f"this label, or return null when no cell names one label")


class CitedLevel1(_CitedLabel):
    """一级指标: a vocabulary label; no cell when the form prints none (then inferred from the level2)."""

    value: Level1 | None = None  # type: ignore[assignment]
    may_be_uncited: ClassVar[bool] = True
    probe: ClassVar[str] = "indicators[0].level1"


class CitedLevel2(_CitedLabel):
    """二级指标: a vocabulary label."""

    value: Level2 | None = None  # type: ignore[assignment]


class FundRowAnswer(BaseModel):
    """One row of the 项目资金 block."""

    model_config = ConfigDict(extra="ignore")
    initial_budget: CitedAmount | None = Field(default=None, description="年初预算数")
    annual_budget: CitedAmount | None = Field(default=None, description="全年预算数")
    executed: CitedAmount | None = Field(default=None, description="全年执行数")
    weight: CitedNumber | None = Field(default=None, description="分值")
    execution_rate: CitedNumber | None = Field(default=None, description="执行率")
    score: CitedNumber | None = Field(default=None, description="得分")


class ExtraFundRowAnswer(FundRowAnswer):
    """A fund row beyond the four (财政专户管理资金, 单位资金), with its label as printed."""

    label: CitedText | None = Field(default=None, description="the row's label as printed, without 其中：")


class FundsAnswer(BaseModel):
    """项目资金: four rows, and any further rows the form prints."""

    model_config = ConfigDict(extra="ignore")
    total: FundRowAnswer = Field(default_factory=FundRowAnswer, description="年度资金总额")
    current_year: FundRowAnswer = Field(default_factory=FundRowAnswer, description="其中：当年财政拨款")
    carryover: FundRowAnswer = Field(default_factory=FundRowAnswer, description="上年结转资金")
    other: FundRowAnswer = Field(default_factory=FundRowAnswer, description="其他资金")
    extra: list[ExtraFundRowAnswer] = Field(default_factory=list, description="further fund rows, printed order")


class GoalsAnswer(BaseModel):
    """年度总体目标."""

    model_config = ConfigDict(extra="ignore")
    expected: CitedText | None = Field(default=None, description="预期目标")
    actual: CitedText | None = Field(default=None, description="实际完成情况")


class IndicatorAnswer(BaseModel):
    """One 三级指标 row."""

    model_config = ConfigDict(extra="ignore")
    level1: CitedLevel1 | None = Field(default=None, description="一级指标")
    level2: CitedLevel2 | None = Field(default=None, description="二级指标")
    name: CitedText | None = Field(default=None, description="三级指标, as printed")
    target: CitedText | None = Field(default=None, description="年度指标值, as printed")
    actual: CitedText | None = Field(default=None, description="实际完成值, as printed")
    weight: CitedNumber | None = Field(default=None, description="分值")
    score: CitedNumber | None = Field(default=None, description="得分")
    deviation: CitedText | None = Field(default=None, description="偏差原因分析及改进措施")
    nature: CitedText | None = Field(default=None, description="指标性质, where printed in its own column")
    unit: CitedText | None = Field(default=None, description="度量单位, where printed in its own column")
    method: CitedText | None = Field(default=None, description="得分计算方法, where printed")

    @model_validator(mode="after")
    def _inferred_level1(self, info: ValidationInfo) -> IndicatorAnswer:
        if grounding_source(info) is None or self.level1 is None or self.level1.value is None or self.level1.cells:
            return self
        level2 = self.level2.value if self.level2 is not None else None
        if level2 is None or self.level1.value not in parent_of(level2):
            above = "/".join(parent_of(level2)) if level2 else "unknown without a level2"
            raise ValueError(f"level1 {self.level1.value} cites no cell, so it must be the one the vocabulary puts "
                             f"above level2 {level2} ({above}); cite the cell that prints it otherwise")
        return self


class EvaluationAnswer(BaseModel):
    """评价结论 / 存在问题 / 改进措施 where printed."""

    model_config = ConfigDict(extra="ignore")
    conclusion: CitedText | None = Field(default=None, description="评价结论")
    problems: CitedText | None = Field(default=None, description="存在问题")
    measures: CitedText | None = Field(default=None, description="改进措施")


class FormAnswer(BaseModel):
    """One 财政项目支出绩效自评表: every value with the id(s) of the cell(s) it is printed in; null when not printed."""

    model_config = ConfigDict(extra="ignore")
    year: CitedYear | None = Field(default=None, description="年度")
    project_name: CitedText | None = Field(default=None, description="项目名称, a code prefix included")
    project_code: CitedText | None = Field(default=None, description="a project code printed before the name")
    department: CitedText | None = Field(default=None, description="主管部门")
    implementing_unit: CitedText | None = Field(default=None, description="实施单位")
    money_unit: CitedMoneyUnit | None = Field(default=None, description="万元 or 元, as the funds header prints it")
    funds: FundsAnswer = Field(default_factory=FundsAnswer)
    goals: GoalsAnswer = Field(default_factory=GoalsAnswer)
    indicators: list[IndicatorAnswer] = Field(default_factory=list, description="one per 三级指标 row, printed order")
    total_weight: CitedNumber | None = Field(default=None, description="总分 row, 分值")
    total_score: CitedNumber | None = Field(default=None, description="总分 row, 得分 (or 合计, 自评得分)")
    reviewed_score: CitedNumber | None = Field(default=None, description="财政审核评分")
    grade: CitedGrade | None = Field(default=None, description="评分等级")
    evaluation: EvaluationAnswer = Field(default_factory=EvaluationAnswer)


class FieldReading(BaseModel):
    """One number read again."""

    model_config = ConfigDict(extra="ignore")
    path: str = Field(description="the field, as listed: e.g. indicators[4].score, funds.total.executed")
    value: str | None = Field(default=None, pattern=DECIMAL_PATTERN, description="the number as printed")
    cells: list[str] = Field(default_factory=list, description="the one cell it is printed in")

    @field_validator("value", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        return _as_number(value)

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> FieldReading:
        source = grounding_source(info)
        if source is None:
            return self
        paths = (info.context or {}).get("paths", ())
        if self.path not in paths:
            raise ValueError(f"{self.path} was not asked for; answer only {', '.join(paths)}")
        if self.value is None:
            return self
        try:  # the same check as in the first answer
            CitedNumber.model_validate({"value": self.value, "cells": self.cells}, context=info.context)
        except ValidationError as exc:
            raise ValueError(f"{self.path}: {exc.errors(include_url=False)[0]['msg']}") from None
        return self


class Rereading(BaseModel):
    """The fields read again, each with the one cell it is printed in."""

    model_config = ConfigDict(extra="ignore")
    readings: list[FieldReading] = Field(default_factory=list)


# -- reading a final answer that still fails validation ----------------------------------------------------------

# How deep a validation error's location goes before it reaches one cited value (funds.total.weight: 3).
_DEPTH = {"funds": 3, "goals": 2, "indicators": 3, "readings": 2}


class Dropped(BaseModel):
    """A value of the model's answer that could not be kept, and why."""

    path: str
    value: Any = None
    reason: str


def path_of(loc: tuple[int | str, ...]) -> str:
    """A record path from a validation location: ('indicators', 3, 'level2') → indicators[3].level2."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def answer_json(text: str) -> Any:
    """The JSON object in a model's reply (a bare object, or one inside a fenced block or prose)."""
    text = _FENCE.sub("", text.strip())
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        start, end = text.find("{"), text.rfind("}")
        if 0 <= start < end:
            return json.loads(text[start:end + 1])
        raise


def _drop(data: Any, loc: tuple[int | str, ...]) -> Any:
    """Remove the value at loc; returns what was removed."""
    holder = data
    for part in loc[:-1]:
        holder = holder[part]
    last = loc[-1]
    if isinstance(holder, list) and isinstance(last, int):
        removed, holder[last] = holder[last], {}
        return removed
    return holder.pop(last, None) if isinstance(holder, dict) else None


def read_leniently(data: Any, model: type[BaseModel]) -> tuple[BaseModel, list[Dropped]]:
    """Validate without grounding, dropping each value that does not even fit the schema (reported, not kept)."""
    if not isinstance(data, dict):
        raise ValueError(f"the answer is a JSON {type(data).__name__}, not an object")
    dropped: list[Dropped] = []
    for _ in range(200):
        try:
            return model.model_validate(data, context={"lenient": True}), dropped
        except ValidationError as exc:
            seen: set[tuple[int | str, ...]] = set()
            for error in exc.errors(include_url=False):
                loc = tuple(error["loc"])
                cut = loc[: _DEPTH.get(str(loc[0]), 1)] if loc else loc
                if not cut or cut in seen:
                    continue
                seen.add(cut)
                try:
                    removed = _drop(data, cut)
                except (KeyError, IndexError, TypeError):
                    continue
                value = removed.get("value") if isinstance(removed, dict) else removed
                dropped.append(Dropped(path=path_of(cut), value=value, reason=error["msg"]))
            if not seen:
                raise
    raise ValueError("the answer could not be read")
