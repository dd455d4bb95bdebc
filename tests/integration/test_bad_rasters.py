"""Damaged and hostile rasters (issue 12): a page that fails fails alone, no decoder error escapes untyped, and no
page is rasterised past the pixel caps, whatever the file claims."""

from __future__ import annotations

import io

import numpy as np
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
    for offset, value in ((14, 1000), (28, 7)):  # DIB header size, bits per pixel: Pillow raises OSError
        data = bytearray(buf.getvalue())
        data[offset:offset + 4 if offset == 14 else offset + 2] = value.to_bytes(4 if offset == 14 else 2, "little")
        result = extract_bytes(bytes(data), "bad.bmp")
        assert result.status.value == "failed" and result.error["code"] == "CORRUPT_DOCUMENT", result.error


@pytest.mark.parametrize("shape", [(60000, 20), (20, 60000), (1, 1), (3, 9000)])
def test_image_of_extreme_shape_is_read_or_typed_never_internal_error(shape):
    image = np.full(shape, 255, np.uint8)
    image[: shape[0] // 2, : shape[1] // 2] = 0
    result = extract_bytes(png(image), "strip.png")
    assert result.status.value == "failed" and result.error["code"] == "NO_FORM_FOUND", result.error

