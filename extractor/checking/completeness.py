"""MISSING_FIELD: a field the form's family prints that could not be read."""

from __future__ import annotations

import re
from collections.abc import Iterable

from extractor.checking.context import DEFAULT_CONTEXT, CheckContext
from extractor.domain.vocabulary import field_name
from extractor.records.models import Finding, FindingCode, Provenance, Record
from extractor.records.paths import iter_values

# What every form prints when its family is not known (the central form's essentials).
REQUIRED = ("year", "project_name", "department", "implementing_unit", "total_weight", "total_score", "grade")
REQUIRED_FUNDS = ("funds.total.annual_budget", "funds.total.executed")
REQUIRED_INDICATOR = ("level1", "level2", "name", "target", "actual", "weight", "score")
# Fields that may be printed blank without anything being missing: a blank 偏差原因 says no deduction was made.
_BLANK_ALLOWED = re.compile(r"^(funds\.(current_year|carryover|other)\.|indicators\[\d+\]\.(target|actual)$)")
_INDEX = re.compile(r"\[\d+\]")


def _required(context: CheckContext) -> set[str]:
    if context.printed:
        return set(context.printed)
    return {*REQUIRED, *REQUIRED_FUNDS, "indicators", *(f"indicators[].{a}" for a in REQUIRED_INDICATOR)}


def _missing(record: Record, required: set[str]) -> Iterable[str]:
    if "indicators" in required and not record.indicators:
        yield "indicators"
    for path, value in iter_values(record):
        if value is None and _INDEX.sub("[]", path) in required:
            yield path


def missing_field(record: Record, provenance: Provenance | None, rejected: Iterable[str] = (),
                  context: CheckContext = DEFAULT_CONTEXT) -> list[Finding]:
    """One finding per printed field that is null (values rejected by grounding are reported there).

    A null read from a cell printed empty (`—`, `/`, nothing) is the form's own blank: it is missing only where
    the field is one a completed form must fill in (the head, the totals, the scores), not where a blank is an
    ordinary answer (a sub-row's amounts, a qualitative indicator's target).
    """
    skip = set(rejected)
    findings = []
    for path in _missing(record, _required(context)):
        if path in skip:
            continue
        src = provenance.fields.get(path) if provenance is not None else None
        blank = src is not None and src.note == "printed blank"
        if blank and _BLANK_ALLOWED.match(path):
            continue
        printed = src.printed if src is not None else None
        if blank:
            hint = "（原表此处为空）"
        else:
            hint = f"（印为「{printed}」，无法识别）" if printed else ""
        name = "绩效指标" if path == "indicators" else field_name(path)
        findings.append(Finding.of(FindingCode.MISSING_FIELD, f"未能读取{name}{hint}", [path]))
    return findings
