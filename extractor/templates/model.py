"""The definition of one form family, validated: every label it adds maps onto the canonical vocabulary."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from extractor.domain.vocabulary import LEVEL1, LEVEL2, VocabKind, parent_of, vocabulary
from extractor.errors import ExtractorError

_ID = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")
# Record paths a definition may name as printed (indicators[] stands for every indicator row).
RECORD_PATHS: frozenset[str] = frozenset({
    "year", "project_name", "project_code", "department", "implementing_unit", "money_unit",
    *(f"funds.{row}.{col}" for row in ("total", "current_year", "carryover", "other")
      for col in ("initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score")),
    "goals.expected", "goals.actual",
    *(f"indicators[].{f}" for f in ("level1", "level2", "name", "target", "actual", "weight", "score", "deviation",
                                    "nature", "unit", "method")),
    "indicators", "total_weight", "total_score", "reviewed_score", "grade",
    "evaluation.conclusion", "evaluation.problems", "evaluation.measures",
})


class TemplateError(ExtractorError):
    """A template definition that cannot be used; says which file and why."""

    code = "INVALID_TEMPLATE"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cues(_Strict):
    """What identifies the family in a form's text (compared after Traditional→Simplified, without spaces)."""

    titles: list[str] = Field(default_factory=list, description="substrings of the title line")
    labels: dict[str, float] = Field(default_factory=dict, description="printed label → evidence weight")
    against: dict[str, float] = Field(default_factory=dict, description="text that speaks against the family")


class Labels(_Strict):
    """The family's own spellings, printed label → canonical label of the vocabulary."""

    form_fields: dict[str, str] = Field(default_factory=dict)
    fund_rows: dict[str, str] = Field(default_factory=dict)
    fund_columns: dict[str, str] = Field(default_factory=dict)
    goals: dict[str, str] = Field(default_factory=dict)
    indicator_columns: dict[str, str] = Field(default_factory=dict)
    indicator_labels: dict[str, str] = Field(default_factory=dict)
    sections: dict[str, str] = Field(default_factory=dict)
    evaluation: dict[str, str] = Field(default_factory=dict)

    def by_kind(self) -> dict[VocabKind, dict[str, str]]:
        """The label tables keyed by the vocabulary kind they extend."""
        return {
            VocabKind.FORM_FIELD: self.form_fields, VocabKind.FUND_ROW: self.fund_rows,
            VocabKind.FUNDS_HEADER: self.fund_columns, VocabKind.GOALS_HEADER: self.goals,
            VocabKind.INDICATOR_HEADER: self.indicator_columns, VocabKind.INDICATOR_LABEL: self.indicator_labels,
            VocabKind.SECTION: self.sections, VocabKind.EVALUATION: self.evaluation,
        }

    @model_validator(mode="after")
    def _canonical(self) -> Labels:
        for kind, table in self.by_kind().items():
            canon = set(vocabulary(kind).values())
            wrong = sorted(f"{printed} → {target}" for printed, target in table.items() if target not in canon)
            if wrong:
                raise ValueError(f"{kind.value}: not canonical labels of the vocabulary: {', '.join(wrong)}")
        return self


class Hierarchy(_Strict):
    """Where a family puts a 二级指标 under another 一级指标 than the vocabulary's (Ningxia's 项目效益 holds
    服务对象满意度指标): level2 → the further level1 values it may stand under."""

    parents: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _canonical(self) -> Hierarchy:
        for level2, parents in self.parents.items():
            if level2 not in LEVEL2 or any(p not in LEVEL1 for p in parents):
                raise ValueError(f"hierarchy: {level2} → {parents} is not a level2 → level1 of the vocabulary")
        return self


class Layout(_Strict):
    """Where the family puts what the reader cannot find by labels alone."""

    rate_basis: Literal["annual_budget", "initial_budget"] = Field(
        default="annual_budget", description="the budget the printed 执行率 divides by (Beijing: 年初预算数(A))")
    total_score_from: list[Literal["total_row", "sum_row", "header_line"]] = Field(
        default_factory=lambda: ["total_row"],
        description="total_row: 总分 | 分值 | 得分; sum_row: 合计 with one figure; header_line: 自评得分 in the head")
    grade_on: Literal["grade_row", "total_line", "none"] = "grade_row"
    project_code: bool = Field(default=False, description="a project code may precede the 项目名称")
    level1_weight_only: bool = Field(default=False, description="一级指标 cells may print only a weight: (50分)")
    money_unit: Literal["万元", "元"] | None = Field(default=None, description="when the form never says")


class TemplateDefinition(_Strict):
    """One family of the form, as data."""

    id: str
    name: str
    description: str = ""
    version: int = 1
    supported: bool = Field(default=True, description="False: recognised, never mapped (UNSUPPORTED_TEMPLATE)")
    regions: list[str] = Field(default_factory=list)
    years: str | None = None
    origin: Literal["builtin", "user", "induced"] = "builtin"
    cues: Cues = Field(default_factory=Cues)
    labels: Labels = Field(default_factory=Labels)
    layout: Layout = Field(default_factory=Layout)
    hierarchy: Hierarchy = Field(default_factory=Hierarchy)
    printed: list[str] = Field(default_factory=list, description="record paths every form of the family prints")
    provenance: dict[str, Any] = Field(default_factory=dict, description="how an induced definition was made "
                                       "and proved: layout fingerprint, model, prompt, samples, approval")

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("an id is 2–40 lower-case letters, digits, '-' or '_', starting with a letter")
        return value

    @field_validator("printed")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        unknown = [p for p in value if p not in RECORD_PATHS]
        if unknown:
            raise ValueError(f"not record paths: {', '.join(unknown)}")
        return value

    def parents_of(self, level2: str) -> tuple[str, ...]:
        """The level1 values a level2 may stand under in this family (the vocabulary's first)."""
        return (*parent_of(level2), *(p for p in self.hierarchy.parents.get(level2, ()) if p not in parent_of(level2)))

    def prints(self, path: str) -> bool:
        """Whether the family prints a record path (indicators[3].score → indicators[].score)."""
        return re.sub(r"\[\d+\]", "[]", path) in self.printed

    def to_toml(self) -> str:
        """The definition as a TOML file (what `templates export` writes and `from_file` reads back)."""
        import tomli_w

        def drop_nulls(value: Any) -> Any:  # TOML has no null: an absent key reads back as its default
            if isinstance(value, dict):
                return {k: drop_nulls(v) for k, v in value.items() if v is not None}
            if isinstance(value, list):
                return [drop_nulls(v) for v in value]
            return value

        return tomli_w.dumps(drop_nulls(self.model_dump(mode="json")))

    @classmethod
    def from_file(cls, path: Path, origin: str = "builtin") -> TemplateDefinition:
        """Read and validate a TOML definition; TemplateError names the file and the first problem."""
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise TemplateError(f"{path}: cannot read the definition: {exc}", file=str(path)) from exc
        data.setdefault("origin", origin)
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "definition"
            raise TemplateError(f"{path}: {where}: {first['msg']}", file=str(path), errors=len(exc.errors())) from exc
