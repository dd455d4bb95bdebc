"""A reviewer's correction: set one field, mark it human-made, re-run the checker on the form's grid."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from extractor.checking import check
from extractor.checking.context import context_for
from extractor.errors import ExtractorError
from extractor.layout import Grid
from extractor.records.models import (
    FieldSource,
    Finding,
    FindingCode,
    FormResult,
    FormStatus,
    MapMethod,
    Record,
    Severity,
    needs_review,
)
from extractor.records.paths import get_path, iter_values, set_path

_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
# The record's Decimal leaves (record.md): amounts, rates, weights and scores.
_DECIMAL_FIELDS = re.compile(
    r"(^|\.)(initial_budget|annual_budget|executed|weight|execution_rate|score|total_weight|total_score)$")


class CorrectionError(ExtractorError):
    """A correction that cannot be applied: an unknown field or a value of the wrong type."""

    code = "INVALID_CORRECTION"


def editable_paths(record: Record) -> set[str]:
    """Every leaf path of the record (the fields a reviewer may set)."""
    return {path for path, _ in iter_values(record)}


def parse_value(path: str, raw: Any) -> Any:
    """A client's value for a field: blank → null, decimals from strings or integers (never floats)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, (bool, dict, list)):
        raise CorrectionError(f"{path}: a value must be text or a number", path=path)
    if _DECIMAL_FIELDS.search(path):
        if isinstance(raw, float):
            raise CorrectionError(f"{path}: give decimals as strings (\"8.50\"), not floats", path=path)
        text = str(raw).strip().replace(",", "")
        try:
            value = Decimal(text)
        except InvalidOperation as exc:
            raise CorrectionError(f"{path}: 「{raw}」 is not a number", path=path, value=str(raw)) from exc
        if not value.is_finite():
            raise CorrectionError(f"{path}: 「{raw}」 is not a number", path=path, value=str(raw))
        return value
    if path == "year":
        try:
            return int(str(raw).strip())
        except ValueError as exc:
            raise CorrectionError(f"year: 「{raw}」 is not a year", path=path, value=str(raw)) from exc
    return str(raw).strip()


def recheck(form: FormResult, grid: Grid | None, corrected: set[str], previous: list[Finding]) -> FormResult:
    """The checker's verdict on an edited form; values rejected earlier and still empty stay reported."""
    result = check(form.record, form.provenance, grid, context_for(form.template))
    findings = list(result.report.findings)
    # Grounding already emptied a rejected value; re-checking would only call it "missing". Keep the reason.
    carried = [f for f in previous if f.code is FindingCode.UNGROUNDED_VALUE
               and all(p not in corrected and _value(result.record, p) is None for p in f.fields)]
    dropped = {p for f in carried for p in f.fields}
    findings = [f for f in findings if not (f.code is FindingCode.MISSING_FIELD and set(f.fields) <= dropped)]
    findings = sorted(findings + carried, key=lambda f: _ORDER[f.severity])
    status = FormStatus.NEEDS_REVIEW if needs_review(findings) else FormStatus.OK
    return form.model_copy(update={"record": result.record, "provenance": result.provenance, "findings": findings,
                                   "status": status})


def _value(record: Record, path: str) -> Any:
    try:
        return get_path(record, path)
    except (KeyError, IndexError, AttributeError):
        return None


def apply_correction(form: FormResult, path: str, raw: Any, author: str, grid: Grid | None,
                     corrected: set[str]) -> tuple[FormResult, Any, Any]:
    """Set `path` to the reviewer's value and re-check; returns the new form, the old and the new value."""
    if path not in editable_paths(form.record):
        raise CorrectionError(f"no field {path!r} in this form", path=path)
    value = parse_value(path, raw)
    record = form.record.model_copy(deep=True)
    old = get_path(record, path)
    try:
        set_path(record, path, value)  # validated: a label must be in the vocabulary, a grade one of 优良中差
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise CorrectionError(f"{path}: {first['msg']}", path=path, value=str(raw)) from exc
    new = get_path(record, path)
    provenance = form.provenance.model_copy(deep=True)
    before = provenance.fields.get(path)
    # The citation stays (the page still shows where the value sits); the method says a person set it,
    # so grounding records it as `corrected` instead of rejecting a value the scan misread.
    provenance.fields[path] = FieldSource(cells=before.cells if before else [], printed=before.printed if before else None,
                                          method=MapMethod.HUMAN, note=f"corrected by {author}")
    edited = form.model_copy(update={"record": record, "provenance": provenance})
    return recheck(edited, grid, corrected | {path}, form.findings), old, new
