"""What one upload may cost, checked before any work: page size and rasterised pixels per page and per
document, the size of a text export, and the CPU a worker may spend on it (scaling with its pages).

The reader rasterises a page at up to 300 dpi (scans at their native resolution); a 3.3 KB PDF with one
14400-pt page took a worker to 9.3 GB. The cap on a single raster lives in the reader (ingest.pages); the
service refuses such a document at upload, from the page sizes alone, so it never reaches a worker.
"""

from __future__ import annotations

from typing import Any

from extractor.service.settings import ServiceSettings
from extractor.service.uploads import UploadRejected

POINTS_PER_INCH = 72


def page_pixels(width_pt: float, height_pt: float, settings: ServiceSettings) -> int:
    """The pixels of a page rasterised at the budget's resolution."""
    scale = settings.raster_dpi / POINTS_PER_INCH
    return int(width_pt * scale) * int(height_pt * scale)


def check_pdf_pages(doc: Any, name: str, settings: ServiceSettings) -> None:
    """Refuse a PDF with a page larger than a poster, a page over the pixel budget, or too many pixels in all."""
    total = 0
    for index in range(doc.page_count):
        rect = doc.load_page(index).rect  # the page's box only: nothing is drawn or decoded
        width, height = abs(rect.width), abs(rect.height)
        if max(width, height) > settings.max_page_points:
            raise UploadRejected(413, "PAGE_TOO_LARGE", f"{name}: page {index + 1} is {width:.0f}×{height:.0f} pt, "
                                 f"over the limit of {settings.max_page_points:.0f} pt a side", filename=name,
                                 page=index + 1, width=round(width), height=round(height),
                                 limit=settings.max_page_points)
        total += _count(page_pixels(width, height, settings), total, name, index + 1, settings)


def check_image_frames(image: Any, name: str, settings: ServiceSettings) -> None:
    """Refuse an image file (a TIFF may hold many pages) with a frame or all frames over the pixel budgets."""
    total = 0
    for index in range(getattr(image, "n_frames", 1)):
        image.seek(index)  # reads the frame's header, not its pixels
        width, height = image.size
        total += _count(width * height, total, name, index + 1, settings)


def _count(pixels: int, total: int, name: str, page: int, settings: ServiceSettings) -> int:
    if pixels > settings.max_image_pixels:
        raise UploadRejected(413, "TOO_MANY_PIXELS", f"{name}: page {page} is {pixels} pixels at "
                             f"{settings.raster_dpi} dpi, over the limit of {settings.max_image_pixels}",
                             filename=name, page=page, pixels=pixels, limit=settings.max_image_pixels)
    if total + pixels > settings.max_document_pixels:
        raise UploadRejected(413, "TOO_MANY_PIXELS", f"{name}: its pages hold more than "
                             f"{settings.max_document_pixels} pixels in all", filename=name, page=page,
                             limit=settings.max_document_pixels)
    return pixels


def check_text_size(size: int, name: str, settings: ServiceSettings) -> None:
    """Refuse a text export larger than the reader keeps small in memory (≈300 bytes per byte read today)."""
    if size > settings.max_text_bytes:
        raise UploadRejected(413, "TEXT_TOO_LARGE", f"{name} is a text export of {size} bytes, over the limit of "
                             f"{settings.max_text_bytes} (split it, or load it with `extractor backfill`)",
                             filename=name, size=size, limit=settings.max_text_bytes)


def cpu_budget_s(kind: str, pages: int | None, size: int, settings: ServiceSettings) -> float:
    """The CPU seconds a worker may spend on a document: a base plus a share per page (per MB of text), at most
    `cpu_max_s`. A document over its wall-clock timeout is tried again (the machine may have been busy); one over
    this budget is not, so the cap is what a document can cost its owner's queue at most."""
    if kind == "text_export":
        budget = settings.cpu_base_s + settings.cpu_per_text_mb_s * size / (1024 * 1024)
    else:
        budget = settings.cpu_base_s + settings.cpu_per_page_s * max(1, pages or 1)
    cap = settings.cpu_max_s if settings.cpu_max_s is not None else settings.document_timeout_s
    return min(budget, cap)
