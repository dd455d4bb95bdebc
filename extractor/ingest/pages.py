"""Read PDFs and images page by page: the text layer where it is usable, OCR where not; then one grid per form."""

from __future__ import annotations

import io
import logging
import math
import re
import time
import traceback
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
    ExtractorError,
    InternalError,
    NoFormFoundError,
    ResourceLimitError,
)
from extractor.ingest.loader import DocumentKind, LoadedDocument
from extractor.layout import SourceKind
from extractor.settings import Settings
from extractor.tables.forms import PageLayout, assemble, with_glyphs
from extractor.tables.grid import Glyph, find_tables
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


def _raster(page: Any, dpi: float, clip: Any = None) -> np.ndarray:
    import pymupdf

    zoom = dpi / 72
    pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), clip=clip, colorspace=pymupdf.csGRAY, alpha=False)
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


class _Budget:
    """Pixels rendered or decoded so far for one document, against EXTRACTOR_MAX_DOCUMENT_PIXELS."""

    def __init__(self, settings: Settings) -> None:
        self.limit = settings.max_document_pixels
        self.spent = 0

    def spend(self, pixels: int, number: int) -> None:
        """Count a page's raster before it is made; RESOURCE_LIMIT (for this page) when it would pass the cap."""
        if self.spent + pixels > self.limit:
            raise ResourceLimitError(f"page {number} would bring the document to {self.spent + pixels} pixels, over "
                                     f"the limit of {self.limit}", page=number, pixels=self.spent + pixels,
                                     limit=self.limit)
        self.spent += pixels


# A text line this many pixels high is still read; a page rendered coarser than that loses its text.
MIN_TEXT_PX = 16
# The smallest print a form uses, assumed for a page whose text is drawn as paths (no glyph sizes to measure).
SMALLEST_PRINT_PT = 7.0


def _pixels(width_pt: float, height_pt: float, dpi: float) -> int:
    return math.ceil(width_pt * dpi / 72) * math.ceil(height_pt * dpi / 72)


def _content_box(page: Any) -> Any:
    """Where the page's content lies (text, paths, images, from mupdf's cheap bbox log), or None if everywhere."""
    import pymupdf

    box = pymupdf.Rect()
    for _kind, rect in page.get_bboxlog():
        box |= pymupdf.Rect(rect)
    box = (box + (-18, -18, 18, 18)) & page.rect  # a margin for the ink's blur and the deskew
    if box.is_empty or box.width * box.height >= 0.8 * page.rect.width * page.rect.height:
        return None
    return box


def _needed_dpi(page: Any, images: list[dict[str, Any]], glyphs: list[Glyph], area: float) -> tuple[float, bool]:
    """The coarsest resolution that keeps what the page holds (its large images' own pixels, its text at
    MIN_TEXT_PX a line), and whether it holds images only (nothing is gained by rendering those finer)."""
    needs = []
    for info in images:
        x0, y0, x1, y1 = info["bbox"]
        if (x1 - x0) * (y1 - y0) >= 0.05 * area and x1 > x0 and y1 > y0:  # a logo or a seal does not count
            needs.append(max(info["width"] / (x1 - x0), info["height"] / (y1 - y0)) * 72)
    heights = sorted(g.bbox[3] - g.bbox[1] for g in glyphs if g.bbox[3] > g.bbox[1])
    if heights:
        needs.append(MIN_TEXT_PX * 72 / heights[len(heights) // 2])
    paths = any("path" in kind for kind, _ in page.get_bboxlog())
    only_images = bool(needs) and not heights and not paths
    if not heights and (paths or not needs):
        needs.append(MIN_TEXT_PX * 72 / SMALLEST_PRINT_PT)
    return max(needs), only_images


def _plan_raster(page: Any, want_dpi: float, settings: Settings, number: int,
                 glyphs: list[Glyph]) -> tuple[float, Any]:
    """The resolution and clip to render a page at: `want_dpi` and the whole page when that stays within
    EXTRACTOR_MAX_RASTER_PIXELS; else only where its content lies, and coarser down to what the content needs
    (no finer than twice its images' own pixels when it holds nothing else). Past that RESOURCE_LIMIT with the
    numbers, before anything is rendered."""
    cap = settings.max_raster_pixels
    images = page.get_image_info()
    for info in images:  # mupdf decodes an image whole before it scales it: a huge one is refused unseen
        if info["width"] * info["height"] > settings.max_image_pixels:
            raise ResourceLimitError(
                f"page {number} holds a {info['width']}×{info['height']}-pixel image, over the limit of "
                f"{settings.max_image_pixels}", page=number, pixels=info["width"] * info["height"],
                width=info["width"], height=info["height"], limit=settings.max_image_pixels)
    rect = page.rect
    if _pixels(rect.width, rect.height, want_dpi) <= cap:
        return want_dpi, None
    clip = _content_box(page) if page.rotation == 0 else None  # a clip on a turned page is in unturned units
    area = clip if clip is not None else rect
    need, only_images = _needed_dpi(page, images, glyphs, area.width * area.height)
    dpi = min(want_dpi, 72 * math.sqrt(cap / (area.width * area.height)))
    while _pixels(area.width, area.height, dpi) > cap:  # rounding up to whole pixels may pass the cap
        dpi *= 0.999
    if dpi < min(need, want_dpi):
        raise ResourceLimitError(
            f"page {number} is {rect.width:.0f}×{rect.height:.0f} pt: at the {need:.0f} dpi its content needs that is "
            f"{_pixels(area.width, area.height, need)} pixels, over the limit of {cap}",
            page=number, width_pt=round(rect.width), height_pt=round(rect.height), dpi=round(need),
            pixels=_pixels(area.width, area.height, need), limit=cap)
    if only_images:
        dpi = min(dpi, max(1.0, 2 * need))
    return dpi, clip


def _shift_page(layout: PageLayout, dx: float, dy: float, page: Any) -> None:
    """A layout read from a clip of the page moved back to page coordinates."""
    for table in layout.tables:
        table.xs = [x + dx for x in table.xs]
        table.ys = [y + dy for y in table.ys]
        for cell in table.cells:
            x0, y0, x1, y1 = cell.bbox
            cell.bbox = (x0 + dx, y0 + dy, x1 + dx, y1 + dy)
    for line in layout.free_lines:
        for g in line:
            x0, y0, x1, y1 = g.bbox
            g.bbox = (x0 + dx, y0 + dy, x1 + dx, y1 + dy)
    layout.width, layout.height = page.rect.width, page.rect.height


def _text_page(page: Any, number: int, glyphs: list[Glyph], settings: Settings, budget: _Budget) -> PageLayout:
    """A page with a usable text layer: vector ruling lines, characters into cells."""
    layout = PageLayout(number=number, width=page.rect.width, height=page.rect.height, kind=SourceKind.PDF_TEXT)
    tables = find_tables(segments_from_drawings(page.get_drawings()), tol=2.0)
    if not tables and page.get_images():
        # Lines drawn as an image under real text: find them on a coarse raster.
        try:
            dpi, clip = _plan_raster(page, 100, settings, number, glyphs)
            budget.spend(_pixels(*_size(page, clip), dpi), number)
        except ResourceLimitError as exc:
            layout.notes.append(f"ruling lines not looked for in the page image: {exc.message}")
        else:
            segments, _ = segments_from_raster(_raster(page, dpi, clip))
            scale = 72 / dpi
            dx, dy = (clip.x0, clip.y0) if clip is not None else (0.0, 0.0)
            from extractor.tables.lines import Segment

            tables = find_tables([Segment(s.horizontal, s.pos * scale + (dy if s.horizontal else dx),
                                          s.start * scale + (dx if s.horizontal else dy),
                                          s.end * scale + (dx if s.horizontal else dy)) for s in segments], tol=2.0)
            if tables:
                layout.notes.append("ruling lines found in the page image")
    return with_glyphs(layout, tables, glyphs)


def _ocr_engine(settings: Settings) -> Any:
    from extractor.ocr import get_engine

    return get_engine(settings)


# mupdf's warnings while a page is read say what it had to skip. These always mean content was lost …
_LOST = re.compile(r"cannot load content stream|object is not a stream|premature end|truncated|zlib|cannot find object|"
                   r"unexpected end|read error|corrupt|cannot load object|non-page object in page tree", re.IGNORECASE)
# … and these only in a file mupdf had to repair (a sloppy writer's syntax errors are harmless in a whole file).
_DOUBTFUL = re.compile(r"syntax error|page may not be correct|Length incorrect", re.IGNORECASE)


def _mupdf_warnings() -> list[str]:
    """mupdf's warnings since the last call (the store is emptied)."""
    import pymupdf

    return [line for line in pymupdf.TOOLS.mupdf_warnings(reset=True).splitlines() if line.strip()]


def _damage(warnings: list[str], repaired: bool) -> str | None:
    """What mupdf lost while reading a page, from its warnings; None when nothing."""
    hits = [w for w in warnings if _LOST.search(w) or (repaired and _DOUBTFUL.search(w))]
    return "; ".join(dict.fromkeys(hits))[:300] if hits else None


def _is_empty(layout: PageLayout) -> bool:
    return not layout.free_lines and not any(cell.text.strip() for t in layout.tables for cell in t.cells)


def _failure(number: int, exc: Exception) -> dict[str, Any]:
    """A failed page as recorded in the document's meta: its number, a typed code and the reason."""
    if isinstance(exc, ExtractorError):
        return {"page": number, "code": exc.code, "message": exc.message, **exc.details}
    # An exception raised inside pymupdf or Pillow is the file's fault; anywhere else it is ours.
    frames = traceback.extract_tb(exc.__traceback__)
    where = frames[-1].filename if frames else ""
    broken = any(part in where for part in ("/pymupdf/", "/fitz/", "/PIL/"))
    return {"page": number, "code": "CORRUPT_DOCUMENT" if broken else "INTERNAL_ERROR",
            "message": f"page {number} cannot be read: {type(exc).__name__}: {exc}"}


def _size(page: Any, clip: Any) -> tuple[float, float]:
    area = clip if clip is not None else page.rect
    return area.width, area.height


def _pdf_page(page: Any, number: int, settings: Settings, budget: _Budget) -> tuple[PageLayout | None, dict[str, Any]]:
    """One PDF page read from its text layer or by OCR; None for a page with nothing on it."""
    import pymupdf

    # Without image blocks: by default rawdict decodes every image on the page (and re-encodes it as PNG) before
    # any size check, 200 MB for a 10000² 1-bit image, and time on every scanned page.
    glyphs = _glyphs_from_rawdict(page.get_text("rawdict", flags=pymupdf.TEXTFLAGS_RAWDICT & ~pymupdf.TEXT_PRESERVE_IMAGES))
    problem = text_layer_problem("".join(g.text for g in glyphs))
    if problem == "no text layer" and not page.get_images():
        return None, {"page": number, "source": "blank"}  # nothing printed and nothing scanned: no OCR to run
    if problem is None:
        return _text_page(page, number, glyphs, settings, budget), {"page": number, "source": "text_layer"}
    want = _native_dpi(page)
    dpi, clip = _plan_raster(page, want, settings, number, glyphs)
    budget.spend(_pixels(*_size(page, clip), dpi), number)
    gray = _raster(page, dpi, clip)
    from extractor.ingest.scan import read_raster

    # A page scanned to a 1-bit image (CCITT fax, JBIG2) is bilevel even where the rendering smoothed it.
    images = page.get_images(full=True)
    bilevel = bool(images) and max(images, key=lambda im: im[2] * im[3])[4] == 1
    layout = read_raster(gray, number, _ocr_engine(settings), scale=72 / dpi, bilevel=bilevel or None)
    source: dict[str, Any] = {"page": number, "source": "ocr", "reason": problem, "dpi": round(dpi, 2)}
    if clip is not None:
        _shift_page(layout, clip.x0, clip.y0, page)
        source["clip"] = [round(v, 1) for v in clip]
    if dpi != want:
        layout.notes.append(f"rendered at {dpi:.0f} dpi, not {want}: the page is {page.rect.width:.0f}×"
                            f"{page.rect.height:.0f} pt and one raster holds at most {settings.max_raster_pixels} pixels")
    return layout, source


def _pdf_pages(data: bytes, settings: Settings, meta: dict[str, Any], deadline: float) -> Iterator[PageLayout]:
    import pymupdf

    _mupdf_warnings()
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
        repaired = bool(doc.is_repaired)
        opened = _mupdf_warnings()
        if repaired:
            meta["repaired"] = "; ".join(opened)[:300] or "the file was repaired"
        budget = _Budget(settings)
        for index in range(doc.page_count):
            _check_deadline(deadline, settings, index)
            number = index + 1
            _mupdf_warnings()  # what mupdf says from here on is about this page
            try:
                layout, source = _pdf_page(doc.load_page(index), number, settings, budget)
            except (ResourceLimitError, CorruptDocumentError) as exc:
                meta["failed_pages"].append(_failure(number, exc))
                continue
            except DocumentLoadError:
                raise
            except Exception as exc:
                if isinstance(exc, _config_errors()):
                    raise
                log.warning("page %d cannot be read: %s", number, exc, exc_info=True)
                meta["failed_pages"].append(_failure(number, exc))
                continue
            damage = _damage(_mupdf_warnings(), repaired)
            if damage and (layout is None or _is_empty(layout)):
                meta["failed_pages"].append({"page": number, "code": CorruptDocumentError.code,
                                             "message": f"page {number}'s content cannot be read: {damage}"})
                continue
            if damage:
                # What mupdf could read is kept; the page is listed, so the document cannot pass as whole.
                meta["failed_pages"].append({"page": number, "code": CorruptDocumentError.code, "kept": True,
                                             "message": f"page {number} is damaged, what could be read is kept: {damage}"})
            meta["page_sources"].append(source)
            if layout is not None:
                yield layout
        if repaired:
            meta["failed_pages"] += _pages_cut_off(doc, settings.max_pages)


def _pages_cut_off(doc: Any, limit: int) -> list[dict[str, Any]]:
    """Pages the file's page tree counts but repair could not find (a file cut short before their objects)."""
    try:
        kind, ref = doc.xref_get_key(doc.pdf_catalog(), "Pages")
        count = int(doc.xref_get_key(int(ref.split()[0]), "Count")[1]) if kind == "xref" else 0
    except Exception:  # a page tree too broken to count: nothing more to say than repair did
        return []
    return [{"page": n, "code": CorruptDocumentError.code,
             "message": f"page {n} of {count} is not in the file (it was cut short)"}
            for n in range(doc.page_count + 1, min(count, limit) + 1)]


def _config_errors() -> tuple[type[Exception], ...]:
    from extractor.errors import ConfigurationError

    return (ConfigurationError,)


def _check_deadline(deadline: float, settings: Settings, index: int) -> None:
    if time.perf_counter() > deadline:
        raise ResourceLimitError(f"reading stopped after {settings.document_timeout_s:.0f} s at page {index + 1}",
                                 limit_s=settings.document_timeout_s, page=index + 1)


def _open_image(data: bytes, settings: Settings) -> Any:
    """The image opened lazily (no pixel decoded): bombs refused on their header, broken headers typed."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = settings.max_image_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size is checked per frame
            return Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:  # Pillow's own guard fires at twice its limit, on the header
        found = re.search(r"\((\d+) pixels\)", str(exc))
        raise ResourceLimitError(f"the image is too large to decode: {exc}", pixels=int(found.group(1)) if found else None,
                                 limit=settings.max_image_pixels) from exc
    except Exception as exc:
        # Pillow's format plugins raise OSError, SyntaxError, ValueError, struct.error… for a broken header.
        raise CorruptDocumentError(f"the image format is not recognised or the file is broken: {exc}",
                                   reason=type(exc).__name__) from exc


def _image_frames(data: bytes, settings: Settings, meta: dict[str, Any]) -> Iterator[tuple[int, np.ndarray, bool]]:
    """Grey frames of an image file (all pages of a TIFF), each size checked before its pixels are decoded, and
    whether the frame is 1-bit.

    A frame that cannot be decoded is listed in `meta["failed_pages"]` and the next one is tried; a file cut
    inside its chain of pages keeps the pages before the cut.
    """
    image = _open_image(data, settings)
    budget = _Budget(settings)
    with image:
        try:
            frames: int | None = getattr(image, "n_frames", 1)
        except Exception:  # counting walks every page's directory: a cut file fails here (Missing dimensions)
            frames = None
            image = _open_image(data, settings)
        if frames is not None and frames > settings.max_pages:
            raise ResourceLimitError(f"the image has {frames} pages, over the limit of {settings.max_pages}",
                                     pages=frames, limit=settings.max_pages)
        if frames is not None:
            meta["pages_total"] = frames
        index = 0
        while index < (frames if frames is not None else settings.max_pages):
            number = index + 1
            if index:
                try:
                    image.seek(index)
                except EOFError:
                    break
                except Exception as exc:
                    meta["failed_pages"].append({
                        "page": number, "code": CorruptDocumentError.code,
                        "message": f"page {number} cannot be reached, the file breaks off inside it: "
                                   f"{type(exc).__name__}: {exc}"})
                    break
            index += 1
            w, h = image.size
            if w * h > settings.max_image_pixels:
                meta["failed_pages"].append(_failure(number, ResourceLimitError(
                    f"the image is {w}×{h} pixels, over the limit of {settings.max_image_pixels}",
                    pixels=w * h, width=w, height=h, limit=settings.max_image_pixels)))
                continue
            try:
                budget.spend(w * h, number)
            except ResourceLimitError as exc:
                meta["failed_pages"].append(_failure(number, exc))
                continue
            try:
                grey = _grey(image)
            except Exception as exc:  # a truncated or garbled page: OSError, ValueError, SyntaxError, struct.error…
                meta["failed_pages"].append({"page": number, "code": CorruptDocumentError.code,
                                             "message": f"page {number} cannot be decoded: {type(exc).__name__}: {exc}"})
                continue
            yield number, grey, image.mode == "1"
        if frames is None:
            meta["pages_total"] = index


def _grey(image: Any) -> np.ndarray:
    """The current frame as 8-bit grey on white paper, the way a viewer shows it.

    EXIF orientation is applied (a phone stores its photo sideways with a tag saying so); 16-bit and float samples
    are scaled by their brightest value (a 16-bit page converted naively clips to white, and 12-bit scans fill
    only 0-4095); transparent pixels become paper (a transparent PNG's ink on "nothing" is black on black).
    """
    import cv2
    from PIL import ImageOps

    if image.getexif().get(0x0112, 1) in range(2, 9):
        image = ImageOps.exif_transpose(image)
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        samples = np.asarray(image)
        samples = samples.astype(samples.dtype.newbyteorder("=")) if not samples.dtype.isnative else samples
        if samples.dtype.kind != "u":
            samples = np.clip(samples, 0, None)  # negative samples carry no ink either
        top = float(samples.max()) if samples.size else 0.0
        return cv2.convertScaleAbs(samples, alpha=255.0 / top if top > 0 else 1.0)
    if "A" in image.mode or "a" in image.mode or "transparency" in image.info:
        rgba = image.convert("RGBA")
        alpha = np.asarray(rgba.getchannel("A"), dtype=np.uint8)
        grey = np.asarray(rgba.convert("L"), dtype=np.uint8)
        del rgba
        # Over white: 255 - (255 - grey) · alpha / 255, in 8 bits (cv2 scales and rounds without a wider copy).
        return cv2.subtract(np.full_like(grey, 255), cv2.multiply(cv2.subtract(np.full_like(grey, 255), grey), alpha,
                                                                  scale=1 / 255))
    return np.asarray(image.convert("L"), dtype=np.uint8).copy()


def _image_pages(data: bytes, settings: Settings, meta: dict[str, Any], deadline: float) -> Iterator[PageLayout]:
    import cv2

    from extractor.ingest.scan import read_raster

    for number, gray, bilevel in _image_frames(data, settings, meta):
        _check_deadline(deadline, settings, number - 1)
        scale = 1.0
        side = max(gray.shape)
        if side > MAX_RASTER_SIDE:
            factor = MAX_RASTER_SIDE / side
            # A strip 20 px wide scales to less than a pixel: keep at least one.
            size = (max(1, round(gray.shape[1] * factor)), max(1, round(gray.shape[0] * factor)))
            gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
            scale = 1 / factor  # boxes stay in the original image's pixels
        try:
            layout = read_raster(gray, number, _ocr_engine(settings), scale=scale, bilevel=bilevel or None)
        except Exception as exc:
            if isinstance(exc, _config_errors()):
                raise
            log.warning("page %d cannot be read: %s", number, exc, exc_info=True)
            meta["failed_pages"].append(_failure(number, exc))
            continue
        meta["page_sources"].append({"page": number, "source": "ocr", "reason": "image"})
        yield layout


def _nothing_read(failed: list[dict[str, Any]]) -> ExtractorError:
    """The document's error when no page could be read: the pages' own error when they agree (a lone image over
    the pixel cap is RESOURCE_LIMIT with its numbers); a bug stays INTERNAL_ERROR; else CORRUPT_DOCUMENT."""
    codes = {f["code"] for f in failed}
    first = failed[0]
    if codes == {ResourceLimitError.code} and len(failed) == 1:
        return ResourceLimitError(first["message"], **{k: v for k, v in first.items() if k not in ("page", "code", "message")})
    if codes == {ResourceLimitError.code}:
        return ResourceLimitError("no page of the document could be read within the limits", failed_pages=failed)
    if InternalError.code in codes:
        return InternalError(f"no page of the document could be read: {first['message']}", failed_pages=failed)
    message = first["message"] if len(failed) == 1 else "no page of the document could be read"
    return CorruptDocumentError(message, failed_pages=failed)


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
            raise _nothing_read(meta["failed_pages"])
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
