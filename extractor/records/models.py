"""Record v1.1 (record.md) and the result envelope; every amount and score is a Decimal, never a float."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    computed_field,
)

from extractor.domain.vocabulary import GRADES, LEVEL1, LEVEL2, MONEY_UNITS

RECORD_VERSION = "1.1"
DECIMAL_PATTERN = r"^-?\d+(\.\d+)?$"


def _strict_decimal(value: Any) -> Any:
    # Floats lose the printed precision ("100.0" vs "100.00") and invite binary rounding: refuse them.
    if isinstance(value, float):
        raise ValueError("decimals must be given as strings, not floats")
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
    return value


DecimalStr = Annotated[
    Decimal,
    BeforeValidator(_strict_decimal),
    PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": DECIMAL_PATTERN}),
]

# Derived from the vocabulary (the one source of labels): a label outside it cannot enter a record.
Level1 = Literal[LEVEL1]  # type: ignore[valid-type]
Level2 = Literal[LEVEL2]  # type: ignore[valid-type]
Grade = Literal[GRADES]  # type: ignore[valid-type]
MoneyUnit = Literal[MONEY_UNITS]  # type: ignore[valid-type]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class FundRow(_Strict):
    """One row of the 项目资金 block; a printed `—`, `-` or blank is null."""

    initial_budget: DecimalStr | None = Field(default=None, description="年初预算数")
    annual_budget: DecimalStr | None = Field(default=None, description="全年预算数")
    executed: DecimalStr | None = Field(default=None, description="全年执行数")
    weight: DecimalStr | None = Field(default=None, description="分值")
    execution_rate: DecimalStr | None = Field(default=None, description="执行率")
    score: DecimalStr | None = Field(default=None, description="得分")


class ExtraFundRow(FundRow):
    """(v1.1) A fund row beyond the four (财政专户管理资金, 单位资金), with its label as printed."""

    label: str = Field(description="the row's label as printed (without 其中：)")


class Funds(_Strict):
    """项目资金（万元）: four rows, and (v1.1) the rows some families print beyond them."""

    total: FundRow = Field(default_factory=FundRow, description="年度资金总额")
    current_year: FundRow = Field(default_factory=FundRow, description="其中：当年财政拨款")
    carryover: FundRow = Field(default_factory=FundRow, description="上年结转资金")
    other: FundRow = Field(default_factory=FundRow, description="其他资金")
    extra: list[ExtraFundRow] = Field(default_factory=list, description="(v1.1) further fund rows, printed order")


class Goals(_Strict):
    """年度总体目标."""

    expected: str | None = Field(default=None, description="预期目标")
    actual: str | None = Field(default=None, description="实际完成情况")


class Indicator(_Strict):
    """One 三级指标 row, in printed order."""

    level1: Level1 | None = Field(default=None, description="一级指标 (canonical)")
    level2: Level2 | None = Field(default=None, description="二级指标 (canonical)")
    name: str | None = Field(default=None, description="三级指标, as printed")
    target: str | None = Field(default=None, description="年度指标值, as printed (split columns joined)")
    actual: str | None = Field(default=None, description="实际完成值, as printed")
    weight: DecimalStr | None = Field(default=None, description="分值")
    score: DecimalStr | None = Field(default=None, description="得分")
    deviation: str | None = Field(default=None, description="偏差原因分析及改进措施")
    nature: str | None = Field(default=None, description="(v1.1) 指标性质 where printed in its own column")
    unit: str | None = Field(default=None, description="(v1.1) 度量单位 where printed in its own column")
    method: str | None = Field(default=None, description="(v1.1) 得分计算方法 where printed")


class Evaluation(_Strict):
    """(v1.1) The closing block some families print."""

    conclusion: str | None = Field(default=None, description="评价结论")
    problems: str | None = Field(default=None, description="存在问题")
    measures: str | None = Field(default=None, description="改进措施")


class Record(_Strict):
    """One 财政项目支出绩效自评表 (record v1.1); null where a value could not be read or was rejected."""

    year: int | None = Field(default=None, description="年度")
    project_name: str | None = Field(default=None, description="项目名称, as printed (a code prefix included)")
    project_code: str | None = Field(default=None, description="(v1.1) project code printed in or before 项目名称")
    department: str | None = Field(default=None, description="主管部门")
    implementing_unit: str | None = Field(default=None, description="实施单位")
    money_unit: MoneyUnit | None = Field(default=None, description="(v1.1) unit of the 项目资金 amounts: 万元 or 元")
    funds: Funds = Field(default_factory=Funds)
    goals: Goals = Field(default_factory=Goals)
    indicators: list[Indicator] = Field(default_factory=list)
    total_weight: DecimalStr | None = Field(default=None, description="总分 row, 分值 column")
    total_score: DecimalStr | None = Field(default=None, description="总分 row, 得分 column (or 合计, 自评得分)")
    reviewed_score: DecimalStr | None = Field(default=None, description="(v1.1) 财政审核评分")
    grade: Grade | None = Field(default=None, description="评分等级")
    evaluation: Evaluation = Field(default_factory=Evaluation, description="(v1.1) 评价结论 / 存在问题 / 改进措施")


class Severity(StrEnum):
    """How much a finding matters: an error makes the form need review."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class FindingCode(StrEnum):
    """The finding codes of record.md (part of the contract)."""

    WEIGHT_SUM = "WEIGHT_SUM"
    SCORE_SUM = "SCORE_SUM"
    SCORE_EXCEEDS_WEIGHT = "SCORE_EXCEEDS_WEIGHT"
    GRADE_MISMATCH = "GRADE_MISMATCH"
    FUND_COMPONENTS = "FUND_COMPONENTS"
    EXECUTION_RATE = "EXECUTION_RATE"
    BUDGET_SCORE = "BUDGET_SCORE"
    OVER_EXECUTION = "OVER_EXECUTION"
    DEDUCTION_WITHOUT_REASON = "DEDUCTION_WITHOUT_REASON"
    ACHIEVED_BUT_DEDUCTED = "ACHIEVED_BUT_DEDUCTED"
    MISSED_BUT_FULL_SCORE = "MISSED_BUT_FULL_SCORE"
    LEVEL_MISMATCH = "LEVEL_MISMATCH"
    LABEL_REPAIRED = "LABEL_REPAIRED"
    UNGROUNDED_VALUE = "UNGROUNDED_VALUE"
    MISSING_FIELD = "MISSING_FIELD"
    LOW_CONFIDENCE = "LOW_CONFIDENCE"


SEVERITY: dict[FindingCode, Severity] = {
    FindingCode.WEIGHT_SUM: Severity.ERROR,
    FindingCode.SCORE_SUM: Severity.ERROR,
    FindingCode.SCORE_EXCEEDS_WEIGHT: Severity.ERROR,
    FindingCode.GRADE_MISMATCH: Severity.ERROR,
    FindingCode.FUND_COMPONENTS: Severity.ERROR,
    FindingCode.EXECUTION_RATE: Severity.ERROR,
    FindingCode.BUDGET_SCORE: Severity.ERROR,
    FindingCode.OVER_EXECUTION: Severity.WARNING,
    FindingCode.DEDUCTION_WITHOUT_REASON: Severity.WARNING,
    FindingCode.ACHIEVED_BUT_DEDUCTED: Severity.WARNING,
    FindingCode.MISSED_BUT_FULL_SCORE: Severity.WARNING,
    FindingCode.LEVEL_MISMATCH: Severity.WARNING,
    FindingCode.LABEL_REPAIRED: Severity.INFO,
    FindingCode.UNGROUNDED_VALUE: Severity.ERROR,
    FindingCode.MISSING_FIELD: Severity.ERROR,
    FindingCode.LOW_CONFIDENCE: Severity.WARNING,
}

# Codes that send a form to review whatever their severity (record.md: no error and no LOW_CONFIDENCE is ok).
REVIEW_CODES: frozenset[FindingCode] = frozenset({FindingCode.LOW_CONFIDENCE})


def needs_review(findings: list[Finding]) -> bool:
    """True when a finding keeps the form from being ok: an error, or an uncertain reading."""
    return any(f.severity is Severity.ERROR or f.code in REVIEW_CODES for f in findings)


class Finding(BaseModel):
    """One thing the checker found, with the record fields it concerns."""

    code: FindingCode
    severity: Severity
    message: str
    fields: list[str] = Field(default_factory=list)
    data: dict[str, Any] | None = Field(default=None, description="figures behind the finding (expected, printed, …)")

    @classmethod
    def of(cls, code: FindingCode, message: str, fields: list[str], **data: Any) -> Finding:
        """A finding with the contract's severity for its code."""
        return cls(code=code, severity=SEVERITY[code], message=message, fields=fields, data=data or None)


class Alignment(StrEnum):
    """How a record value was found in the source (langextract's AlignmentStatus, per field)."""

    EXACT = "exact"
    NORMALISED = "normalised"
    REPAIRED = "repaired"
    INFERRED = "inferred"
    CORRECTED = "corrected"  # set by a human reviewer
    UNGROUNDED = "ungrounded"


class MapMethod(StrEnum):
    """How the mapper obtained a value."""

    RULE = "rule"
    LLM = "llm"
    REPAIRED = "repaired"
    SYNONYM = "synonym"
    CARRIED = "carried"  # a merged cell above (level1/level2 printed once for several rows)
    INFERRED = "inferred"  # level1 from the level2 vocabulary
    POSITIONAL = "positional"  # value found by its place, its label missing
    HUMAN = "human"


class CellRef(BaseModel):
    """Where a value sits in the source."""

    id: str
    line: int | None = None
    column: int | None = Field(default=None, description="1-based column of a text export")
    page: int | None = None
    bbox: tuple[float, float, float, float] | None = None
    text: str | None = Field(default=None, description="the cell's printed text")


class FieldSource(BaseModel):
    """Provenance of one record field."""

    cells: list[CellRef] = Field(default_factory=list)
    printed: str | None = None
    method: MapMethod = MapMethod.RULE
    alignment: Alignment | None = None
    note: str | None = None
    repair: dict[str, Any] | None = Field(default=None, description="label repair evidence: canonical, method, distance")
    confidence: float | None = Field(default=None, description="OCR: the recogniser's probability of the value's "
                                     "weakest character (None: not read by OCR)")


class Provenance(BaseModel):
    """Record field path → where it came from, plus what the mapper knew of the layout."""

    mapper: str = "rules"
    fields: dict[str, FieldSource] = Field(default_factory=dict)
    layout: dict[str, Any] = Field(default_factory=dict)
    unmapped_rows: list[list[str]] = Field(default_factory=list, description="printed rows no rule understood")
    llm: dict[str, Any] | None = Field(default=None, description="model, prompt hash, token usage, requests")


class FormStatus(StrEnum):
    """ok: no error finding; needs_review: at least one."""

    OK = "ok"
    NEEDS_REVIEW = "needs_review"


class DocumentStatus(StrEnum):
    """ok: every form read; partial: some part could not be read; failed: nothing could be read."""

    OK = "ok"
    PARTIAL = "partial"
    FAILED = "failed"


class FormResult(BaseModel):
    """One form of a document: its record, the checker's findings and the provenance."""

    index: int
    pages: list[int] = Field(default_factory=list)
    lines: tuple[int, int] | None = Field(default=None, description="first and last line in a text export")
    status: FormStatus
    template: str | None = Field(default=None, description="(v1.1) the form family it was read as (templates.md)")
    record: Record
    findings: list[Finding] = Field(default_factory=list)
    provenance: Provenance = Field(default_factory=Provenance)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def has_errors(self) -> bool:
        """True when a finding of error severity is present."""
        return any(f.severity is Severity.ERROR for f in self.findings)


class DocumentResult(BaseModel):
    """One input file and the forms read from it."""

    source: str
    sha256: str | None = None
    kind: str | None = Field(default=None, description="text_export | pdf | image")
    status: DocumentStatus
    error: dict[str, Any] | None = None
    pages: int | None = None
    forms: list[FormResult] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict, description="seconds per stage")


class ResultEnvelope(BaseModel):
    """What `extractor run --format json` prints and the API returns."""

    version: str = RECORD_VERSION
    documents: list[DocumentResult] = Field(default_factory=list)
