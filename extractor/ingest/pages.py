"""Read PDFs and images page by page: the text layer where it is usable, OCR where not; then one grid per form."""

from __future__ import annotations

import io
import logging
import re
import time
import unicodedata
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from extractor.domain.text import has_cjk
from extractor.errors import (
    CorruptDocumentError,
    DocumentLoadError,
    EmptyDocumentError,
    EncryptedDocumentError,
    NoFormFoundError,
    ResourceLimitError,
)
from extractor.ingest.loader import DocumentKind, LoadedDocument
from extractor.layout import SourceKind
from extractor.settings import Settings
from extractor.tables.forms import PageLayout, assemble
from extractor.tables.grid import Glyph, cluster_table, fill_cells, find_tables, text_lines
from extractor.tables.lines import segments_from_drawings, segments_from_raster

log = logging.getLogger(__name__)

# A raster wider than this (pixels) is scaled down before OCR: ~240 dpi on A4 is plenty for the recogniser.
MAX_RASTER_SIDE = 2800
DEFAULT_DPI = 200


def text_layer_problem(text: str) -> str | None:
    """Why a page's text layer cannot be trusted (None when it can): empty, mojibake, private-use glyphs, no CJK."""
    chars = [ch for ch in text if not ch.isspace()]
    if not chars:
        return "no text layer"
    bad = sum(1 for ch in chars if "\ue000" <= ch <= "\uf8ff" or ch == "\ufffd" or unicodedata.category(ch) == "Cc")
    if bad > max(1, len(chars) * 0.05):
        return "private-use or replacement glyphs (fonts without a Unicode map)"
    latin1 = sum(1 for ch in chars if "\u00a0" <= ch <= "\u00ff")
    if latin1 > max(1, len(chars) * 0.15):
        return "mojibake (GBK bytes read as Latin-1)"
    # A short tail page (评分等级 优) is fine; a page of Latin text only is not a Chinese form's layer.
    if len(chars) >= 20 and not has_cjk(text):
        return "no Chinese characters in the text layer"
    return None


def _glyphs_from_rawdict(raw: dict[str, Any]) -> list[Glyph]:
    glyphs = []
    for block in raw.get("blocks", []):
        for line in block.get("lines", []):
            for span in line.get("spans", []):
                for ch in span.get("chars", []):
                    c = ch.get("c", "")
                    if c and not c.isspace():
                        x0, y0, x1, y1 = ch["bbox"]
                        glyphs.append(Glyph(c, (x0, y0, x1, y1)))
    return glyphs


def _raster(page: Any, dpi: int) -> np.ndarray:
    import pymupdf

    pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
    return np.frombuffer(pix.samples, dtype=np.uint8).reshape(pix.height, pix.stride)[:, : pix.width].copy()


def _native_dpi(page: Any) -> int:
    """The resolution of the page's largest image (a scanned page is one image), clamped to a useful range."""
    best = 0.0
    try:
        for info in page.get_image_info():
            w_pt = info["bbox"][2] - info["bbox"][0]
            if w_pt > page.rect.width * 0.5 and info.get("width"):
                best = max(best, info["width"] / w_pt * 72)
    except Exception:  # pragma: no cover - odd image dictionaries fall back to the default
        return DEFAULT_DPI
    return int(min(300, max(150, best))) if best else DEFAULT_DPI


def _text_page(page: Any, number: int, glyphs: list[Glyph]) -> PageLayout:
    """A page with a usable text layer: vector ruling lines, characters into cells."""
    layout = PageLayout(number=number, width=page.rect.width, height=page.rect.height, kind=SourceKind.PDF_TEXT)
    tables = find_tables(segments_from_drawings(page.get_drawings()), tol=2.0)
    if not tables and page.get_images():
        # Lines drawn as an image under real text: find them on a coarse raster.
        dpi = 100
        segments, _ = segments_from_raster(_raster(page, dpi))
        scale = 72 / dpi
        from extractor.tables.lines import Segment

        tables = find_tables([Segment(s.horizontal, s.pos * scale, s.start * scale, s.end * scale) for s in segments],
                             tol=2.0)
        if tables:
            layout.notes.append("ruling lines found in the page image")
    outside = glyphs
    for table in tables:
        outside = fill_cells(table, outside)
    lines = text_lines(outside)
    if not tables:
        table = cluster_table(lines)
        if table is not None:
            layout.notes.append("no ruling lines: columns clustered from text positions")
            layout.tables = [table]
            return layout
    layout.tables = tables
    layout.free_lines = lines
    return layout


def _ocr_engine(settings: Settings) -> Any:
    from extractor.ocr import get_engine

    return get_engine(settings)


def _pdf_pages(data: bytes, settings: Settings, meta: dict[str, Any], deadline: float) -> Iterator[PageLayout]:
    import pymupdf

    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as exc:  # pymupdf raises FileDataError, RuntimeError, ValueError for broken files
        raise CorruptDocumentError(f"the PDF cannot be opened: {exc}", reason=type(exc).__name__) from exc
    with doc:
        if doc.needs_pass:
            raise EncryptedDocumentError("the PDF is password-protected")
        if doc.page_count == 0:
            raise EmptyDocumentError("the PDF has no pages")
        if doc.page_count > settings.max_pages:
            raise ResourceLimitError(f"the PDF has {doc.page_count} pages, over the limit of {settings.max_pages}",
                                     pages=doc.page_count, limit=settings.max_pages)
        meta["pages_total"] = doc.page_count
        for index in range(doc.page_count):
            _check_deadline(deadline, settings, index)
            number = index + 1
            try:
                page = doc.load_page(index)
                glyphs = _glyphs_from_rawdict(page.get_text("rawdict"))
                problem = text_layer_problem("".join(g.text for g in glyphs))
                if problem == "no text layer" and not page.get_images():
                    meta["page_sources"].append({"page": number, "source": "blank"})
                    continue  # nothing printed and nothing scanned: no OCR to run
                if problem is None:
                    layout = _text_page(page, number, glyphs)
                    meta["page_sources"].append({"page": number, "source": "text_layer"})
                else:
                    dpi = _native_dpi(page)
                    gray = _raster(page, dpi)
                    from extractor.ingest.scan import read_raster

                    layout = read_raster(gray, number, _ocr_engine(settings), scale=72 / dpi)
                    meta["page_sources"].append({"page": number, "source": "ocr", "reason": problem, "dpi": dpi})
            except DocumentLoadError:
                raise
            except Exception as exc:
                if isinstance(exc, _config_errors()):
                    raise
                log.warning("page %d cannot be read: %s", number, exc)
                meta["failed_pages"].append({"page": number, "error": f"{type(exc).__name__}: {exc}"})
                continue
            yield layout


def _config_errors() -> tuple[type[Exception], ...]:
    from extractor.errors import ConfigurationError

    return (ConfigurationError,)


def _check_deadline(deadline: float, settings: Settings, index: int) -> None:
    if time.perf_counter() > deadline:
        raise ResourceLimitError(f"reading stopped after {settings.document_timeout_s:.0f} s at page {index + 1}",
                                 limit_s=settings.document_timeout_s, page=index + 1)


def _image_frames(data: bytes, settings: Settings) -> Iterator[np.ndarray]:
    """Grey frames of an image file (all pages of a TIFF), sizes checked before any pixel is decoded."""
    from PIL import Image, ImageSequence, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = settings.max_image_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size is checked below
            image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError as exc:
        raise CorruptDocumentError("the image format is not recognised or the file is broken") from exc
    except Image.DecompressionBombError as exc:  # Pillow's own guard fires at twice its limit, on the header
        found = re.search(r"\((\d+) pixels\)", str(exc))
        raise ResourceLimitError(f"the image is too large to decode: {exc}", pixels=int(found.group(1)) if found else None,
                                 limit=settings.max_image_pixels) from exc
    with image:
        frames = getattr(image, "n_frames", 1)
        if frames > settings.max_pages:
            raise ResourceLimitError(f"the image has {frames} pages, over the limit of {settings.max_pages}",
                                     pages=frames, limit=settings.max_pages)
        for frame in ImageSequence.Iterator(image):
            w, h = frame.size
            if w * h > settings.max_image_pixels:
                raise ResourceLimitError(f"the image is {w}×{h} pixels, over the limit of {settings.max_image_pixels}",
                                         pixels=w * h, width=w, height=h, limit=settings.max_image_pixels)
            try:
                grey = frame.convert("L")
                yield np.asarray(grey, dtype=np.uint8).copy()
            except (OSError, ValueError, SyntaxError) as exc:
                raise CorruptDocumentError(f"the image cannot be decoded: {exc}") from exc


def _image_pages(data: bytes, settings: Settings, meta: dict[str, Any], deadline: float) -> Iterator[PageLayout]:
    import cv2

    from extractor.ingest.scan import read_raster

    for index, gray in enumerate(_image_frames(data, settings)):
        _check_deadline(deadline, settings, index)
        scale = 1.0
        side = max(gray.shape)
        if side > MAX_RASTER_SIDE:
            factor = MAX_RASTER_SIDE / side
            gray = cv2.resize(gray, (int(gray.shape[1] * factor), int(gray.shape[0] * factor)),
                              interpolation=cv2.INTER_AREA)
            scale = 1 / factor  # boxes stay in the original image's pixels
        meta["page_sources"].append({"page": index + 1, "source": "ocr", "reason": "image"})
        meta["pages_total"] = index + 1
        yield read_raster(gray, index + 1, _ocr_engine(settings), scale=scale)


def load(data: bytes, *, kind: DocumentKind, sha256: str, settings: Settings,
         on_page: Callable[[int, int | None], None] | None = None) -> LoadedDocument:
    """A PDF or image read into one grid per form; typed load errors for bad input; `on_page(done, total)` after
    each page (progress for long OCR work)."""
    started = time.perf_counter()
    deadline = started + settings.document_timeout_s
    meta: dict[str, Any] = {"page_sources": [], "failed_pages": []}
    reader = _pdf_pages if kind is DocumentKind.PDF else _image_pages
    pages: list[PageLayout] = []
    for page in reader(data, settings, meta, deadline):
        pages.append(page)
        if on_page is not None:
            on_page(len(meta["page_sources"]) + len(meta["failed_pages"]), meta.get("pages_total"))
    read_s = time.perf_counter() - started
    if not pages:
        if meta["failed_pages"]:
            raise CorruptDocumentError("no page of the document could be read", failed_pages=meta["failed_pages"])
        raise EmptyDocumentError("the document has no pages")
    grids = assemble(pages)
    notes = {p.number: p.notes for p in pages if p.notes}
    if notes:
        meta["page_notes"] = notes
    if not grids:
        raise NoFormFoundError(f"no 绩效自评表 found on {len(pages)} page(s)", pages=len(pages))
    if not meta["failed_pages"]:
        del meta["failed_pages"]
    ocr_pages = sum(1 for p in pages if p.kind is SourceKind.OCR)
    timings = {"pages": round(read_s, 6), "grid": round(time.perf_counter() - started - read_s, 6)}
    if ocr_pages:
        from extractor.ocr import get_engine

        meta["ocr_engine"] = get_engine(settings).name
    return LoadedDocument(kind=kind, sha256=sha256, size=len(data), pages=meta.get("pages_total", len(pages)),
                          grids=grids, meta=meta, timings=timings)
