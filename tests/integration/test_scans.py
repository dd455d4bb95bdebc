"""Scans through real OCR models: rendered forms, rotated, blurred, noisy, JPEG-compressed, read back."""

from __future__ import annotations

import io

import numpy as np
import pymupdf
import pytest

from extractor.pipeline import extract_bytes
from extractor.records.compare import diff_records
from extractor.records.models import Record
from extractor.records.paths import iter_values
from extractor.settings import get_settings
from tests.conftest import load_gold
from tests.render import image_pdf, png, render_pdf, scan

pytestmark = pytest.mark.slow

ANGLES = [-2.5, -1.5, -0.7, 0.0, 0.4, 1.1, 1.8, 2.5, -2.0, 0.9]
DPIS = [150, 200, 300, 200, 150, 200, 250, 200, 180, 200]


def _gold(n: int) -> Record:
    return Record.model_validate(load_gold(n)["record"])


def _accuracy(pairs: list[tuple[Record, Record]]) -> tuple[float, list[str]]:
    fields = diffs = 0
    notes = []
    for got, gold in pairs:
        d = diff_records(got, gold)
        fields += len(dict(iter_values(gold)))
        diffs += len(d)
        notes += [f"{x.path}: {x.got!r} != {x.expected!r}" for x in d]
    return 1 - diffs / fields, notes


@pytest.fixture(scope="module")
def seed_scans() -> bytes:
    pages = []
    for i in range(10):
        pages += scan(render_pdf([_gold(i + 1)]), dpi=DPIS[i], angle=ANGLES[i], seed=i)
    return image_pdf(pages)


@pytest.fixture(scope="module")
def seed_scan_result(seed_scans):
    return extract_bytes(seed_scans, "seed-scans.pdf", get_settings(ocr="rapid"))


def test_seed_scans_read_back_near_gold(seed_scan_result):
    result = seed_scan_result
    assert result.status.value == "ok" and len(result.forms) == 10
    assert [f.pages for f in result.forms] == [[i] for i in range(1, 11)]
    accuracy, notes = _accuracy([(f.record, _gold(f.index)) for f in result.forms])
    # 882/882 measured with PP-OCRv6 (README); the bound leaves room for a few fields on another CPU.
    assert accuracy >= 0.995, notes
    # No invented rows: every form has exactly its printed indicators.
    assert [len(f.record.indicators) for f in result.forms] == [len(_gold(i).indicators) for i in range(1, 11)]


def test_seed_scans_report_every_expected_finding(seed_scan_result):
    for form in seed_scan_result.forms:
        expected = set(load_gold(form.index)["expected_findings"])
        assert expected <= {f.code.value for f in form.findings}, form.index


def test_ocr_provenance_and_page_sources(seed_scan_result):
    form = seed_scan_result.forms[0]
    cell = form.provenance.fields["funds.total.executed"].cells[0]
    assert cell.page == 1 and cell.bbox is not None
    assert seed_scan_result.timings["pages"] > 0


def _tiff(pages: list[np.ndarray]) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    frames = [Image.fromarray(p) for p in pages]
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_lzw")
    return buf.getvalue()


def test_images_png_jpeg_and_multipage_tiff():
    import cv2

    gold2, gold7 = _gold(2), _gold(7)
    page2 = scan(render_pdf([gold2]), dpi=200, angle=1.0, seed=3)[0]
    page7 = scan(render_pdf([gold7]), dpi=200, angle=-0.8, seed=4)[0]
    ok, jpeg = cv2.imencode(".jpg", page7, [cv2.IMWRITE_JPEG_QUALITY, 70])
    assert ok
    for data, golds in ((png(page2), [gold2]), (jpeg.tobytes(), [gold7]), (_tiff([page2, page7]), [gold2, gold7])):
        result = extract_bytes(data, "image")
        assert result.kind == "image" and len(result.forms) == len(golds)
        accuracy, notes = _accuracy([(f.record, g) for f, g in zip(result.forms, golds, strict=True)])
        assert accuracy >= 0.97, notes
        # Boxes of an image are in its pixels.
        cell = result.forms[0].provenance.fields["total_score"].cells[0]
        assert cell.bbox[2] <= page2.shape[1]


def test_garbled_text_layer_over_a_scan_is_replaced_by_ocr():
    gold = _gold(7)
    data = image_pdf(scan(render_pdf([gold]), dpi=200, angle=0.6, seed=7))
    doc = pymupdf.open(stream=data, filetype="pdf")
    # Scanner software sometimes leaves an invisible text layer in the wrong encoding (GBK read as Latin-1).
    doc[0].insert_text((50, 100), "²ÆÕþÏîÄ¿Ö§³ö¼¨Ð§×ÔÆÀ±í ÏîÄ¿Ãû³Æ Ö÷¹Ü²¿ÃÅ", render_mode=3, fontsize=9)
    result = extract_bytes(doc.tobytes(), "mojibake.pdf")
    assert len(result.forms) == 1
    accuracy, notes = _accuracy([(result.forms[0].record, gold)])
    assert accuracy >= 0.97, notes


def test_tesseract_reads_the_same_pages():
    golds = [_gold(2), _gold(7)]
    data = image_pdf([scan(render_pdf([g]), dpi=200, angle=a, seed=s)[0] for g, a, s in zip(golds, [0.5, -1.0], [1, 2],
                                                                                             strict=True)])
    result = extract_bytes(data, "tess.pdf", get_settings(ocr="tesseract"))
    assert result.status.value == "ok" and len(result.forms) == 2, result.error
    accuracy, notes = _accuracy([(f.record, g) for f, g in zip(result.forms, golds, strict=True)])
    # Tesseract's Chinese model is weaker than RapidOCR's: this checks it runs end to end and reads most fields.
    assert accuracy >= 0.6, notes


def test_rapid_v4_models_are_selectable():
    gold = _gold(2)
    data = png(scan(render_pdf([gold]), dpi=200, angle=0.3, seed=5)[0])
    result = extract_bytes(data, "v4.png", get_settings(ocr="rapid", rapid_models="v4"))
    accuracy, notes = _accuracy([(result.forms[0].record, gold)])
    assert accuracy >= 0.95, notes
