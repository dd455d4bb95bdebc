"""Run every rule on a record: grounding first, then the arithmetic; the report says what needs review."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, Field, computed_field

from extractor.checking import completeness, doubts, funds, indicators, readings, totals
from extractor.checking.context import DEFAULT_CONTEXT, CheckContext
from extractor.checking.grounding import SourceCells, ground
from extractor.layout import Grid
from extractor.records.models import (
    Alignment,
    Finding,
    FindingCode,
    FormStatus,
    Provenance,
    Record,
    Severity,
    needs_review,
)

RecordRule = Callable[[Record], list[Finding]]
ProvenanceRule = Callable[[Record, Provenance | None], list[Finding]]

# The rules, in the order their findings are listed; each is one small function of its own module.
RECORD_RULES: tuple[RecordRule, ...] = (
    totals.weight_sum,
    totals.score_sum,
    totals.score_exceeds_weight,
    totals.grade_mismatch,
    funds.fund_components,
    funds.execution_rate,
    funds.budget_score,
    funds.over_execution,
    indicators.deduction_without_reason,
    indicators.achieved_but_deducted,
    indicators.missed_but_full_score,
    readings.unreadable_characters,
)
PROVENANCE_RULES: tuple[ProvenanceRule, ...] = (indicators.level_mismatch, indicators.label_repaired)
# Rules whose arithmetic depends on the form's family (the budget a rate divides by, a funds block unscored).
_FAMILY_RULES = frozenset({totals.weight_sum, totals.score_sum, funds.execution_rate, funds.budget_score,
                           funds.over_execution})
_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


class Report(BaseModel):
    """The checker's verdict on one record."""

    findings: list[Finding] = Field(default_factory=list)
    alignment: dict[str, Alignment] = Field(default_factory=dict)
    grounded: bool = Field(default=True, description="False when no source was available to ground against")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def has_errors(self) -> bool:
        """True when a finding of error severity is present."""
        return any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def status(self) -> FormStatus:
        """ok, or needs_review when there is an error."""
        return FormStatus.NEEDS_REVIEW if needs_review(self.findings) else FormStatus.OK

    def codes(self, severity: Severity | str | None = None) -> set[str]:
        """The finding codes present (optionally of one severity)."""
        return {f.code.value for f in self.findings if severity is None or f.severity == severity}


class CheckResult(BaseModel):
    """The record as kept (ungrounded values removed), its provenance with alignment, and the report."""

    record: Record
    provenance: Provenance
    report: Report


def check(record: Record, provenance: Provenance | None = None, source: Grid | SourceCells | None = None,
          context: CheckContext = DEFAULT_CONTEXT) -> CheckResult:
    """Ground the record in its source (when given), then run every rule on what was kept."""
    provenance = provenance if provenance is not None else Provenance(mapper="unknown")
    findings: list[Finding] = []
    rejected: list[str] = []
    alignment: dict[str, Alignment] = {}
    kept = record
    cells: SourceCells | None = None
    if source is not None:
        cells = source if isinstance(source, SourceCells) else SourceCells.of(source)
        grounding = ground(record, provenance, cells)
        kept, alignment = grounding.record, grounding.alignment
        findings += grounding.findings
        rejected = list(grounding.rejected)
        # A new provenance carrying each field's alignment; the caller's object is left as it was.
        provenance = provenance.model_copy(update={"fields": {
            path: src.model_copy(update={"alignment": alignment.get(path)}) for path, src in provenance.fields.items()
        }})
        # An OCR reading that breaks its field's shape: the one candidate of the right shape, or a finding.
        shaped = doubts.repair_shapes(kept, provenance, cells)
        kept, provenance = shaped.record, doubts.with_confidence(shaped.provenance, cells)
        findings += shaped.findings
    for rule in RECORD_RULES:
        findings += rule(kept, context) if rule in _FAMILY_RULES else rule(kept)  # type: ignore[call-arg]
    for prule in PROVENANCE_RULES:
        findings += prule(kept, provenance, context) if prule is indicators.level_mismatch else prule(kept, provenance)  # type: ignore[call-arg]
    findings += completeness.missing_field(kept, provenance, rejected, context)
    if cells is not None:
        settled = {p for f in findings if f.code in (FindingCode.MISSING_FIELD, FindingCode.UNGROUNDED_VALUE,
                                                     FindingCode.LOW_CONFIDENCE) for p in f.fields}
        findings += doubts.doubtful_values(kept, provenance, cells, context, settled)
    findings.sort(key=lambda f: _ORDER[f.severity])
    report = Report(findings=findings, alignment=alignment, grounded=source is not None)
    return CheckResult(record=kept, provenance=provenance, report=report)
