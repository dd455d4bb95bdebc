"""Scan trust: per-character readings, field grammar, and the checker's verdict on each OCR value.

The checker's doubts pass is exercised on the seed's form 5 turned into an OCR grid: every cell read with
confidence, selected cells given the doubts, second readings or unread ink a scan would leave.
"""

from __future__ import annotations

import numpy as np
import pytest

from extractor.checking import check
from extractor.checking.doubts import candidates, proven
from extractor.checking.names import cross_checked, one_apart
from extractor.domain.shapes import FieldClass, field_class, fits
from extractor.ingest.text_export import read_text_export
from extractor.layout import Doubt, Grid, SourceKind
from extractor.mapping.rules import map_rules
from extractor.ocr.reading import CharReading, Reading, ctc_readings, doubts_of
from extractor.records.models import FieldSource, FindingCode, FormResult, FormStatus, Provenance, Record
from extractor.tables.rows import read_rows

CHARS = ["blank", "1", "0", ".", "%", "≥", "2", "。", "场", "5"]


def _probs(steps: list[dict[str, float]]) -> np.ndarray:
    """A (1, T, C) probability array: each step's named classes, the rest of the mass on blank."""
    out = np.zeros((1, len(steps), len(CHARS)), dtype=np.float32)
    for t, step in enumerate(steps):
        for ch, p in step.items():
            out[0, t, CHARS.index(ch)] = p
        out[0, t, 0] += 1.0 - sum(step.values())
    return out


# ---- per-character readings ------------------------------------------------------------------------------


def test_ctc_keeps_each_characters_probability_and_runner_ups() -> None:
    steps = [{"≥": 0.55, "2": 0.40}, {}, {"1": 0.99}, {"1": 0.99}, {}, {"0": 0.97}, {"%": 0.9}]
    (reading,) = ctc_readings(_probs(steps), CHARS)
    assert reading.text == "≥10%"
    assert [round(c.prob, 2) for c in reading.chars] == [0.55, 0.99, 0.97, 0.9]
    assert reading.chars[0].alternatives[0][0] == "2"
    assert reading.detailed and reading.min_prob() == pytest.approx(0.55)


def test_ctc_keeps_a_character_it_nearly_read_between_two_others() -> None:
    steps = [{"2": 0.99}, {"。": 0.3}, {"5": 0.99}]  # a 。 nearly read where the recogniser chose blank
    (reading,) = ctc_readings(_probs(steps), CHARS)
    assert reading.text == "25"
    assert [(g.position, g.char) for g in reading.gaps] == [(1, "。")]
    doubts = doubts_of(reading)
    assert [(d.at, d.char, d.options) for d in doubts] == [(1, "", ["。"])]


def test_an_edit_keeps_what_it_removed_as_a_possible_character() -> None:
    reading = Reading("90.%.", 0.9, tuple(CharReading(c, 0.99) for c in "90.%."))
    edited = reading.edited("90.%", "speck_dot")
    assert edited.text == "90.%" and edited.detailed
    assert [(g.position, g.char) for g in edited.gaps] == [(4, ".")]
    swapped = reading.edited("90.%≥", "sign_shape", prob=0.6)
    assert swapped.chars[-1].char == "≥" and swapped.chars[-1].prob == 0.6
    assert swapped.chars[-1].alternatives[0][0] == "."


# ---- field grammar ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "text", "ok"), [
    ("indicators[0].target", "≥90%", True),
    ("indicators[0].target", ">91.00(%)", True),
    ("indicators[0].target", "≥.90%", False),  # a dot only a guess can place
    ("indicators[0].target", "≥90.00(96)", False),  # (%) read as (96)
    ("indicators[0].target", "25场。", False),  # a 。 after the unit
    ("indicators[0].target", "W95%", False),  # ≧ read as W
    ("indicators[0].actual", "较好", True),
    ("funds.total.executed", "1,200.00", True),
    ("funds.total.executed", "12,00.00", False),
    ("funds.total.executed", "150万", True),
    ("funds.total.execution_rate", "96.5%", True),
    ("funds.total.execution_rate", "96.5g", False),
    ("indicators[2].score", "10分", True),
    ("grade", "优", True),
    ("grade", "仇", False),
    ("indicators[1].nature", "≧", True),
    ("indicators[1].nature", "W", False),
    ("goals.actual", "完成全年任务。", True),
    ("goals.actual", "完成全年任务。.", False),
    ("department", "上海市宝山区教育局", True),
    ("department", "上海市宝山区教育局。", False),
])
def test_each_field_has_its_shape(path: str, text: str, ok: bool) -> None:
    assert fits(field_class(path), text) is ok


def test_field_classes() -> None:
    assert field_class("funds.carryover.annual_budget") is FieldClass.MONEY
    assert field_class("funds.extra[1].executed") is FieldClass.MONEY
    assert field_class("indicators[3].weight") is FieldClass.SCORE
    assert field_class("funds.total.execution_rate") is FieldClass.PERCENT
    assert field_class("goals.expected") is FieldClass.TEXT


# ---- the checker's verdict on OCR values ---------------------------------------------------------------------


@pytest.fixture
def form5(seed_export):
    grids, _ = read_text_export(seed_export.read_bytes())
    grid = grids[4]  # 应急救援: its arithmetic holds
    mapped = map_rules(read_rows(grid))
    return grid, mapped


def _as_ocr(grid: Grid, **cells: dict) -> Grid:
    """The grid as if scanned: every cell read with confidence 0.99; `cells` override by cell id."""
    out = grid.model_copy(deep=True)
    out.kind = SourceKind.OCR
    for row in out.rows:
        for cell in row:
            cell.confidence = 0.99
            for key, value in cells.get(cell.id, {}).items():
                setattr(cell, key, value)
    return out


def _cell_of(mapped, path: str) -> str:
    return mapped.provenance.fields[path].cells[0].id


def _low(result, path: str) -> list:
    return [f for f in result.report.findings if f.code is FindingCode.LOW_CONFIDENCE and path in f.fields]


def test_a_certain_reading_raises_nothing(form5):
    grid, mapped = form5
    result = check(mapped.record, mapped.provenance, _as_ocr(grid))
    assert not [f for f in result.report.findings if f.code is FindingCode.LOW_CONFIDENCE]
    assert result.provenance.fields["indicators[0].name"].confidence == 0.99


def test_a_doubtful_character_with_a_rival_of_the_right_shape_is_low_confidence(form5):
    grid, mapped = form5
    path = "indicators[1].target"
    cell = _cell_of(mapped, path)
    text = grid.by_id()[cell].text
    digit = next(i for i, ch in enumerate(text) if ch.isdigit())
    other = "8" if text[digit] != "8" else "3"
    doubt = Doubt(at=digit, char=text[digit], prob=0.6, options=[other])
    result = check(mapped.record, mapped.provenance, _as_ocr(grid, **{cell: {"doubts": [doubt]}}))
    (finding,) = _low(result, path)
    assert finding.data["reason"] == "low_confidence"
    assert text in finding.data["candidates"] and text[:digit] + other + text[digit + 1:] in finding.data["candidates"]
    assert result.report.status is FormStatus.NEEDS_REVIEW


def test_a_rival_that_breaks_the_shape_doubts_nothing(form5):
    grid, mapped = form5
    path = "indicators[0].weight"
    cell = _cell_of(mapped, path)
    text = grid.by_id()[cell].text
    doubt = Doubt(at=0, char=text[0], prob=0.6, options=["O", "g"])  # neither is a digit
    result = check(mapped.record, mapped.provenance, _as_ocr(grid, **{cell: {"doubts": [doubt]}}))
    assert _low(result, path) == []


def test_a_number_the_arithmetic_proves_is_certain_however_doubtful(form5):
    grid, mapped = form5
    assert "indicators[0].weight" in proven(mapped.record)
    path = "indicators[0].weight"
    cell = _cell_of(mapped, path)
    text = grid.by_id()[cell].text
    doubt = Doubt(at=0, char=text[0], prob=0.5, options=["8"])
    result = check(mapped.record, mapped.provenance, _as_ocr(grid, **{cell: {"doubts": [doubt]}}))
    assert _low(result, path) == []


def test_readings_that_disagree_are_low_confidence_with_both(form5):
    grid, mapped = form5
    path = "indicators[0].name"
    cell = _cell_of(mapped, path)
    text = grid.by_id()[cell].text
    second = text[:-1] + "站"
    result = check(mapped.record, mapped.provenance, _as_ocr(grid, **{cell: {"agreed": False, "second": second}}))
    (finding,) = _low(result, path)
    assert finding.data["reason"] == "readings_disagree" and finding.data["candidates"] == [text, second]


def test_a_second_reading_that_agrees_settles_a_doubt(form5):
    grid, mapped = form5
    path = "indicators[0].name"
    cell = _cell_of(mapped, path)
    text = grid.by_id()[cell].text
    doubt = Doubt(at=1, char=text[1], prob=0.5, options=["口"])
    doubtful = check(mapped.record, mapped.provenance, _as_ocr(grid, **{cell: {"doubts": [doubt]}}))
    agreed = check(mapped.record, mapped.provenance, _as_ocr(grid, **{cell: {"doubts": [doubt], "agreed": True}}))
    assert len(_low(doubtful, path)) == 1 and _low(agreed, path) == []


def test_a_shape_only_one_candidate_fits_is_repaired_and_recorded(form5):
    grid, mapped = form5
    path = "indicators[2].target"
    cell = _cell_of(mapped, path)
    text = grid.by_id()[cell].text
    assert fits(FieldClass.TARGET, text)
    bad = "." + text  # a speck read as a leading dot, with blank as its runner-up
    record = mapped.record.model_copy(deep=True)
    record.indicators[2].target = bad
    provenance = mapped.provenance.model_copy(deep=True)
    provenance.fields[path].printed = bad
    ocr = _as_ocr(grid, **{cell: {"text": bad, "doubts": [Doubt(at=0, char=".", prob=0.7, options=[""])]}})
    result = check(record, provenance, ocr)
    assert result.record.indicators[2].target == text
    assert result.provenance.fields[path].repair == {"method": "shape", "read": bad, "kept": text}
    assert _low(result, path) == []


def test_a_shape_no_candidate_fits_is_low_confidence(form5):
    grid, mapped = form5
    path = "indicators[2].target"
    cell = _cell_of(mapped, path)
    bad = "≥.90%"
    record = mapped.record.model_copy(deep=True)
    record.indicators[2].target = bad
    provenance = mapped.provenance.model_copy(deep=True)
    provenance.fields[path].printed = bad
    result = check(record, provenance, _as_ocr(grid, **{cell: {"text": bad}}))
    (finding,) = _low(result, path)
    assert finding.data["reason"] == "shape"
    assert result.report.status is FormStatus.NEEDS_REVIEW


def test_ink_the_recogniser_could_not_read_is_missing_not_blank(form5):
    grid, mapped = form5
    record = mapped.record.model_copy(deep=True)
    record.funds.other.annual_budget = None
    provenance = mapped.provenance.model_copy(deep=True)
    src = provenance.fields["funds.other.annual_budget"]
    provenance.fields["funds.other.annual_budget"] = FieldSource(cells=src.cells, printed="", note="printed blank")
    cell = src.cells[0].id
    blank = check(record, provenance, _as_ocr(grid, **{cell: {"text": ""}}))
    unread = check(record, provenance, _as_ocr(grid, **{cell: {"text": "", "unread": True}}))
    assert not [f for f in blank.report.findings if "funds.other.annual_budget" in f.fields
                and f.code is FindingCode.MISSING_FIELD]
    missing = [f for f in unread.report.findings if f.code is FindingCode.MISSING_FIELD]
    assert [f.fields for f in missing] == [["funds.other.annual_budget"]]


def test_candidates_come_from_runner_ups_and_nearly_read_characters() -> None:
    from extractor.checking.doubts import _Span
    from extractor.layout import Cell

    cell = Cell(id="c", text="25场", row=0, col=0, confidence=0.9,
                doubts=[Doubt(at=1, char="5", prob=0.7, options=["6"]), Doubt(at=3, char="", prob=0.6, options=["。"])])
    got = candidates(_Span(cell, cell.text, tuple(cell.doubts), True))
    assert set(got) == {"25场", "26场", "25场。", "26场。"} and got[0] == "25场"


# ---- names against the document ------------------------------------------------------------------------------


def _form(index: int, department: str, confidence: float) -> FormResult:
    provenance = Provenance(fields={"department": FieldSource(cells=[], printed=department, confidence=confidence)})
    return FormResult(index=index, status=FormStatus.OK, record=Record(department=department), provenance=provenance)


def test_a_name_one_character_from_a_surer_reading_is_doubted() -> None:
    forms = cross_checked([_form(1, "上海市宝山区顾村镇", 0.99), _form(2, "上海市宝山区题村镇", 0.93),
                           _form(3, "上海市宝山区顾村镇", 0.99)])
    assert [f.status for f in forms] == [FormStatus.OK, FormStatus.NEEDS_REVIEW, FormStatus.OK]
    (finding,) = forms[1].findings
    assert finding.code is FindingCode.LOW_CONFIDENCE and finding.data["candidates"] == ["上海市宝山区题村镇", "上海市宝山区顾村镇"]


def test_names_further_apart_or_short_are_left_alone() -> None:
    assert not one_apart("上海市宝山区教育局", "上海市宝山区卫健委")
    forms = cross_checked([_form(1, "一中", 0.9), _form(2, "二中", 0.99)])
    assert all(f.status is FormStatus.OK for f in forms)

