"""Bad PDFs and images: typed errors recorded on the document, bounded work, and the batch goes on."""

from __future__ import annotations

import struct
import time
import zlib

import pymupdf
import pytest

from extractor import extract
from extractor.errors import ConfigurationError
from extractor.pipeline import extract_bytes, extract_many
from extractor.records.models import Record
from extractor.settings import get_settings
from tests.conftest import load_gold
from tests.render import render_pdf


def _letter_pdf() -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()
    tw = pymupdf.TextWriter(page.rect)
    font = pymupdf.Font("china-s")
    for i, line in enumerate(["关于做好年度工作的通知", "各有关单位：", "请于下周五前报送材料。谢谢。", "办公室 2024年3月"]):
        tw.append((72, 100 + 20 * i), line, font=font, fontsize=11)
    tw.write_text(page)
    return doc.tobytes()


def _bomb_png(width: int = 20000, height: int = 20000) -> bytes:
    """A small PNG that claims 20000×20000 grey pixels (400 MB decoded)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    comp = zlib.compressobj(9)
    row = b"\x00" + b"\xff" * width
    body = b"".join(comp.compress(row) for _ in range(200)) + comp.flush()  # enough to look real; size is in IHDR
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def _zero_page_pdf() -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


@pytest.fixture(scope="module")
def form_pdf() -> bytes:
    return render_pdf([Record.model_validate(load_gold(2)["record"])])


def test_encrypted_pdf(form_pdf):
    doc = pymupdf.open(stream=form_pdf, filetype="pdf")
    data = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")
    result = extract_bytes(data, "locked.pdf")
    assert result.status.value == "failed" and result.error["code"] == "ENCRYPTED_DOCUMENT"


@pytest.mark.parametrize("cut", [0.05, 0.3, 0.6])
def test_truncated_pdf_is_a_typed_failure_or_a_partial_read(form_pdf, cut):
    result = extract_bytes(form_pdf[: int(len(form_pdf) * cut)], "cut.pdf")
    # Whatever survives the cut: never a traceback, never an invented form.
    assert result.status.value == "failed"
    assert result.error["code"] in ("CORRUPT_DOCUMENT", "EMPTY_DOCUMENT", "NO_FORM_FOUND")


def test_garbage_after_pdf_header():
    result = extract_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 40, "junk.pdf")
    assert result.status.value == "failed" and result.error["code"] in ("CORRUPT_DOCUMENT", "EMPTY_DOCUMENT")


def test_zero_page_pdf():
    result = extract_bytes(_zero_page_pdf(), "empty.pdf")
    assert result.status.value == "failed" and result.error["code"] in ("EMPTY_DOCUMENT", "CORRUPT_DOCUMENT")


def test_five_hundred_pages_are_refused_before_reading_any():
    doc = pymupdf.open()
    for _ in range(500):
        doc.new_page()
    data = doc.tobytes()
    start = time.perf_counter()
    result = extract_bytes(data, "huge.pdf")
    assert result.status.value == "failed" and result.error["code"] == "RESOURCE_LIMIT"
    assert result.error["details"] == {"pages": 500, "limit": 300}
    assert time.perf_counter() - start < 30  # generous: the point is no page was read


def test_decompression_bomb_is_refused_before_decoding():
    data = _bomb_png()
    assert len(data) < 2_000_000
    result = extract_bytes(data, "bomb.png")
    assert result.status.value == "failed" and result.error["code"] == "RESOURCE_LIMIT"
    assert result.error["details"]["pixels"] == 20000 * 20000


def test_image_just_over_the_pixel_limit_is_refused_by_our_check():
    import io

    from PIL import Image
    buf = io.BytesIO()
    Image.new("L", (400, 300), 255).save(buf, format="PNG")
    result = extract_bytes(buf.getvalue(), "big.png", get_settings(max_image_pixels=100_000))
    assert result.error["code"] == "RESOURCE_LIMIT"
    assert result.error["details"] == {"pixels": 120000, "width": 400, "height": 300, "limit": 100000}


def test_a_letter_is_no_form(tmp_path):
    result = extract_bytes(_letter_pdf(), "letter.pdf")
    assert result.status.value == "failed" and result.error["code"] == "NO_FORM_FOUND"


def test_broken_image_bytes():
    result = extract_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "broken.png")
    assert result.status.value == "failed" and result.error["code"] == "CORRUPT_DOCUMENT"


def test_batch_goes_on_past_bad_pdfs(tmp_path, form_pdf):
    files = {"a_locked.pdf": pymupdf.open(stream=form_pdf, filetype="pdf").tobytes(
                 encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="x", owner_pw="y"),
             "b_letter.pdf": _letter_pdf(), "c_bomb.png": _bomb_png(), "d_form.pdf": form_pdf}
    paths = []
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    results = extract_many(paths)
    assert [r.error["code"] if r.error else r.status.value for r in results] == [
        "ENCRYPTED_DOCUMENT", "NO_FORM_FOUND", "RESOURCE_LIMIT", "ok"]
    assert results[3].forms[0].record.project_name == "走访"


def test_paddle_without_local_models_is_a_clear_configuration_error():
    from extractor.ocr.paddle import PaddleEngine

    with pytest.raises(ConfigurationError, match="EXTRACTOR_PADDLE_MODEL_DIR"):
        PaddleEngine(model_dir=None)


def test_missing_tesseract_program_is_a_clear_configuration_error():
    from extractor.ocr.tesseract import TesseractEngine

    with pytest.raises(ConfigurationError, match="tesseract-ocr"):
        TesseractEngine(cmd="/nonexistent/tesseract")


def test_configuration_error_is_recorded_on_a_scanned_document(tmp_path):
    from tests.render import image_pdf, scan

    data = image_pdf(scan(render_pdf([Record.model_validate(load_gold(2)["record"])]), dpi=100))
    path = tmp_path / "scan.pdf"
    path.write_bytes(data)
    result = extract(path, get_settings(ocr="paddle"))
    assert result.status.value == "failed" and result.error["code"] == "CONFIGURATION_ERROR"
