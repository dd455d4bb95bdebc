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


# Bounds on a reviewer's value, checked before anything is computed from it: "1E-20000000" (11 bytes) once
# stored 20 MB, "1E-999999999" cost 34 s of CPU, "1E+999999999" a 500. Amounts of a form are at most billions
# of 元 with cents, rates and scores a few decimals: 18 significant digits (NUMERIC(18,4) stores 14 before the
# point), 6 decimal places.
MAX_NUMBER_CHARS = 40
MAX_DIGITS = 18
MAX_INTEGER_DIGITS = 14
MAX_DECIMAL_PLACES = 6
MAX_TEXT_CHARS = 2000  # the longest printed 指标值 or 项目名称 is a few hundred characters
YEARS = range(1900, 2201)


class CorrectionError(ExtractorError):
    """A correction that cannot be applied: an unknown field or a value of the wrong type."""

    code = "INVALID_CORRECTION"


class NumberOutOfRangeError(CorrectionError):
    """A decimal with too many digits, decimal places or too large an exponent for the field."""

    code = "NUMBER_OUT_OF_RANGE"


class TextTooLongError(CorrectionError):
    """A text value longer than any field of a form holds."""

    code = "TEXT_TOO_LONG"


def editable_paths(record: Record) -> set[str]:
    """Every leaf path of the record (the fields a reviewer may set)."""
    return {path for path, _ in iter_values(record)}


def parse_value(path: str, raw: Any) -> Any:
    """A client's value for a field: blank → null, decimals from strings or integers (never floats)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, (bool, dict, list)):
        raise CorrectionError(f"{path}: a value must be text or a number", path=path)
    if isinstance(raw, int) and not -(10**MAX_DIGITS) < raw < 10**MAX_DIGITS:  # before str(): no huge ints
        raise NumberOutOfRangeError(f"{path}: the number has more than {MAX_DIGITS} digits", path=path)
    if _DECIMAL_FIELDS.search(path):
        return _decimal(path, raw)
    if path == "year":
        text = str(raw).strip()
        if len(text) > 4 or not text.isdigit() or int(text) not in YEARS:
            raise CorrectionError(f"year: 「{text[:20]}」 is not a year between {YEARS[0]} and {YEARS[-1]}",
                                  path=path, value=text[:20])
        return int(text)
    text = str(raw).strip()
    if len(text) > MAX_TEXT_CHARS:
        raise TextTooLongError(f"{path}: {len(text)} characters, more than the {MAX_TEXT_CHARS} a field holds",
                               path=path, length=len(text), limit=MAX_TEXT_CHARS)
    return text


def _decimal(path: str, raw: Any) -> Decimal:
    """A reviewer's decimal, bounded in length, digits, decimal places and size before any arithmetic."""
    if isinstance(raw, float):
        raise CorrectionError(f"{path}: give decimals as strings (\"8.50\"), not floats", path=path)
    text = str(raw).strip().replace(",", "")
    if len(text) > MAX_NUMBER_CHARS:
        raise NumberOutOfRangeError(f"{path}: a number of at most {MAX_NUMBER_CHARS} characters", path=path,
                                    limit=MAX_NUMBER_CHARS)
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise CorrectionError(f"{path}: 「{text}」 is not a number", path=path, value=text) from exc
    if not value.is_finite():
        raise CorrectionError(f"{path}: 「{text}」 is not a number", path=path, value=text)
    # Only the tuple is looked at: no operation on a value whose exponent may be a billion.
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    places = max(0, -exponent)
    whole = max(0, len(digits) + exponent)
    if places > MAX_DECIMAL_PLACES or whole > MAX_INTEGER_DIGITS or len(digits) > MAX_DIGITS:
        raise NumberOutOfRangeError(
            f"{path}: 「{text}」 is out of range (at most {MAX_INTEGER_DIGITS} digits before the point and "
            f"{MAX_DECIMAL_PLACES} after)", path=path, value=text)
    return Decimal(int(value)) if exponent > 0 else value  # 1E+3 is kept as 1000


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
