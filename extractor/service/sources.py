"""What the reviewer sees of the source: page images (PDF pages, image frames) or the text grid of an export,
and the cells to highlight on them (from the provenance of every flagged field)."""

from __future__ import annotations

import hashlib
import io
import logging
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from extractor.layout import Grid
from extractor.records.models import FormResult, Severity
from extractor.service.settings import ServiceSettings
from extractor.service.store import SourceInfo

log = logging.getLogger(__name__)
_RANK = {Severity.ERROR.value: 0, Severity.WARNING.value: 1, Severity.INFO.value: 2}
MAX_IMAGE_SIDE = 1800  # page images of scans are shrunk to this (the review page shows them at ~900 px)


class PageNotFound(LookupError):
    """No such page in the document (or the document has no pages: a text export)."""


class PageInfo(BaseModel):
    """One page: its number and size in the units of the provenance boxes (PDF points, image pixels)."""

    number: int
    width: float
    height: float


class Highlight(BaseModel):
    """A source cell behind a flagged field, with the worst severity of the findings that name it."""

    cell_id: str
    path: str
    severity: str
    codes: list[str]
    page: int | None = None
    bbox: tuple[float, float, float, float] | None = None
    line: int | None = None
    column: int | None = None


class GridCell(BaseModel):
    """A cell of a text export's grid, as the review page lays it out."""

    id: str
    text: str
    line: int | None
    col: int


def _abs(settings: ServiceSettings, source: SourceInfo) -> Path:
    return settings.data_dir / source.stored_path


def pages(source: SourceInfo, settings: ServiceSettings) -> list[PageInfo]:
    """The pages of a PDF or image source with their sizes; [] for a text export."""
    path = _abs(settings, source)
    if source.kind == "pdf":
        import pymupdf

        with pymupdf.open(path) as doc:
            return [PageInfo(number=i + 1, width=p.rect.width, height=p.rect.height) for i, p in enumerate(doc)]
    if source.kind == "image":
        from PIL import Image, ImageSequence

        with Image.open(path) as img:
            return [PageInfo(number=i + 1, width=frame.size[0], height=frame.size[1])
                    for i, frame in enumerate(ImageSequence.Iterator(img))]
    return []


def render_page(source: SourceInfo, number: int, settings: ServiceSettings) -> bytes:
    """A page as PNG (cached on disk: rendering a page costs tens of milliseconds, a scan frame more)."""
    if source.kind not in ("pdf", "image"):
        raise PageNotFound(number)
    key = hashlib.sha256(source.stored_path.encode()).hexdigest()[:24]
    cached = settings.cache_dir() / "pages" / key / f"{number}-{settings.page_dpi}.png"
    if cached.exists():
        return cached.read_bytes()
    data = _render_pdf(source, number, settings) if source.kind == "pdf" else _render_image(source, number, settings)
    tmp = cached.with_suffix(f".{id(data)}.tmp")
    try:
        cached.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp.write_bytes(data)
        tmp.replace(cached)
    except OSError as exc:  # a full disk costs the cache, not the page: never a half-written PNG left behind
        log.warning("page cache not written: %s", exc.strerror or exc)
        tmp.unlink(missing_ok=True)
    return data


def _render_pdf(source: SourceInfo, number: int, settings: ServiceSettings) -> bytes:
    import pymupdf

    with pymupdf.open(_abs(settings, source)) as doc:
        if not 1 <= number <= doc.page_count:
            raise PageNotFound(number)
        return bytes(doc[number - 1].get_pixmap(dpi=settings.page_dpi, alpha=False).tobytes("png"))


def _render_image(source: SourceInfo, number: int, settings: ServiceSettings) -> bytes:
    from PIL import Image

    with Image.open(_abs(settings, source)) as img:
        frames = getattr(img, "n_frames", 1)
        if not 1 <= number <= frames:
            raise PageNotFound(number)
        img.seek(number - 1)
        frame = img.convert("L" if img.mode in ("1", "L", "I;16") else "RGB")
        frame.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
        out = io.BytesIO()
        frame.save(out, format="PNG", optimize=False)
        return out.getvalue()


def grid_rows(grid: Grid) -> list[list[GridCell | None]]:
    """A grid's rows padded to its widest row, so the export reads as the table it was."""
    width = max((c.col + c.col_span for c in grid.cells()), default=0)
    rows: list[list[GridCell | None]] = []
    for row in grid.rows:
        cells: list[GridCell | None] = [None] * width
        for cell in row:
            if 0 <= cell.col < width:
                cells[cell.col] = GridCell(id=cell.id, text=cell.text, line=cell.line, col=cell.col)
        rows.append(cells)
    return rows


def highlights(form: FormResult) -> list[Highlight]:
    """Every source cell behind a field named by a finding, with the worst severity and the codes."""
    by_cell: dict[tuple[str, str], dict[str, Any]] = {}
    for finding in form.findings:
        for path in finding.fields:
            src = form.provenance.fields.get(path)
            if src is None:
                continue
            for ref in src.cells:
                entry = by_cell.setdefault((ref.id, path), {"ref": ref, "severity": finding.severity.value, "codes": []})
                if _RANK[finding.severity.value] < _RANK[entry["severity"]]:
                    entry["severity"] = finding.severity.value
                if finding.code.value not in entry["codes"]:
                    entry["codes"].append(finding.code.value)
    return [Highlight(cell_id=ref.id, path=path, severity=e["severity"], codes=e["codes"], page=ref.page,
                      bbox=ref.bbox, line=ref.line, column=ref.column)
            for (_, path), e in by_cell.items() for ref in [e["ref"]]]


def field_flags(form: FormResult) -> dict[str, dict[str, Any]]:
    """Record path → the worst severity and the codes of the findings naming it (for the table's cells)."""
    flags: dict[str, dict[str, Any]] = {}
    for finding in form.findings:
        for path in finding.fields:
            entry = flags.setdefault(path, {"severity": finding.severity.value, "codes": []})
            if _RANK[finding.severity.value] < _RANK[entry["severity"]]:
                entry["severity"] = finding.severity.value
            if finding.code.value not in entry["codes"]:
                entry["codes"].append(finding.code.value)
    return flags
