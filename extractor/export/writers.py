"""Write stored forms as XLSX, CSV or JSON Lines.

Every value a form's text gave us is untrusted: a 年度指标值 `=100.00%` or an extracted
`=HYPERLINK("http://evil.example/x","点击")` must reach the clerk as the text it was, never as a formula. So text
is always written as text: in XLSX every string cell is typed as a string explicitly (openpyxl would otherwise
make anything starting with `=` a formula and `#N/A` an error value); in CSV, which has no types, a text cell
starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'` (OWASP's advice against CSV
injection), which spreadsheets show as text and hide. Numbers (Decimals) stay numbers in both.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from extractor.export.tables import Table, build_tables, column_guide
from extractor.storage.repository import FormQuery, Repository
from extractor.storage.views import DocumentInfo, StoredForm


class ExportFormat(StrEnum):
    """The export formats."""

    CSV = "csv"
    XLSX = "xlsx"
    JSONL = "jsonl"


def _number_format(value: Decimal) -> str:
    # Keep the printed precision visible: 148.79 shows two places, 100.0 one, 10 none.
    places = max(0, -int(value.as_tuple().exponent)) if value.is_finite() else 0
    return "0" if places == 0 else "0." + "0" * places


# XML 1.0 (and so XLSX) cannot hold C0 control characters other than tab, line feed and carriage return; they
# are written as their visible Unicode control pictures (U+2400 + code) instead of failing the whole export.
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XLSX_MAX_TEXT = 32767  # Excel's limit on a cell's characters


def xlsx_text(value: str) -> str:
    """A string as an XLSX cell can hold it: controls as control pictures, CR as LF, cut to Excel's limit visibly."""
    # XML parsers turn a stored CR into LF anyway; saying so here keeps what we write equal to what is read back.
    text = _XLSX_ILLEGAL.sub(lambda m: chr(0x2400 + ord(m.group())), value.replace("\r\n", "\n").replace("\r", "\n"))
    if len(text) > XLSX_MAX_TEXT:
        note = f"…[cut: {len(text)} characters]"
        text = text[: XLSX_MAX_TEXT - len(note)] + note
    return text


_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """A text cell for CSV: a leading `'` when it starts like a formula (OWASP CSV injection), else unchanged."""
    return "'" + value if value.startswith(_CSV_FORMULA_START) else value


def csv_cell(value: Any) -> Any:
    """One CSV cell: None empty, a Decimal as printed, an int as is, text neutralised."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, str):
        return csv_text(value)
    return value


MIN_WIDTH, MAX_WIDTH = 6, 50  # column widths in characters: room for a header, no column wider than a screen half
WIDTH_SAMPLE = 2000  # rows measured for a column's width: enough to see its values, bounded for huge exports


def text_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: CJK (wide) characters count two; the longest line of several."""
    return max((sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
                for line in text.split("\n")), default=0)


def column_widths(table: Table) -> list[int]:
    """Each column's width: its header or its widest value in the first rows, within MIN_WIDTH..MAX_WIDTH."""
    widths = [text_width(h) + 3 for h in table.headers]  # + the filter button beside the header
    for row in table.rows[:WIDTH_SAMPLE]:
        for i, value in enumerate(row):
            if value is not None:
                shown = format(value, "f") if isinstance(value, Decimal) else str(value)
                widths[i] = max(widths[i], text_width(shown) + 1)
    return [min(MAX_WIDTH, max(MIN_WIDTH, w)) for w in widths]


def write_xlsx(tables: list[Table], path: Path) -> None:
    """One sheet per table: Decimals numeric with their printed precision, every string a string cell (type 's').

    Each sheet has its header frozen, a filter on every column and widths fitted to what the columns hold.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    top = Alignment(vertical="top", wrap_text=True)
    for table in tables:
        sheet = workbook.create_sheet(table.title)
        sheet.freeze_panes = "A2"
        last = get_column_letter(len(table.headers))
        sheet.auto_filter.ref = f"A1:{last}{len(table.rows) + 1}"
        for i, width in enumerate(column_widths(table), start=1):
            sheet.column_dimensions[get_column_letter(i)].width = width
        header = []
        for title in table.headers:
            cell = WriteOnlyCell(sheet, value=title)
            cell.data_type = "s"
            cell.font = Font(bold=True)
            header.append(cell)
        sheet.append(header)
        for row in table.rows:
            cells: list[Any] = []
            for value in row:
                if isinstance(value, Decimal):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.number_format = _number_format(value)
                    cells.append(cell)
                elif isinstance(value, str):
                    cell = WriteOnlyCell(sheet, value=xlsx_text(value))
                    cell.data_type = "s"  # set after the value: openpyxl types `=…` as a formula, `#N/A` as an error
                    if "\n" in value:  # several paths or fund rows: shown on their lines, from the top
                        cell.alignment = top
                    cells.append(cell)
                else:
                    cells.append(value)
            sheet.append(cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


CSV_ENCODINGS = {"utf-8": "utf-8-sig", "gb18030": "gb18030"}  # UTF-8 with the BOM by which Excel recognises it


def write_csv(tables: list[Table], folder: Path, encoding: str = "utf-8") -> list[Path]:
    """One CSV per table (UTF-8 with a BOM, or GB18030): Decimals as printed, formula-like text behind a `'`."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table in tables:
        path = folder / f"{table.name}.csv"
        # GB18030 encodes every Unicode character, so no value is lost in the local code page either.
        with path.open("w", encoding=CSV_ENCODINGS[encoding], newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(table.headers)
            for row in table.rows:
                writer.writerow([csv_cell(v) for v in row])
        written.append(path)
    return written


def jsonl_line(item: StoredForm) -> str:
    """One form as a JSON line: ids, document identity and the whole FormResult (record, findings, provenance)."""
    payload = {"form_id": item.id, "document_id": item.document_id, "sha256": item.sha256, "paths": item.paths,
               "form": json.loads(item.form.model_dump_json())}
    return json.dumps(payload, ensure_ascii=False)


def export(repo: Repository, fmt: ExportFormat, output: Path, query: FormQuery | None = None,
           encoding: str = "utf-8") -> dict[str, int]:
    """Export the forms matching `query` (and their documents); returns how many rows each table got."""
    query = query or FormQuery()
    if fmt is ExportFormat.JSONL:
        output.parent.mkdir(parents=True, exist_ok=True)
        count = 0
        with output.open("w", encoding="utf-8") as fh:
            for item in repo.iter_forms(query):  # streamed: an archive of any size in bounded memory
                fh.write(jsonl_line(item) + "\n")
                count += 1
        return {"forms": count}
    forms = list(repo.iter_forms(query))
    filtered = query.model_dump(exclude={"limit", "offset"}, exclude_none=True)
    if filtered:  # the documents these forms came from
        ids = sorted({f.document_id for f in forms})
        documents: list[DocumentInfo] = [d for i in ids if (d := repo.get_document(i)) is not None]
    else:  # everything, failures included
        documents = repo.list_documents(limit=None)
    tables = build_tables(forms, documents)
    if fmt is ExportFormat.XLSX:
        write_xlsx([*tables, column_guide(tables)], output)
    else:
        write_csv(tables, output, encoding)
    return {t.name: len(t.rows) for t in tables}
