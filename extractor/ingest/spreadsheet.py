"""Workbooks: .xlsx with openpyxl (read-only, streaming), .xls (and WPS .et) with xlrd.

Every visible sheet is read as one table: merged ranges placed once at their top-left with their spans, each
number shown as its cell shows it (numfmt.py: `0.00` gives 100.00, `0.00%` gives 95.00%), cell ids in the
spreadsheet's own terms (`Sheet1!C5`). A sheet is read row by row without loading it whole, and reading stops
at `max_sheet_rows` rows (a sheet claiming a million rows is read as far as its content goes, never further
than the cap).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

from extractor.errors import CorruptDocumentError, EncryptedDocumentError, NoFormFoundError
from extractor.ingest.containers import open_package
from extractor.ingest.numfmt import render
from extractor.ingest.structured import SourceCell, SourceRow, clean_text, split_forms, to_grid
from extractor.layout import Grid, SourceKind
from extractor.settings import Settings

_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Z]{1,3}\d+)(?::([A-Z]{1,3}\d+))?\"")
_A1 = re.compile(r"([A-Z]{1,3})(\d+)")
# A cell holding a value: <c r="B7" …><v>…</v> or an inline string; a styled empty cell has neither.
_VALUE_CELL = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"[A-Z]{1,3}(\d+)\"[^>]*?(?<!/)>\s*(?:<(?:\w+:)?f\b[^>]*?(?:/>|>[^<]*<"
                         rb"/(?:\w+:)?f>)\s*)?<(?:\w+:)?(?:v|is)\b")
_BLANK_RUN = 3  # blank rows outside merged ranges kept in a row; more say nothing a form needs


@dataclass
class Sheet:
    """One sheet's content: cell texts and merged ranges, 1-based, and what reading it noticed."""

    title: str
    cells: dict[tuple[int, int], str] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r0, c0, r1, c1 inclusive
    notes: list[str] = field(default_factory=list)
    truncated: bool = False


def column_letter(col: int) -> str:
    """1 → A, 27 → AA."""
    out = ""
    while col:
        col, rem = divmod(col - 1, 26)
        out = chr(65 + rem) + out
    return out


def _a1(ref: bytes) -> tuple[int, int]:
    m = _A1.fullmatch(ref.decode("ascii"))
    if m is None:
        raise ValueError(ref)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


def sheet_rows(sheet: Sheet) -> list[SourceRow]:
    """A sheet as source rows: a row per sheet row holding content, merged cells once with their spans."""
    if not sheet.cells:
        return []
    top_left: dict[tuple[int, int], tuple[int, int]] = {}
    covered: set[tuple[int, int]] = set()
    for r0, c0, r1, c1 in sheet.merges:
        if (r1 - r0 + 1) * (c1 - c0 + 1) > 100_000:
            continue  # a merge over a whole column is formatting, not a form cell
        top_left[(r0, c0)] = (r1 - r0 + 1, c1 - c0 + 1)
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    covered.add((r, c))
    used = set(sheet.cells) | set(top_left)
    rows_used = sorted({r for r, _ in used})
    # Blank cells are laid out in the columns something uses (as a PDF lattice has a cell in each column), not in
    # every column up to a stray note in column XFD.
    cols = sorted({c for _, c in used} | {c for r0, c0, r1, c1 in sheet.merges for c in (c0, c1)})
    in_merge = {r for r, _ in covered}
    out: list[SourceRow] = []
    grid_row = 0
    previous: int | None = None
    for r in rows_used:
        if previous is not None and r - previous > 1:
            # Blank rows between content: kept where a merged range runs through them (spans count rows).
            for g in range(previous + 1, r):
                if g in in_merge or g - previous <= _BLANK_RUN:
                    out.append(_row(sheet, g, grid_row, cols, top_left, covered))
                    grid_row += 1
        out.append(_row(sheet, r, grid_row, cols, top_left, covered))
        grid_row += 1
        previous = r
    return out


def _row(sheet: Sheet, r: int, grid_row: int, cols: list[int], top_left: dict[tuple[int, int], tuple[int, int]],
         covered: set[tuple[int, int]]) -> SourceRow:
    cells = []
    c_min = cols[0]
    for c in cols:
        if (r, c) in covered:
            continue
        rs, cs = top_left.get((r, c), (1, 1))
        cells.append(SourceCell(id=f"{sheet.title}!{column_letter(c)}{r}", text=clean_text(sheet.cells.get((r, c), "")),
                                row=grid_row, col=c - c_min, row_span=rs, col_span=cs))
    return SourceRow(cells, tabular=True, notes=list(sheet.notes))


def workbook_grids(sheets: list[Sheet], what: str) -> list[Grid]:
    """The forms of every sheet (a form never runs from one sheet into the next)."""
    grids: list[Grid] = []
    for sheet in sheets:
        for form in split_forms(sheet_rows(sheet)):
            grids.append(to_grid(form, SourceKind.SPREADSHEET))
    if not grids:
        raise NoFormFoundError(f"no 绩效自评表 found in the {what}'s {len(sheets)} visible sheet(s)", sheets=len(sheets))
    return grids


# --- .xlsx ------------------------------------------------------------------------------------------------------

def _xlsx_merges(raw: bytes) -> list[tuple[int, int, int, int]]:
    start = raw.rfind(b"mergeCells")
    if start < 0:
        return []
    merges = []
    for m in _MERGE.finditer(raw, max(0, start - 16)):
        try:
            r0, c0 = _a1(m.group(1))
            r1, c1 = _a1(m.group(2)) if m.group(2) else (r0, c0)
        except ValueError:
            continue
        merges.append((min(r0, r1), min(c0, c1), max(r0, r1), max(c0, c1)))
    return merges


def read_xlsx_sheets(data: bytes, settings: Settings) -> tuple[list[Sheet], dict[str, Any]]:
    """Every visible sheet of an .xlsx (or .xlsm: macros are never run, only noted)."""
    package = open_package(data, settings, "workbook")
    meta: dict[str, Any] = {}
    if any(n.lower().endswith("vbaproject.bin") for n in package.names):
        meta["macros"] = "present (never run)"
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises KeyError, ValueError, TypeError … on malformed parts
        raise CorruptDocumentError(f"the workbook cannot be read: {type(exc).__name__}: {exc}") from exc
    sheets: list[Sheet] = []
    hidden: list[str] = []
    try:
        for ws in book.worksheets:
            if getattr(ws, "sheet_state", "visible") != "visible":
                hidden.append(ws.title)
                continue
            sheet = Sheet(title=ws.title)
            path = getattr(ws, "_worksheet_path", None)
            last: int | None = None
            if path:
                try:
                    raw = package.read(path.lstrip("/"))
                except CorruptDocumentError:
                    sheet.notes.append("merged ranges could not be read")
                else:
                    sheet.merges = _xlsx_merges(raw)
                    last = _last_value_row(raw, sheet.merges)
                    del raw
            _stream_xlsx(ws, sheet, settings, last)
            sheets.append(sheet)
    finally:
        book.close()
    if hidden:
        meta["hidden_sheets"] = hidden
    return sheets, meta


def _last_value_row(raw: bytes, merges: list[tuple[int, int, int, int]]) -> int | None:
    """The last row holding a value (the used range ends there), found by a scan of the sheet's XML; None when
    the cells carry no references to scan by. Rows below it — a million empty styled rows — are never parsed."""
    last = 0
    for m in _VALUE_CELL.finditer(raw):
        last = max(last, int(m.group(1)))
    if not last and b"<v>" in raw:
        return None
    return max([last, *(r0 for r0, _, _, _ in merges)]) if last or merges else 0


def _stream_xlsx(ws: Any, sheet: Sheet, settings: Settings, last: int | None = None) -> None:
    ws.reset_dimensions()  # the <dimension> a file claims (A1:XFD1048576) is not trusted: rows as they come
    if last == 0:
        return
    seen = 0
    for row in ws.iter_rows(max_row=last):
        seen += 1
        if seen > settings.max_sheet_rows:
            sheet.truncated = True
            sheet.notes.append(f"sheet {sheet.title}: reading stopped at row {settings.max_sheet_rows} (the limit)")
            break
        for cell in row:
            value = getattr(cell, "value", None)
            if value is None or value == "":
                continue
            text = render(value, getattr(cell, "number_format", None))
            if text.strip():
                sheet.cells[(cell.row, cell.column)] = text


def read_xlsx(data: bytes, settings: Settings) -> list[Grid]:
    """An .xlsx workbook's forms, one grid each."""
    sheets, meta = read_xlsx_sheets(data, settings)
    return _with_meta(workbook_grids(sheets, "workbook"), meta)


def _with_meta(grids: list[Grid], meta: dict[str, Any]) -> list[Grid]:
    for grid in grids:
        if meta.get("macros"):
            grid.notes.append("the workbook holds macros: never run")
    return grids


# --- .xls (BIFF) and WPS .et ------------------------------------------------------------------------------------

def read_xls_sheets(data: bytes, settings: Settings) -> tuple[list[Sheet], dict[str, Any]]:
    """Every visible sheet of a BIFF workbook (.xls, and WPS .et, which is BIFF8 too)."""
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=True, on_demand=True, ragged_rows=True,
                                  logfile=io.StringIO())
    except xlrd.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise EncryptedDocumentError("the workbook is password-protected") from exc
        raise CorruptDocumentError(f"the workbook cannot be read: {exc}") from exc
    except Exception as exc:  # xlrd raises struct.error, IndexError, AssertionError on damaged files
        raise CorruptDocumentError(f"the workbook cannot be read: {type(exc).__name__}: {exc}") from exc
    sheets: list[Sheet] = []
    meta: dict[str, Any] = {}
    try:
        for index in range(book.nsheets):
            ws = book.sheet_by_index(index)
            if ws.visibility != 0:
                meta.setdefault("hidden_sheets", []).append(ws.name)
                continue
            sheet = Sheet(title=ws.name)
            sheet.merges = [(r0 + 1, c0 + 1, r1, c1) for r0, r1, c0, c1 in ws.merged_cells]
            for r in range(min(ws.nrows, settings.max_sheet_rows)):
                for c in range(ws.row_len(r)):
                    text = _xls_text(book, ws, r, c)
                    if text.strip():
                        sheet.cells[(r + 1, c + 1)] = text
            if ws.nrows > settings.max_sheet_rows:
                sheet.truncated = True
                sheet.notes.append(f"sheet {ws.name}: reading stopped at row {settings.max_sheet_rows} (the limit)")
            sheets.append(sheet)
            book.unload_sheet(index)
    finally:
        book.release_resources()
    return sheets, meta


def _xls_text(book: Any, ws: Any, r: int, c: int) -> str:
    import xlrd

    cell = ws.cell(r, c)
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
        return ""
    if cell.ctype == xlrd.XL_CELL_TEXT:
        return str(cell.value)
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return "TRUE" if cell.value else "FALSE"
    if cell.ctype == xlrd.XL_CELL_ERROR:
        return xlrd.error_text_from_code.get(cell.value, "#ERR")
    fmt = None
    try:
        xf = book.xf_list[cell.xf_index]
        fmt = book.format_map[xf.format_key].format_str
    except (IndexError, KeyError, TypeError):
        pass
    if cell.ctype == xlrd.XL_CELL_DATE:
        try:
            return render(xlrd.xldate_as_datetime(cell.value, book.datemode), fmt)
        except (ValueError, OverflowError, xlrd.xldate.XLDateError):
            return render(cell.value, None)
    return render(cell.value, fmt)


def read_xls(data: bytes, settings: Settings) -> list[Grid]:
    """A BIFF workbook's forms (.xls, WPS .et), one grid each."""
    sheets, _ = read_xls_sheets(data, settings)
    return workbook_grids(sheets, "workbook")
