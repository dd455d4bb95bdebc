"""LOW_CONFIDENCE on scans: a value read by OCR is kept unreviewed only when its reading is certain.

Evidence, in the order it is weighed, for each value read from an OCR cell:

1. **Shape** (domain/shapes.py). A reading that breaks its field's shape is never kept as it is. Where exactly
   one of the recogniser's own candidates (its runner-up characters, a character it nearly read, a character a
   clean-up removed, the second reading) has the shape, that candidate is taken and the repair recorded; with
   none or several, the value is LOW_CONFIDENCE holding the candidates.
2. **Confidence.** A value whose weakest character is below its class's threshold (calibrated on generated
   scans: scripts/calibrate_ocr.py), or with a character nearly read inside it, is doubtful, but only when a
   candidate of the right shape exists: a `0` whose only runner-up is `O` in a money cell doubts nothing.
3. **Arithmetic.** A doubtful number that makes the checker's arithmetic hold (rate = executed ÷ budget, a sum)
   is certain: a misreading that happens to keep a sum right is far rarer than a middling score.
4. **A second reading** (ingest/rereading.py). Agreement makes a doubtful value certain; a second reading that
   differs makes it LOW_CONFIDENCE with both readings as candidates.

Ink the recogniser could not read (a cell left empty by it) behind a null value is MISSING_FIELD, never the
form's own blank.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from extractor.checking import funds, totals
from extractor.checking.context import DEFAULT_CONTEXT, CheckContext
from extractor.checking.grounding import SourceCells
from extractor.checking.tolerance import half_unit, rate_tolerance, round2
from extractor.domain.numbers import money_of, number_of
from extractor.domain.shapes import FieldClass, field_class, fits
from extractor.domain.text import clean_text, is_blank, norm_key
from extractor.domain.vocabulary import field_name
from extractor.layout import Cell, Doubt
from extractor.records.models import FieldSource, Finding, FindingCode, Provenance, Record
from extractor.records.paths import get_path, iter_values, set_path

# Below this probability a character is not kept unreviewed (per class; the calibration behind each is in
# docs/scans.md). Free text is judged on its shape only where it has one; its characters on these thresholds.
THRESHOLDS: dict[FieldClass, float] = {
    FieldClass.MONEY: 0.90,
    FieldClass.SCORE: 0.90,
    FieldClass.PERCENT: 0.90,
    FieldClass.TARGET: 0.90,
    FieldClass.GRADE: 0.90,
    FieldClass.YEAR: 0.90,
    FieldClass.CODE: 0.90,
    FieldClass.NAME: 0.80,
    FieldClass.TEXT: 0.80,
    FieldClass.NATURE: 0.90,
    FieldClass.LABEL: 0.0,  # a label is repaired to the vocabulary; its own rules report what cannot be
}
CERTAIN = 0.985  # ocr/reading.py: a character at or above it with no runner-up is not kept as a doubt
_NUMERIC = {FieldClass.MONEY, FieldClass.SCORE, FieldClass.PERCENT}
_MAX_DOUBTS = 4  # the weakest places a candidate may change (3^4 readings at most)


@dataclass(frozen=True)
class _Span:
    """Where a value sits in its OCR cell: the printed text and the doubts inside it (positions from 0)."""

    cell: Cell
    text: str
    doubts: tuple[Doubt, ...]
    whole: bool


def _ocr_cells(cells: SourceCells, src: FieldSource | None) -> list[Cell]:
    if src is None:
        return []
    found = [cells.by_id.get(ref.id.split("#", 1)[0]) for ref in src.cells]
    return [c for c in found if c is not None and (c.confidence is not None or c.unread)]


def _span(cell: Cell, printed: str | None) -> _Span:
    """The value's part of the cell (the whole cell when its printed text cannot be placed)."""
    text = cell.text
    if printed and printed != text and printed in text:
        start = text.index(printed)
        end = start + len(printed)
        inside = tuple(d.model_copy(update={"at": d.at - start}) for d in cell.doubts
                       if start <= d.at < end or (not d.char and d.at == end))
        return _Span(cell, printed, inside, False)
    return _Span(cell, text, tuple(cell.doubts), True)


def _places(span: _Span) -> list[tuple[Doubt, list[str]]]:
    """Each doubt with the texts its place may hold (what was read first), the weakest first."""
    places = []
    for d in sorted(span.doubts, key=lambda d: d.prob)[:_MAX_DOUBTS]:
        if d.char:
            if d.at >= len(span.text) or span.text[d.at] != d.char:
                continue  # the cell's text changed after reading (a later clean-up): the doubt no longer applies
            places.append((d, [d.char, *[o for o in d.options if o != d.char]]))
        else:
            places.append((d, ["", *d.options]))
    return places


def candidates(span: _Span, below: float = 1.01) -> list[str]:
    """Readings of the span the recogniser's doubts allow (doubts with probability below `below`), first the read one."""
    places = [(d, opts) for d, opts in _places(span) if d.prob < below]
    out = [span.text]
    for choice in itertools.product(*(opts for _, opts in places)):
        text = span.text
        # Apply right to left so earlier positions stay valid.
        for (d, _), pick in sorted(zip(places, choice, strict=True), key=lambda pc: -pc[0][0].at):
            if d.char:
                text = text[:d.at] + pick + text[d.at + 1:]
            else:
                text = text[:d.at] + pick + text[d.at:]
        if text not in out:
            out.append(text)
    return out


def _value_of(cls: FieldClass, text: str) -> Any:
    """The record value a candidate reading stands for (None: not one the field can hold)."""
    if cls is FieldClass.MONEY:
        return money_of(text)
    if cls in (FieldClass.SCORE, FieldClass.PERCENT):
        return number_of(text.replace("(%)", "%"))
    if cls is FieldClass.YEAR:
        digits = norm_key(text)[:4]
        return int(digits) if digits.isdigit() else None
    return clean_text(text) or None


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a == b
    return norm_key(str(a)) == norm_key(str(b))


def _differs(cls: FieldClass, value: Any, texts: list[str]) -> list[str]:
    """Candidate texts of the right shape whose value differs from `value`."""
    out = []
    for text in texts:
        if not fits(cls, text):
            continue
        if is_blank(text):  # a printed "nothing" (/, —) read as a value, or the other way round
            if value is not None and text not in out:
                out.append(text)
            continue
        other = _value_of(cls, text)
        if other is not None and not _same(other, value) and text not in out:
            out.append(text)
    return out


def proven(record: Record, context: CheckContext = DEFAULT_CONTEXT) -> set[str]:
    """Number paths that take part in an arithmetic rule that holds (every number in it read)."""
    out: set[str] = set()
    for key in funds.ROWS:
        row = getattr(record.funds, key)
        rate = funds.computed_rate(row, context.rate_basis)
        if rate is not None and row.execution_rate is not None:
            tolerance = rate_tolerance(row.execution_rate)
            if min(abs(row.execution_rate - min(rate, funds.HUNDRED)), abs(row.execution_rate - rate)) <= tolerance:
                basis = "initial_budget" if funds.budget_of(row, context.rate_basis) is row.initial_budget \
                    and row.initial_budget is not row.annual_budget else "annual_budget"
                out |= {f"funds.{key}.executed", f"funds.{key}.execution_rate", f"funds.{key}.{basis}"}
    for column in funds.COLUMN_NAMES:
        total = getattr(record.funds.total, column)
        parts = {f"funds.{key}.{column}": getattr(getattr(record.funds, key), column) for key in funds.ROWS[1:]}
        parts |= {f"funds.extra[{i}].{column}": getattr(row, column) for i, row in enumerate(record.funds.extra)}
        present = {p: v for p, v in parts.items() if v is not None}
        if total is not None and len(present) >= 1 and sum(present.values(), Decimal(0)) == total and any(present.values()):
            out |= {f"funds.total.{column}", *present}
    for attr, total_path in (("weight", "total_weight"), ("score", "total_score")):
        total = getattr(record, total_path)
        members = {f"indicators[{i}].{attr}": getattr(ind, attr) for i, ind in enumerate(record.indicators)}
        if getattr(record.funds.total, attr) is not None:
            members[f"funds.total.{attr}"] = getattr(record.funds.total, attr)
        if total is None or not record.indicators or any(v is None for v in members.values()):
            continue
        if abs(sum(members.values(), Decimal(0)) - total) <= half_unit(total):
            out |= {total_path, *members}
    row = record.funds.total
    if row.weight is not None and row.score is not None and row.execution_rate is not None and row.score != row.weight \
            and abs(row.score - round2(min(row.execution_rate, funds.HUNDRED) / funds.HUNDRED * row.weight)) \
            <= rate_tolerance(row.score):
        out.add("funds.total.score")
    if record.grade is not None and record.total_score is not None and "total_score" in out \
            and totals.expected_grade(record.total_score) == record.grade:
        out.add("grade")
    return out


@dataclass
class Verdict:
    """What the doubts pass decided: the record as kept (shape repairs applied), its provenance, its findings."""

    record: Record
    provenance: Provenance
    findings: list[Finding]


def _finding(path: str, printed: str, reason: str, options: list[str], cell: Cell) -> Finding:
    name = field_name(path)
    listed = "、".join(f"「{o}」" for o in options)
    why = {"shape": "不符合该栏的格式", "low_confidence": "识别把握不足", "readings_disagree": "两次识别结果不一致",
           "unread": "有字迹但未能识别"}[reason]
    return Finding.of(FindingCode.LOW_CONFIDENCE, f"{name}「{printed}」{why}，可能为 {listed} / OCR reading uncertain",
                      [path], candidates=options, reason=reason, cell=cell.id,
                      bbox=list(cell.bbox) if cell.bbox else None, page=cell.page)


def repair_shapes(record: Record, provenance: Provenance, cells: SourceCells) -> Verdict:
    """Take the one reading of the right shape where the read one has not; flag where there is none or several."""
    findings: list[Finding] = []
    kept = record
    fields = dict(provenance.fields)
    for path, value in list(iter_values(record)):
        cls = field_class(path)
        if value is None or cls is FieldClass.LABEL:
            continue
        src = provenance.fields.get(path)
        ocr = _ocr_cells(cells, src)
        if len(ocr) != 1:
            continue
        span = _span(ocr[0], src.printed if src else None)
        if fits(cls, span.text):
            continue
        texts = candidates(span)
        if span.cell.second:
            texts.append(span.cell.second if span.whole else span.text)
        good = list(dict.fromkeys(t for t in texts if fits(cls, t) and _value_of(cls, t) is not None))
        derived = _value_of(cls, span.text)
        if len(good) == 1 and derived is not None and _same(derived, value):
            repaired = _value_of(cls, good[0])
            if kept is record:
                kept = Record.model_validate(record.model_dump())
            set_path(kept, path, repaired)
            assert src is not None
            fields[path] = src.model_copy(update={"repair": {"method": "shape", "read": span.text, "kept": good[0]}})
            continue
        findings.append(_finding(path, span.text, "shape", good or [span.text], span.cell))
    return Verdict(kept, provenance.model_copy(update={"fields": fields}), findings)


def _rivals(cls: FieldClass, value: Any, value_text: str, spans: list[_Span], threshold: float) -> list[str]:
    """Readings of the value its cells' doubts below `threshold` allow that have the right shape and differ."""
    out: list[str] = []
    for span in spans:
        if span.text not in value_text:
            continue
        for text in candidates(span, below=threshold)[1:]:
            out += _differs(cls, value, [value_text.replace(span.text, text, 1)])
    return list(dict.fromkeys(out))


def _second(cls: FieldClass, value: Any, value_text: str, spans: list[_Span]) -> str | None:
    """The value as a differing second reading of its cells reads it (None: read once, agreed, or same value)."""
    text = value_text
    for span in spans:
        cell = span.cell
        if cell.agreed is False and cell.second and span.text in text:
            text = text.replace(span.text, cell.second if span.whole else span.text, 1)
    if text == value_text or not fits(cls, text):
        return None  # the same, or garbled: a second reading of the wrong shape is no evidence either way
    other = _value_of(cls, text)
    return None if other is not None and _same(other, value) else text


def doubtful_values(record: Record, provenance: Provenance, cells: SourceCells,
                    context: CheckContext = DEFAULT_CONTEXT, flagged: set[str] | None = None) -> list[Finding]:
    """LOW_CONFIDENCE for each uncertain value no evidence settles; MISSING_FIELD for ink left unread."""
    findings: list[Finding] = []
    done = set(flagged or ())
    sure = proven(record, context)
    for path, value in iter_values(record):
        if path in done:
            continue
        src = provenance.fields.get(path)
        ocr = _ocr_cells(cells, src)
        if not ocr:
            continue
        cls = field_class(path)
        if value is None:
            unread = [c for c in ocr if c.unread and not c.text.strip()]
            if unread and src is not None and src.note == "printed blank":
                findings.append(Finding.of(FindingCode.MISSING_FIELD,
                                           f"未能读取{field_name(path)}（单元格有字迹但未能识别）", [path],
                                           reason="unread", cell=unread[0].id, page=unread[0].page))
            continue
        if cls is FieldClass.LABEL:
            continue
        threshold = THRESHOLDS[cls]
        printed = src.printed if src is not None and len(ocr) == 1 else None
        spans = [_span(c, printed) for c in ocr]
        value_text = spans[0].text if len(spans) == 1 else str(value)
        if len(spans) == 1 and spans[0].whole is False:
            value_text = spans[0].text
        if not fits(cls, value_text if cls is not FieldClass.TARGET else str(value)):
            findings.append(_finding(path, str(value), "shape", [value_text], spans[0].cell))
            continue
        lone = [sp for sp in spans if not sp.cell.doubts and sp.cell.confidence is not None
                and sp.cell.confidence < threshold and sp.cell.agreed is not True and sp.text.strip()]
        rivals = _rivals(cls, value, value_text, spans, threshold)
        second = _second(cls, value, value_text, spans)
        if not rivals and second is None and not lone:
            continue
        if path in sure and cls in _NUMERIC | {FieldClass.GRADE}:
            continue  # the arithmetic holds with this reading: a misreading would have broken it
        if second is None and not lone and all(sp.cell.agreed is True for sp in spans if sp.cell.doubts):
            continue  # read twice, the same both times
        reason = "readings_disagree" if second is not None else "low_confidence"
        options = list(dict.fromkeys([value_text, *([second] if second else []), *rivals]))
        findings.append(_finding(path, value_text, reason, options, spans[0].cell))
    return findings


def _weakest(span: _Span) -> float | None:
    """The span's weakest place: its lowest doubt, else the cell's score (characters not doubted are ≥ CERTAIN)."""
    if span.doubts:
        return min(d.prob for d in span.doubts)
    if span.cell.confidence is None:
        return None
    return span.cell.confidence if not span.cell.doubts else max(span.cell.confidence, CERTAIN)


def with_confidence(provenance: Provenance, cells: SourceCells) -> Provenance:
    """Each OCR-read value's weakest character probability written into its provenance."""
    fields = {}
    changed = False
    for path, src in provenance.fields.items():
        ocr = _ocr_cells(cells, src)
        weakest = [w for c in ocr if (w := _weakest(_span(c, src.printed if len(ocr) == 1 else None))) is not None]
        if weakest:
            fields[path] = src.model_copy(update={"confidence": round(min(weakest), 4)})
            changed = True
        else:
            fields[path] = src
    return provenance.model_copy(update={"fields": fields}) if changed else provenance


def value_paths(findings: list[Finding]) -> set[str]:
    """The paths some finding already names (a value flagged once needs no second finding)."""
    return {p for f in findings for p in f.fields}


__all__ = ["THRESHOLDS", "Verdict", "candidates", "doubtful_values", "get_path", "proven", "repair_shapes",
           "value_paths", "with_confidence"]
