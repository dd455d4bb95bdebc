"""Page layouts → one grid per form: forms split at their titles, continuation pages joined to the form above."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from extractor.domain.text import norm_key
from extractor.layout import BBox, Cell, Grid, SourceKind
from extractor.tables.grid import (
    Glyph,
    Table,
    TableCell,
    cluster_table,
    fill_cells,
    join_line_doubts,
    text_lines,
)

_TITLE = "绩效自评表"
_PROJECT = "项目名称"
# Labels any form prints somewhere; a document without one of them holds no form.
FORM_MARKERS = ("项目名称", "主管部门", "实施单位", "项目资金", "年度资金总额", "一级指标", "二级指标", "三级指标", "绩效指标",
                "总分", "评分等级")


@dataclass
class PageLayout:
    """What one page holds: its ruled (or clustered) tables and the text lines outside them, in page units."""

    number: int
    width: float
    height: float
    kind: SourceKind
    tables: list[Table] = field(default_factory=list)
    free_lines: list[list[Glyph]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def with_glyphs(layout: PageLayout, tables: list[Table], glyphs: list[Glyph]) -> PageLayout:
    """The page's tables filled with the glyphs inside them, the rest as free lines; with no ruling lines, the
    text's own columns when they make a table (PDF text layers and OFD alike)."""
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


@dataclass
class _Row:
    page: int
    y: float
    cells: list[tuple[TableCell, Table | None]]
    kind: SourceKind

    @property
    def keys(self) -> list[str]:
        return [norm_key(c.text) for c, _ in self.cells if norm_key(c.text)]


def _free_row(page: PageLayout, line: list[Glyph]) -> _Row:
    # Pieces of a free line far apart are separate cells ("单位：万元" at left, a date at right).
    pieces: list[list[Glyph]] = []
    for g in line:
        if pieces and g.bbox[0] - pieces[-1][-1].bbox[2] <= 2.0 * max(g.height, 1.0):
            pieces[-1].append(g)
        else:
            pieces.append([g])
    cells = []
    for i, piece in enumerate(pieces):
        bbox: BBox = (piece[0].bbox[0], min(g.bbox[1] for g in piece), piece[-1].bbox[2], max(g.bbox[3] for g in piece))
        confs = [g.confidence for g in piece if g.confidence is not None]
        text, doubts = join_line_doubts(piece)
        cells.append((TableCell(row=0, col=i, row_span=1, col_span=1, bbox=bbox, text=text,
                                confidence=min(confs) if confs else None, doubts=doubts), None))
    return _Row(page.number, min(g.bbox[1] for g in line), cells, page.kind)


def _page_rows(page: PageLayout) -> list[_Row]:
    rows = [_free_row(page, line) for line in page.free_lines if line]
    for table in page.tables:
        by_row: dict[int, list[TableCell]] = {}
        for cell in table.cells:
            by_row.setdefault(cell.row, []).append(cell)
        for r in range(len(table.ys) - 1):
            members = sorted(by_row.get(r, []), key=lambda c: c.col)
            rows.append(_Row(page.number, table.ys[r] + 0.01, [(c, table) for c in members], page.kind))
    return sorted(rows, key=lambda row: row.y)


def _is_title(row: _Row) -> bool:
    return any(_TITLE in k and len(k) <= 40 for k in row.keys)


def _starts_project(row: _Row) -> bool:
    keys = row.keys
    return bool(keys) and keys[0].startswith(_PROJECT)


def split_forms(pages: list[PageLayout]) -> list[list[_Row]]:
    """Rows of the document cut into forms: at a title, or at a 项目名称 row when the form already has one."""
    forms: list[list[_Row]] = []
    current: list[_Row] = []
    has_table = has_project = False
    for page in pages:
        for row in _page_rows(page):
            tabular = any(t is not None for _, t in row.cells)
            if current and ((_is_title(row) and has_table) or (_starts_project(row) and has_project)):
                # A title (and the year line under it) already collected for the next form moves with it.
                carried = [] if not _starts_project(row) else _trailing_heading(current)
                forms.append(current[: len(current) - len(carried)])
                current, has_table, has_project = carried, False, False
            current.append(row)
            has_table = has_table or tabular
            has_project = has_project or _starts_project(row)
    if current:
        forms.append(current)
    return [f for f in forms if f]


def _trailing_heading(rows: list[_Row]) -> list[_Row]:
    out: list[_Row] = []
    for row in reversed(rows):
        if any(t is not None for _, t in row.cells) or not (_is_title(row) or _looks_like_year(row)):
            break
        out.insert(0, row)
    return out if any(_is_title(r) for r in out) else []


def _looks_like_year(row: _Row) -> bool:
    return any(re.search(r"(19|20)\d{2}年", k) for k in row.keys) and len("".join(row.keys)) <= 16


def has_form_content(rows: list[_Row]) -> bool:
    """True when some cell carries a label every form prints."""
    return any(any(m in k for m in FORM_MARKERS) for row in rows for k in row.keys if len(k) <= 24)


def _offset(x: float, table: Table, width: float) -> float:
    """Where `x` lies in its table, on a common scale: the offset from the left edge, as if the table were
    `width` wide. Pages of one form may differ in scale (a multi-page TIFF scanned at 300 and at 250 dpi)."""
    own = table.xs[-1] - table.xs[0]
    return (x - table.xs[0]) * (width / own if own > 0 else 1.0)


def _columns(rows: list[_Row], tol: float, width: float) -> list[float]:
    """Column boundaries of a form, relative to each table's left edge, pooled over its pages."""
    xs: list[float] = []
    for row in rows:
        for cell, table in row.cells:
            if table is not None:
                xs.append(_offset(cell.bbox[0], table, width))
    xs.sort()
    out: list[list[float]] = []
    for x in xs:
        if out and x - out[-1][-1] <= tol:
            out[-1].append(x)
        else:
            out.append([x])
    return [float(np.mean(g)) for g in out]


def to_grid(rows: list[_Row]) -> Grid:
    """One form's rows as a Grid; columns pooled over pages so a continuation page lines up with the first."""
    widths = [t.xs[-1] - t.xs[0] for row in rows for _, t in row.cells if t is not None]
    width = max(widths) if widths else 500.0
    tol = max(2.0, 0.012 * width)
    bounds = _columns(rows, tol, width)
    page_rows: dict[int, int] = {}
    out: list[list[Cell]] = []
    table_row_index: dict[tuple[int, int], int] = {}  # (id(table), lattice row) → grid row
    # First pass: each visual row gets its grid index.
    for r, row in enumerate(rows):
        for cell, table in row.cells:
            if table is not None:
                table_row_index[(id(table), cell.row)] = r
    kinds = {row.kind for row in rows}
    for r, row in enumerate(rows):
        page_rows[row.page] = page_rows.get(row.page, 0) + 1
        cells = []
        for cell, table in row.cells:
            if table is None:
                col = cell.col
                span_rows, span_cols = 1, 1
            else:
                col = int(np.argmin([abs(b - _offset(cell.bbox[0], table, width)) for b in bounds]))
                right = _offset(cell.bbox[2], table, width)
                end = int(np.searchsorted(bounds, right - tol, side="left"))
                span_cols = max(1, end - col)
                last = table_row_index.get((id(table), cell.row + cell.row_span - 1), r)
                span_rows = max(1, last - r + 1)
            cells.append(Cell(id=f"p{row.page}r{page_rows[row.page]}c{col + 1}", text=cell.text, row=r, col=col,
                              row_span=span_rows, col_span=span_cols, page=row.page,
                              bbox=tuple(round(v, 2) for v in cell.bbox),  # type: ignore[arg-type]
                              confidence=cell.confidence, doubts=cell.doubts, agreed=cell.agreed,
                              second=cell.second, unread=cell.unread))
        out.append(cells)
    kind = SourceKind.OCR if SourceKind.OCR in kinds else SourceKind.PDF_TEXT
    return Grid(kind=kind, rows=out, pages=sorted({row.page for row in rows}))


def assemble(pages: list[PageLayout]) -> list[Grid]:
    """All forms of a document as grids (forms without any form label are dropped)."""
    return [to_grid(rows) for rows in split_forms(pages) if has_form_content(rows)]
