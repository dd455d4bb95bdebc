"""Born-digital PDFs: the text layer and vector rulings give back the gold records, with page + bbox provenance."""

from __future__ import annotations

import re

import pytest

from extractor.pipeline import extract_bytes
from extractor.records.compare import diff_records
from extractor.records.models import Record
from tests.conftest import load_gold
from tests.render import render_pdf


@pytest.fixture(scope="module")
def gold_records() -> list[Record]:
    return [Record.model_validate(load_gold(n)["record"]) for n in range(1, 11)]


@pytest.fixture(scope="module")
def seed_pdf_result(gold_records):
    return extract_bytes(render_pdf(gold_records), "seed.pdf")


def test_every_seed_form_comes_back_equal_to_gold(seed_pdf_result, gold_records):
    result = seed_pdf_result
    assert result.status.value == "ok" and result.kind == "pdf" and result.pages == 10
    assert len(result.forms) == 10
    for form, gold in zip(result.forms, gold_records, strict=True):
        assert diff_records(form.record, gold) == [], form.index


def test_expected_findings_are_reported(seed_pdf_result):
    for form in seed_pdf_result.forms:
        expected = set(load_gold(form.index)["expected_findings"])
        reported = {f.code.value for f in form.findings}
        assert expected <= reported, (form.index, expected - reported)


def test_provenance_names_page_bbox_and_cell(seed_pdf_result):
    form = seed_pdf_result.forms[2]
    assert form.pages == [3]
    source = form.provenance.fields["indicators[0].weight"]
    [cell] = source.cells
    assert cell.page == 3 and re.fullmatch(r"p3r\d+c7", cell.id)
    x0, y0, x1, y1 = cell.bbox
    assert 0 < x0 < x1 < 595 and 0 < y0 < y1 < 842
    # A merged 一级指标 cell covering later rows is cited as spanned, not inferred.
    later = form.provenance.fields["indicators[1].level1"]
    assert later.method.value in ("carried", "rule") and later.cells[0].page == 3


def test_a_form_running_over_two_pages_and_a_second_form(gold_records):
    long = gold_records[0].model_copy(deep=True)
    long.indicators = long.indicators * 4
    result = extract_bytes(render_pdf([long, gold_records[1]]), "long.pdf")
    assert [f.pages for f in result.forms] == [[1, 2], [3]]
    assert diff_records(result.forms[0].record, long) == []
    assert diff_records(result.forms[1].record, gold_records[1]) == []
    # Rows on the continuation page cite page 2.
    last = result.forms[0].provenance.fields["indicators[31].score"].cells[0]
    assert last.page == 2


def test_text_path_timings_are_recorded(seed_pdf_result):
    assert {"pages", "grid", "rows", "mapping", "checking"} <= set(seed_pdf_result.timings)
