"""Documents that carry their table structure (web pages, Word, spreadsheets) → one grid per form.

Each reader turns its document into a sequence of source rows in reading order: the rows of each table (merged
cells once, at their top-left, with their spans, as the PDF lattice gives them) and lines of text outside tables
(titles, year lines, 单位：万元). This module cuts that sequence into forms the way tables/forms.py cuts pages and
ingest/text_export.py cuts exports — a title `…绩效自评表` starts a form once the form so far has a body, and so
does a `项目名称` row when the form already has one — and lays each form out as a Grid with `text_layout` None, so
tables/rows.py reads it exactly like a PDF's lattice grid.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from extractor.domain.text import norm_key
from extractor.errors import NoFormFoundError, ResourceLimitError
from extractor.ingest.text_layout import is_title_text
from extractor.layout import BBox, Cell, Grid, SourceKind
from extractor.tables.forms import FORM_MARKERS

_PROJECT = "项目名称"
_YEAR_LINE = re.compile(r"(19|20)\d{2}\s*年")
_SPACES = re.compile(r"[ \t\r\f\v\xa0\u2002\u2003\u2009\u200b\ufeff]+")
# Wide gaps inside a line outside tables separate what a printed page shows apart (填报单位：… / 单位：万元).
_GAP = re.compile(r"(?:[ \xa0]{3,}|\u3000{2,}|\t+)")
MAX_COLSPAN = 1000  # what browsers clamp colspan to (HTML standard)


@dataclass
class SourceCell:
    """A cell as its document gives it: text, position in its table (0-based), spans, and its id."""

    id: str
    text: str
    row: int
    col: int
    row_span: int = 1
    col_span: int = 1
    page: int | None = None
    bbox: BBox | None = None


@dataclass
class SourceRow:
    """One table row (cells that start in it) or one line of text outside the tables."""

    cells: list[SourceCell]
    tabular: bool
    page: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def keys(self) -> list[str]:
        """Each non-blank cell's text, normalised for label tests."""
        return [k for c in self.cells if (k := norm_key(c.text))]


def _cjk(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def join_lines(lines: list[str]) -> str:
    """A cell's lines as one text, the way a PDF cell's wrapped lines read: Chinese joins directly
    (`经济效益` + `指标`), Latin words and numbers keep a space between them."""
    out = ""
    for line in lines:
        line = _SPACES.sub(" ", line).strip()
        if not line:
            continue
        if out and not (_cjk(out[-1]) or _cjk(line[0])):
            out += " "
        out += line
    return out


def clean_text(text: str) -> str:
    """A cell's text with its line breaks joined and odd spaces (nbsp, zero-width) made plain."""
    return join_lines(re.split(r"[\n\u2028\u2029\x0b]", text))


def line_cells(text: str, prefix: str, page: int | None = None) -> list[SourceCell]:
    """A line outside the tables as cells: pieces far apart on the line are separate cells."""
    pieces = [p for p in (clean_text(x) for x in _GAP.split(text)) if p]
    return [SourceCell(id=f"{prefix}c{k + 1}" if len(pieces) > 1 else prefix, text=p, row=0, col=k, page=page)
            for k, p in enumerate(pieces)]


class SpanGrid:
    """Places a table's cells in grid columns: cells skip the columns taken by row spans from above.

    Used by the HTML and Word readers; the number of grid positions a table may cover is bounded (a
    `colspan=1000 rowspan=65534` cell repeated is a memory bomb, not a form)."""

    def __init__(self, limit: int, what: str) -> None:
        self.taken: set[tuple[int, int]] = set()
        self.limit = limit
        self.what = what
        self.total = 0  # positions covered by every table so far

    def free_col(self, row: int, col: int) -> int:
        """The first grid column at or after `col` not covered by a cell spanning down from above."""
        while (row, col) in self.taken:
            col += 1
        return col

    def take(self, row: int, col: int, row_span: int, col_span: int) -> None:
        """Mark the positions a cell covers."""
        self.total += row_span * col_span
        if self.total > self.limit:
            raise ResourceLimitError(f"the {self.what}'s tables cover more than {self.limit} cells: far larger than "
                                     "any form", limit=self.limit)
        for r in range(row, row + row_span):
            for c in range(col, col + col_span):
                self.taken.add((r, c))

    def next_table(self) -> None:
        """Start placing another table (the count of covered positions goes on)."""
        self.taken.clear()


def _is_title(row: SourceRow) -> bool:
    text = "".join(c.text for c in row.cells)
    return any(is_title_text(c.text) for c in row.cells) or (len(row.cells) <= 2 and is_title_text(text))


def _starts_project(row: SourceRow) -> bool:
    keys = row.keys
    return bool(keys) and keys[0].startswith(_PROJECT)


def _heading(row: SourceRow) -> bool:
    """A title or year line: moves with the form below it when forms are cut at 项目名称."""
    joined = "".join(row.keys)
    return _is_title(row) or (bool(_YEAR_LINE.search(joined)) and len(joined) <= 16)


def split_forms(rows: list[SourceRow]) -> list[list[SourceRow]]:
    """Rows cut into forms: at a title once the form has a body, or at a second 项目名称 row."""
    forms: list[list[SourceRow]] = []
    current: list[SourceRow] = []
    has_body = has_project = False
    for row in rows:
        if not row.keys:
            if current:
                current.append(row)
            continue
        title = _is_title(row)
        if current and ((title and has_body) or (_starts_project(row) and has_project)):
            carried: list[SourceRow] = []
            if not title:
                while current and (not current[-1].keys or _heading(current[-1])):
                    carried.insert(0, current.pop())
                if not any(_is_title(r) for r in carried):
                    current += carried
                    carried = []
            forms.append(current)
            current, has_body, has_project = carried, False, False
        current.append(row)
        has_body = has_body or (not title and not _heading(row))
        has_project = has_project or _starts_project(row)
    if current:
        forms.append(current)
    return [form for form in forms if has_form_content(form)]


def has_form_content(rows: list[SourceRow]) -> bool:
    """True when some cell carries a label every form prints (as tables/forms.py judges pages)."""
    return any(any(m in k for m in FORM_MARKERS) for row in rows for k in row.keys if len(k) <= 24)


def to_grid(rows: list[SourceRow], kind: SourceKind) -> Grid:
    """One form's rows as a lattice grid: a row per source row, merged cells once with their spans."""
    while rows and not rows[-1].keys:
        rows = rows[:-1]
    out: list[list[Cell]] = []
    n = len(rows)
    notes: list[str] = []
    for r, row in enumerate(rows):
        cells = []
        for c in row.cells:
            cells.append(Cell(id=c.id, text=c.text, row=r, col=c.col, row_span=max(1, min(c.row_span, n - r)),
                              col_span=max(1, c.col_span), page=c.page, bbox=c.bbox))
        out.append(cells)
        notes += [note for note in row.notes if note not in notes]
    pages = sorted({row.page for row in rows if row.page is not None})
    return Grid(kind=kind, rows=out, pages=pages, notes=notes)


def form_grids(rows: list[SourceRow], kind: SourceKind, what: str) -> list[Grid]:
    """The forms among a document's rows, one grid each; NoFormFoundError when there is none."""
    forms = split_forms(rows)
    if not forms:
        raise NoFormFoundError(f"no 绩效自评表 found in the {what}", rows=len(rows))
    return [to_grid(form, kind) for form in forms]
