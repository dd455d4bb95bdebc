"""Damaged and hostile rasters (issue 12): a page that fails fails alone, no decoder error escapes untyped, and no
page is rasterised past the pixel caps, whatever the file claims."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pymupdf
import pytest

from extractor.ingest.loader import LoadedDocument
from extractor.pipeline import extract_bytes
from extractor.records.models import Record
from tests.conftest import load_gold
from tests.render import image_pdf, png, render_pdf, scan


def _gold(n: int) -> Record:
    return Record.model_validate(load_gold(n)["record"])


def _tiff(pages: list[np.ndarray], compression: str = "tiff_lzw") -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    frames = [Image.fromarray(p) for p in pages]
    frames[0].save(buf, format="TIFF", save_all=True, append_images=frames[1:], compression=compression)
    return buf.getvalue()


def _extract(data: bytes, name: str) -> tuple[object, dict]:
    """The result and the loaded document's meta (failed pages and their reasons live there)."""
    seen: dict = {}

    def keep(doc: LoadedDocument) -> None:
        seen.update(doc.meta)

    return extract_bytes(data, name, on_loaded=keep), seen


@pytest.fixture(scope="module")
def pages() -> list[np.ndarray]:
    """Two scanned forms (seed 2 and 7), one page each."""
    return [scan(render_pdf([_gold(n)]), dpi=200, angle=a, seed=s)[0] for n, a, s in ((2, 0.5, 1), (7, -0.5, 2))]


@pytest.mark.slow
def test_truncated_multipage_tiff_keeps_its_good_pages(pages):
    data = _tiff(pages)
    # Cut inside the second page's directory: the first page is whole, the second cannot be reached.
    result, meta = _extract(data[: int(len(data) * 0.9)], "cut.tif")
    assert result.status.value == "partial", result.error
    assert [f.record.project_name for f in result.forms] == ["走访"]
    [failed] = meta["failed_pages"]
    assert failed["page"] == 2 and failed["code"] == "CORRUPT_DOCUMENT"


@pytest.mark.slow
def test_one_corrupt_tiff_page_makes_the_document_partial(pages):
    from PIL import Image

    data = bytearray(_tiff([pages[0], pages[1][:400], pages[1]]))
    image = Image.open(io.BytesIO(bytes(data)))
    image.seek(1)
    offset, size = image.tag_v2[273][0], image.tag_v2[279][0]
    data[offset:offset + size] = b"\xff" * size  # page 2's compressed strip is garbage
    result, meta = _extract(bytes(data), "bad-page.tif")
    assert result.status.value == "partial", result.error
    assert [f.record.project_name for f in result.forms] == ["走访", _gold(7).project_name]
    assert [(p["page"], p["code"]) for p in meta["failed_pages"]] == [(2, "CORRUPT_DOCUMENT")]


def test_tiff_whose_only_page_is_cut_is_a_corrupt_document(pages):
    data = _tiff([pages[0]])
    result = extract_bytes(data[: len(data) // 2], "cut.tif")
    assert result.status.value == "failed" and result.error["code"] == "CORRUPT_DOCUMENT"


@pytest.mark.slow
def test_scanned_pdf_cut_at_90_percent_is_partial_not_ok(pages):
    data = image_pdf(pages)
    result, meta = _extract(data[: int(len(data) * 0.9)], "cut.pdf")
    # The first form is whole and kept; the second page's content is gone: the document says so.
    assert result.status.value == "partial", result.error
    assert [f.record.project_name for f in result.forms] == ["走访"]
    [failed] = meta["failed_pages"]
    assert failed["page"] == 2 and failed["code"] == "CORRUPT_DOCUMENT"
    assert "content" in failed["message"]


def test_born_digital_pdf_cut_at_90_percent_is_corrupt_with_its_pages_listed():
    data = render_pdf([_gold(2), _gold(7)])
    result = extract_bytes(data[: int(len(data) * 0.9)], "cut.pdf")
    # pymupdf repairs the file into two pages whose text is gone: not an empty document, a corrupt one.
    assert result.status.value == "failed" and result.error["code"] == "CORRUPT_DOCUMENT"
    assert [p["page"] for p in result.error["details"]["failed_pages"]] == [1, 2]


def test_bmp_with_a_bad_header_is_a_corrupt_document(pages):
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(pages[0][:200, :300]).save(buf, format="BMP")
    # A DIB header size no writer uses, bits per pixel 7: a broken BMP, not text and not a crash.
    for offset, value, code in ((14, 1000, "CORRUPT_DOCUMENT"), (28, 7, "CORRUPT_DOCUMENT")):
        data = bytearray(buf.getvalue())
        data[offset:offset + 4 if offset == 14 else offset + 2] = value.to_bytes(4 if offset == 14 else 2, "little")
        result = extract_bytes(bytes(data), "bad.bmp")
        assert result.status.value == "failed" and result.error["code"] == code, result.error


@pytest.mark.parametrize("shape", [(60000, 20), (20, 60000), (1, 1), (3, 9000)])
def test_image_of_extreme_shape_is_read_or_typed_never_internal_error(shape):
    image = np.full(shape, 255, np.uint8)
    image[: shape[0] // 2, : shape[1] // 2] = 0
    result = extract_bytes(png(image), "strip.png")
    assert result.status.value == "failed" and result.error["code"] == "NO_FORM_FOUND", result.error



# ---- Resource caps on every raster: a page is never rendered past EXTRACTOR_MAX_RASTER_PIXELS, an embedded image
# never decoded past EXTRACTOR_MAX_IMAGE_PIXELS, a document never past EXTRACTOR_MAX_DOCUMENT_PIXELS.

HUGE = 14400.0  # pt, the largest page PDF allows: 200 inches, 30000 px a side at 150 dpi


def _huge_page_with_small_image(image: np.ndarray, where: tuple[float, float, float, float] | None = None) -> bytes:
    doc = pymupdf.open()
    page = doc.new_page(width=HUGE, height=HUGE)
    page.insert_image(pymupdf.Rect(where) if where else page.rect, stream=png(image))
    return doc.tobytes()


def _huge_page_with_text() -> bytes:
    """A 14400 pt page with a (mojibake) text layer in three far corners: content everywhere, 9 pt print."""
    doc = pymupdf.open()
    page = doc.new_page(width=HUGE, height=HUGE)
    for x, y in ((50, 50), (14000, 14000), (7000, 300)):
        page.insert_text((x, y), "²ÆÕþÏîÄ¿Ö§³ö¼¨Ð§×ÔÆÀ±í ÏîÄ¿Ãû³Æ Ö÷¹Ü²¿ÃÅ", fontsize=9)
    return doc.tobytes()


def _pdf_with_image_bomb(side: int = 10000) -> bytes:
    """One A4 page drawing a 1-bit side×side image whose Flate stream is small (100 M pixels decoded)."""
    comp = zlib.compressobj(9)
    row = bytes((side + 7) // 8)
    stream = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    objects = [
        b"<</Type/Catalog/Pages 2 0 R>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</XObject<</Im0 4 0 R>>>>/Contents 5 0 R>>",
        b"<</Type/XObject/Subtype/Image/Width %d/Height %d/ColorSpace/DeviceGray/BitsPerComponent 1"
        b"/Filter/FlateDecode/Length %d>>stream\n" % (side, side, len(stream)) + stream + b"\nendstream",
        b"<</Length 32>>stream\nq 595 0 0 842 0 0 cm /Im0 Do Q\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer<</Size %d/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


_MEASURE = """
import json, sys
from extractor.pipeline import extract_bytes


def peak_mb():
    # VmHWM is this process's own peak; ru_maxrss keeps the parent's from before exec.
    line = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


data = open(sys.argv[1], "rb").read()
result = extract_bytes(data, "bomb.pdf")
print(json.dumps({"status": result.status.value, "code": (result.error or {}).get("code"),
                  "details": (result.error or {}).get("details"),
                  "peak_mb": peak_mb()}))
"""


def _measure(tmp_path, data: bytes) -> dict:
    """The result of reading `data` in a fresh process, with that process's peak memory."""
    path = tmp_path / "input.pdf"
    path.write_bytes(data)
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_page_bomb_huge_pdf_page_holding_a_small_image_stays_under_the_memory_cap(tmp_path, pages):
    # 14400×14400 pt stretched over by a 200×200 image: was rendered at 150 dpi, 30000×30000 pixels (GBs).
    got = _measure(tmp_path, _huge_page_with_small_image(pages[0][:200, :200]))
    assert got["status"] == "failed" and got["code"] == "NO_FORM_FOUND", got
    assert got["peak_mb"] < 1500, got


@pytest.mark.slow
def test_page_bomb_huge_pdf_page_of_small_print_is_a_resource_limit_with_the_numbers(tmp_path):
    got = _measure(tmp_path, _huge_page_with_text())
    assert got["status"] == "failed" and got["code"] == "RESOURCE_LIMIT", got
    assert got["details"] == {"width_pt": 14400, "height_pt": 14400, "dpi": 93, "pixels": 347151424,
                              "limit": 25_000_000}
    assert got["peak_mb"] < 1500, got


@pytest.mark.slow
def test_image_bomb_inside_a_pdf_is_refused_before_decoding(tmp_path):
    data = _pdf_with_image_bomb()
    assert len(data) < 100_000
    got = _measure(tmp_path, data)
    assert got["status"] == "failed" and got["code"] == "RESOURCE_LIMIT", got
    assert got["details"]["pixels"] == 10000 * 10000 and got["details"]["limit"] == 60_000_000
    assert got["peak_mb"] < 1500, got


@pytest.mark.slow
def test_form_in_a_corner_of_a_huge_pdf_page_is_read_from_its_clip(pages):
    data = _huge_page_with_small_image(pages[0], (0, 0, 595, 842))
    result, meta = _extract(data, "corner.pdf")
    assert result.status.value == "ok" and [f.record.project_name for f in result.forms] == ["走访"]
    [source] = meta["page_sources"]
    assert source["clip"][2] < 700 and source["clip"][3] < 900  # only the corner was rendered
    cell = result.forms[0].provenance.fields["total_score"].cells[0]
    assert 0 < cell.bbox[0] < cell.bbox[2] < 595 and 0 < cell.bbox[1] < cell.bbox[3] < 842  # page points


@pytest.mark.slow
def test_pages_past_the_document_pixel_cap_fail_alone(pages):
    from extractor.settings import get_settings

    data = image_pdf(pages)
    seen: dict = {}
    one_page = pages[0].shape[0] * pages[0].shape[1]
    result = extract_bytes(data, "two.pdf", get_settings(max_document_pixels=int(one_page * 1.5)),
                           on_loaded=lambda doc: seen.update(doc.meta))
    assert result.status.value == "partial" and [f.record.project_name for f in result.forms] == ["走访"]
    [failed] = seen["failed_pages"]
    assert failed["page"] == 2 and failed["code"] == "RESOURCE_LIMIT" and failed["limit"] == int(one_page * 1.5)
