"""The pieces under the API: value parsing, re-checking after an edit, labels, file names, page images."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pymupdf
import pytest
from PIL import Image

from extractor import extract
from extractor.ingest.loader import load_path
from extractor.records.models import Finding, FindingCode, MapMethod
from extractor.service.explain import EXPLANATIONS, explain, field_label
from extractor.service.review import CorrectionError, apply_correction, parse_value
from extractor.service.settings import ServiceSettings
from extractor.service.sources import grid_rows, highlights, pages, render_page
from extractor.service.store import SourceInfo
from extractor.service.uploads import safe_filename
from tests.service.helpers import SEED


@pytest.fixture(scope="module")
def seed():
    result = extract(SEED)
    grids = load_path(SEED, ServiceSettings()).grids
    return result, grids


def test_values_are_parsed_by_field_and_floats_refused() -> None:
    assert parse_value("funds.total.executed", "1,234.50") == Decimal("1234.50")
    assert parse_value("indicators[2].score", 8) == Decimal("8")
    assert parse_value("year", " 2024 ") == 2024
    assert parse_value("indicators[0].name", "  投诉率  ") == "投诉率"
    assert parse_value("grade", "") is None and parse_value("grade", None) is None
    for path, value in (("total_score", 9.5), ("total_score", "9,5x"), ("total_score", "NaN"), ("year", "二〇二四"),
                        ("project_name", ["a"]), ("project_name", True)):
        with pytest.raises(CorrectionError):
            parse_value(path, value)


def test_every_finding_code_is_explained_in_chinese() -> None:
    assert set(EXPLANATIONS) == set(FindingCode)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in text) for text in EXPLANATIONS.values())
    assert explain("NOT_A_CODE") == ""
    assert field_label("funds.carryover.execution_rate") == "上年结转资金·执行率"
    assert field_label("indicators[0].deviation") == "第1行指标·偏差原因分析及改进措施"
    assert field_label("goals.actual") == "年度总体目标·实际完成情况"


def test_an_edit_keeps_a_rejected_value_reported_until_a_person_fills_it(seed) -> None:
    result, grids = seed
    form = result.forms[0]
    # Make the stored form look like one whose project name grounding rejected.
    record = form.record.model_copy(deep=True)
    record.project_name = None
    rejected = form.model_copy(update={"record": record, "findings": [
        *form.findings,
        Finding.of(FindingCode.UNGROUNDED_VALUE, "值「X」在原件中找不到", ["project_name"], value="X")]})
    edited, old, new = apply_correction(rejected, "indicators[0].deviation", "无", "clerk", grids[0], set())
    assert (old, new) == (None, "无")
    codes = [f.code for f in edited.findings]
    assert FindingCode.UNGROUNDED_VALUE in codes  # the earlier rejection is still reported…
    assert not any(f.code is FindingCode.MISSING_FIELD and f.fields == ["project_name"] for f in edited.findings)
    assert edited.status.value == "needs_review"
    filled, _, _ = apply_correction(edited, "project_name", "巡查员工作经费", "clerk", grids[0], {"indicators[0].deviation"})
    assert FindingCode.UNGROUNDED_VALUE not in [f.code for f in filled.findings]  # …until someone fills it in
    assert filled.provenance.fields["project_name"].method is MapMethod.HUMAN


def test_highlights_follow_the_provenance_of_flagged_fields(seed) -> None:
    result, grids = seed
    form = result.forms[9]
    lit = highlights(form)
    assert {h.path for h in lit} >= {"funds.total.annual_budget", "funds.other.executed"}
    by_id = grids[9].by_id()
    for h in lit:
        assert h.cell_id in by_id and by_id[h.cell_id].line == h.line
    rows = grid_rows(grids[9])
    assert len({len(r) for r in rows}) == 1  # padded to one width
    assert any(c is not None and c.id == lit[0].cell_id for r in rows for c in r)


@pytest.mark.parametrize(("name", "expected"), [
    ("../../etc/passwd", "passwd"), ("C:\\Users\\x\\报表.pdf", "报表.pdf"), (".hidden", "hidden"), ("", "upload"),
    ("a\tb\nc.txt", "a_b_c.txt"), ("x" * 300 + ".pdf", "x" * 200), ("ok name.txt", "ok name.txt")])
def test_file_names_are_reduced_to_a_safe_display_name(name: str, expected: str) -> None:
    assert safe_filename(name) == expected


def test_pdf_pages_and_image_frames_render_with_their_box_units(tmp_path: Path) -> None:
    settings = ServiceSettings(data_dir=tmp_path)
    doc = pymupdf.open()
    doc.new_page(width=595, height=842)
    doc.new_page(width=842, height=595)
    (tmp_path / "a.pdf").write_bytes(doc.tobytes())
    pdf = SourceInfo(document_id=1, stored_path="a.pdf", kind="pdf", grids=[])
    assert [(p.number, p.width, p.height) for p in pages(pdf, settings)] == [(1, 595, 842), (2, 842, 595)]
    png = render_page(pdf, 2, settings)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width > image.height  # the landscape page, rendered
    assert render_page(pdf, 2, settings) == png  # served from the cache the second time
    Image.new("L", (1240, 1755), 200).save(tmp_path / "scan.tif")
    scan = SourceInfo(document_id=2, stored_path="scan.tif", kind="image", grids=[])
    assert [(p.width, p.height) for p in pages(scan, settings)] == [(1240, 1755)]
    frame = Image.open(io.BytesIO(render_page(scan, 1, settings)))
    assert (frame.width, frame.height) == (1240, 1755)
    with pytest.raises(LookupError):
        render_page(scan, 2, settings)
