"""Rules on indicator rows: deductions, achievement against the target, level placement, repaired labels."""

from __future__ import annotations

from extractor.checking.context import DEFAULT_CONTEXT, CheckContext
from extractor.domain.notation import meets_target, parse_notation
from extractor.domain.text import is_blank
from extractor.domain.vocabulary import parent_of
from extractor.records.models import Finding, FindingCode, MapMethod, Provenance, Record


def _deducted(weight: object, score: object) -> bool:
    return weight is not None and score is not None and score < weight  # type: ignore[operator]


def deduction_without_reason(record: Record) -> list[Finding]:
    """得分 < 分值 needs a 偏差原因分析及改进措施."""
    findings = []
    for i, ind in enumerate(record.indicators):
        if _deducted(ind.weight, ind.score) and (ind.deviation is None or is_blank(ind.deviation) or ind.deviation == "无"):
            findings.append(Finding.of(FindingCode.DEDUCTION_WITHOUT_REASON,
                                       f"「{ind.name}」扣分（{ind.score}/{ind.weight}）但未填写偏差原因",
                                       [f"indicators[{i}].score", f"indicators[{i}].deviation"]))
    return findings


def achieved_but_deducted(record: Record) -> list[Finding]:
    """The actual value meets the target (or says 达成), yet points were deducted."""
    findings = []
    for i, ind in enumerate(record.indicators):
        if not _deducted(ind.weight, ind.score) or ind.actual is None:
            continue
        if meets_target(parse_notation(ind.target), parse_notation(ind.actual)):
            findings.append(Finding.of(
                FindingCode.ACHIEVED_BUT_DEDUCTED,
                f"「{ind.name}」实际完成值「{ind.actual}」已达到指标值「{ind.target}」，却只得 {ind.score}/{ind.weight}",
                [f"indicators[{i}].actual", f"indicators[{i}].score"],
            ))
    return findings


def missed_but_full_score(record: Record) -> list[Finding]:
    """A numeric target missed, yet full marks."""
    findings = []
    for i, ind in enumerate(record.indicators):
        if ind.weight is None or ind.score is None or ind.score != ind.weight:
            continue
        target, actual = parse_notation(ind.target), parse_notation(ind.actual)
        if target.is_numeric and actual.is_numeric and meets_target(target, actual) is False:
            findings.append(Finding.of(
                FindingCode.MISSED_BUT_FULL_SCORE,
                f"「{ind.name}」实际完成值「{ind.actual}」未达到指标值「{ind.target}」，却得满分 {ind.score}",
                [f"indicators[{i}].actual", f"indicators[{i}].score"],
            ))
    return findings


def level_mismatch(record: Record, provenance: Provenance | None,
                   context: CheckContext = DEFAULT_CONTEXT) -> list[Finding]:
    """A level2 printed under a level1 it does not belong to (an inferred level1 cannot mismatch)."""
    findings = []
    fields = provenance.fields if provenance is not None else {}
    for i, ind in enumerate(record.indicators):
        if ind.level1 is None or ind.level2 is None or ind.level1 in context.parents_of(ind.level2):
            continue
        src = fields.get(f"indicators[{i}].level1")
        if src is not None and src.method is MapMethod.INFERRED:
            continue
        findings.append(Finding.of(
            FindingCode.LEVEL_MISMATCH,
            f"二级指标「{ind.level2}」应属于「{'/'.join(parent_of(ind.level2))}」，表上列在「{ind.level1}」下",
            [f"indicators[{i}].level1", f"indicators[{i}].level2"],
        ))
    return findings


def label_repaired(record: Record, provenance: Provenance | None) -> list[Finding]:
    """Each label restored from the vocabulary, with its printed text beside the canonical one."""
    if provenance is None:
        return []
    findings = []
    for path, src in provenance.fields.items():
        # Whoever mapped it (rules or LLM), a label restored from the vocabulary carries its repair evidence.
        repaired = src.method is MapMethod.REPAIRED or (src.repair or {}).get("status") == "repaired"
        if not repaired or src.repair is None:
            continue
        canonical = src.repair.get("canonical")
        findings.append(Finding.of(FindingCode.LABEL_REPAIRED, f"标签「{src.printed}」已补全为「{canonical}」",
                                   [path], printed=src.printed, canonical=canonical, method=src.repair.get("method")))
    return findings
