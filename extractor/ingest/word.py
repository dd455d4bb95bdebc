"""Word documents (.docx; .doc and WPS .wps reach here converted by LibreOffice): tables and paragraphs in order.

Opened with python-docx (its XML parser resolves no entities; the package passed containers.open_package first).
Tables are read at the XML level because that is where merges are: `w:gridSpan` widens a cell, `w:vMerge`
continues the cell above (its rows are added to that cell's span), `w:gridBefore` skips grid columns. Cell ids
are `t{table}r{row}c{grid column}`; a paragraph outside the tables is `para{n}`.
"""

from __future__ import annotations

import io
from typing import Any

from extractor.errors import CorruptDocumentError
from extractor.ingest.containers import open_package
from extractor.ingest.structured import SourceCell, SourceRow, SpanGrid, clean_text, form_grids, line_cells
from extractor.layout import Grid, SourceKind
from extractor.settings import Settings

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TEXT_TAGS = (f"{W}t", f"{W}tab", f"{W}br", f"{W}cr", f"{W}noBreakHyphen", f"{W}sym")
# Text in these is not the paragraph's own line: floating text boxes, deleted runs, field codes.
_SKIP_ANCESTORS = frozenset({f"{W}txbxContent", f"{W}del", f"{W}instrText", f"{W}fldChar"})
_MAX_DEPTH = 64


def _val(el: Any, tag: str) -> str | None:
    found = el.find(f"{W}{tag}") if el is not None else None
    return None if found is None else found.get(f"{W}val")


def paragraph_text(p: Any) -> str:
    """A paragraph's printed text: runs, tabs and line breaks (not text boxes, deletions or field codes)."""
    out: list[str] = []
    for el in p.iter(*_TEXT_TAGS):
        parent, skip, depth = el.getparent(), False, 0
        while parent is not None and parent is not p and depth < _MAX_DEPTH:
            if parent.tag in _SKIP_ANCESTORS:
                skip = True
                break
            parent, depth = parent.getparent(), depth + 1
        if skip:
            continue
        tag = el.tag
        if tag == f"{W}t":
            out.append(el.text or "")
        elif tag == f"{W}tab":
            out.append("\t")
        elif tag in (f"{W}br", f"{W}cr"):
            out.append("\n")
        elif tag == f"{W}noBreakHyphen":
            out.append("-")
    return "".join(out)


def _cell_text(tc: Any) -> str:
    lines = []
    for child in tc.iter(f"{W}p"):
        # Paragraphs of the cell itself (and of a table nested in it, which a reader sees inside the cell).
        lines.append(paragraph_text(child))
    return clean_text("\n".join(lines))


class _Walker:
    def __init__(self, settings: Settings) -> None:
        self.rows: list[SourceRow] = []
        self.tables = 0
        self.paragraphs = 0
        self.spans = SpanGrid(settings.max_table_cells, "document")

    def body(self, parent: Any, depth: int = 0) -> None:
        for child in parent:
            tag = child.tag
            if tag == f"{W}p":
                self.paragraphs += 1
                text = paragraph_text(child)
                for k, line in enumerate(text.split("\n")):
                    cells = line_cells(line, f"para{self.paragraphs}" + (f"l{k + 1}" if k else ""))
                    if cells:
                        self.rows.append(SourceRow(cells, tabular=False))
            elif tag == f"{W}tbl":
                if depth < _MAX_DEPTH and child.find(f"{W}tr/{W}tc/{W}tbl") is not None:
                    # A layout table (tables inside its cells, as a page saved from a web CMS has): its cells are
                    # regions of the document, read in order.
                    for tc in child.iterfind(f"{W}tr/{W}tc"):
                        self.body(tc, depth + 1)
                else:
                    self.table(child)
            elif tag in (f"{W}sdt", f"{W}sdtContent", f"{W}customXml", f"{W}smartTag") and depth < _MAX_DEPTH:
                content = child.find(f"{W}sdtContent") if tag == f"{W}sdt" else child
                if content is not None:
                    self.body(content, depth + 1)

    def table(self, tbl: Any) -> None:
        self.tables += 1
        t = self.tables
        trs = tbl.findall(f"{W}tr")
        open_cells: dict[int, SourceCell] = {}  # grid column → the cell a vMerge continues
        for r, tr in enumerate(trs):
            tr_pr = tr.find(f"{W}trPr")
            col = int(_val(tr_pr, "gridBefore") or 0) if tr_pr is not None else 0
            cells: list[SourceCell] = []
            for tc in tr.findall(f"{W}tc"):
                tc_pr = tc.find(f"{W}tcPr")
                try:
                    span = max(1, min(int(_val(tc_pr, "gridSpan") or 1), 1000))
                except ValueError:
                    span = 1
                merge = tc_pr.find(f"{W}vMerge") if tc_pr is not None else None
                merge_val = None if merge is None else (merge.get(f"{W}val") or "continue")
                if merge_val == "continue" and col in open_cells:
                    above = open_cells[col]
                    above.row_span += 1
                    self.spans.take(r, col, 1, span)
                    col += span
                    continue
                cell = SourceCell(id=f"t{t}r{r + 1}c{col + 1}", text=_cell_text(tc), row=r, col=col, col_span=span)
                self.spans.take(r, col, 1, span)
                for c in range(col, col + span):
                    open_cells.pop(c, None)
                if merge_val is not None:
                    open_cells[col] = cell
                cells.append(cell)
                col += span
            self.rows.append(SourceRow(cells, tabular=True))
        self.spans.next_table()


def document_rows(data: bytes, settings: Settings) -> tuple[list[SourceRow], dict[str, Any]]:
    """A .docx's rows in reading order (body paragraphs and table rows) and what was noticed."""
    package = open_package(data, settings, "Word document")
    meta: dict[str, Any] = {}
    if any(n.lower().endswith("vbaproject.bin") for n in package.names):
        meta["macros"] = "present (never run)"
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises KeyError, ValueError, PackageNotFoundError … on bad parts
        raise CorruptDocumentError(f"the Word document cannot be read: {type(exc).__name__}: {exc}") from exc
    walker = _Walker(settings)
    walker.body(document.element.body)
    return walker.rows, meta


def read_docx(data: bytes, settings: Settings) -> list[Grid]:
    """A Word document's forms, one grid each."""
    rows, meta = document_rows(data, settings)
    grids = form_grids(rows, SourceKind.WORD, "Word document")
    if meta.get("macros"):
        for grid in grids:
            grid.notes.append("the document holds macros: never run")
    return grids
