"""The form layouts (cells with spans) written in the formats archives hold besides PDFs and text exports.

- `html`: a 政府信息公开 page: title and year as paragraphs, the table with rowspan/colspan, `<br>` in wrapped
  labels; some pages GBK-encoded with `<meta charset=gb2312>`, some with `<th>`/`<tbody>`/`&nbsp;`, some inside a
  layout table.
- `docx`: python-docx, the table's merged cells (gridSpan, vMerge), wrapped labels as line breaks.
- `xlsx`: openpyxl, the title merged over the table, merged ranges, amounts and scores written as numbers with
  the number format that prints them as the form does (`0.00` → 100.00; `0.00%` → 95.00%), some as text; forms
  stacked on one sheet or one per sheet.
- `xls`, `et`: the xlsx converted by LibreOffice (`xls:MS Excel 97`; WPS's .et is the same BIFF8 format);
  `doc`, `wps`: the page converted by LibreOffice (`doc:MS Word 97`; WPS writes .wps in the Word 97 format). Only
  where LibreOffice is installed; these bytes are not reproducible (LibreOffice stamps the conversion time).
- `ofd`: the born-digital page layout (pdf.layout_pages: the same text positions and ruled boxes) as an OFD
  package: TextObjects with DeltaX advances, PathObjects for the boxes, millimetres.
- `csv`: the table flattened as Excel saves it (each merged cell's text at its top-left, the rest empty), UTF-8
  with a BOM or GBK.

Zip packages are rewritten with fixed member dates so that the same seed gives the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import random
import re
import shutil
import subprocess
import tempfile
import zipfile
from decimal import Decimal, InvalidOperation
from pathlib import Path

from scripts.corpus.layouts import Cell, FormLayout

FORMATS = ("html", "docx", "xlsx", "xls", "doc", "wps", "et", "ofd", "csv")
NEEDS_LIBREOFFICE = frozenset({"xls", "doc", "wps", "et"})
SUFFIX = {"html": "html", "docx": "docx", "xlsx": "xlsx", "xls": "xls", "doc": "doc", "wps": "wps", "et": "et",
          "ofd": "ofd", "csv": "csv"}
_FIXED = dt.datetime(2024, 1, 1, 0, 0, 0)
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_PERCENT = re.compile(r"^-?\d+(\.\d+)?%$")


def libreoffice_available() -> bool:
    """True when `soffice` is installed (the xls/doc/wps/et formats need it)."""
    return shutil.which("soffice") is not None


def _rows(layout: FormLayout) -> list[list[Cell]]:
    rows: list[list[Cell]] = [[] for _ in range(layout.n_rows)]
    for cell in layout.cells:
        rows[cell.row].append(cell)
    return [sorted(r, key=lambda c: c.col) for r in rows]


def _heading(layout: FormLayout) -> list[str]:
    return [line for line in (layout.title, layout.year_line, *layout.above) if line]


def normalise_zip(data: bytes) -> bytes:
    """The same package with fixed member dates and order (python-docx/openpyxl stamp the time of writing)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps `modified` with the time of saving
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z", body)
            dst.writestr(fixed, body)
    return out.getvalue()


# --- HTML -------------------------------------------------------------------------------------------------------

def to_html(layouts: list[FormLayout], rng: random.Random) -> tuple[bytes, str]:
    """A web page holding the forms; returns its bytes and encoding."""
    gbk = rng.random() < 0.35
    charset = rng.choice(("gb2312", "gbk")) if gbk else "utf-8"
    meta = (f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">' if rng.random() < 0.5
            else f'<meta charset="{charset}">')
    use_th, tbody, nbsp, wrapped = (rng.random() < 0.5 for _ in range(4))
    out = ["<!DOCTYPE html>", "<html>", f"<head>{meta}<title>{html.escape(layouts[0].title)}</title>",
           "<style>td{border:1px solid #000}</style></head>", "<body>"]
    if wrapped:  # CMS pages put the article in a layout table
        out.append('<table width="100%"><tr><td class="nav">首页 &gt; 政府信息公开 &gt; 财政预决算</td></tr><tr><td>')
    for layout in layouts:
        out.append(f'<p style="text-align:center"><strong>{html.escape(layout.title)}</strong></p>')
        if layout.year_line:
            out.append(f'<p align="center">{html.escape(layout.year_line)}</p>')
        out += [f"<p>{html.escape(line)}</p>" for line in layout.above]
        out.append('<table border="1" cellspacing="0" cellpadding="2" style="border-collapse:collapse">')
        if tbody:
            out.append("<tbody>")
        for r, cells in enumerate(_rows(layout)):
            kind = layout.row_kinds[r]
            tag = "th" if use_th and kind in ("funds_header", "ind_header", "ind_subheader") else "td"
            tds = []
            for c in cells:
                attrs = (f' colspan="{c.colspan}"' if c.colspan > 1 else "") + (
                    f' rowspan="{c.rowspan}"' if c.rowspan > 1 else "")
                text = "<br>".join(html.escape(part) for part in c.text.split("\n")) if c.text else (
                    "&nbsp;" if nbsp else "")
                tds.append(f"<{tag}{attrs}>{text}</{tag}>")
            out.append("<tr>" + "".join(tds) + "</tr>")
        if tbody:
            out.append("</tbody>")
        out.append("</table>")
        out += [f"<p>{html.escape(line)}</p>" for line in layout.below]
        out.append("<p>&nbsp;</p>")
    if wrapped:
        out.append("</td></tr></table>")
    out += ["</body>", "</html>", ""]
    text = "\n".join(out)
    if gbk:
        try:
            return text.encode("gbk"), "gbk"
        except UnicodeEncodeError:  # a character outside GBK: the page says UTF-8 instead
            text = text.replace(f"charset={charset}", "charset=utf-8").replace(f'charset="{charset}"', 'charset="utf-8"')
    return text.encode("utf-8"), "utf-8"


# --- Word ---------------------------------------------------------------------------------------------------------

def to_docx(layouts: list[FormLayout], rng: random.Random) -> bytes:
    """A Word document holding the forms (merged cells as Word merges them)."""
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = docx.Document()
    document.core_properties.created = _FIXED
    document.core_properties.modified = _FIXED
    document.core_properties.last_printed = _FIXED
    for k, layout in enumerate(layouts):
        title = document.add_paragraph(layout.title)
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for line in _heading(layout)[1:]:
            document.add_paragraph(line)
        table = document.add_table(rows=layout.n_rows, cols=layout.n_cols)
        table.style = "Table Grid"
        for c in layout.cells:
            cell = table.cell(c.row, c.col)
            if c.rowspan > 1 or c.colspan > 1:
                cell = cell.merge(table.cell(c.row + c.rowspan - 1, c.col + c.colspan - 1))
            lines = c.text.split("\n")
            paragraph = cell.paragraphs[0]
            run = paragraph.add_run(lines[0])
            for line in lines[1:]:
                if rng.random() < 0.5:
                    run.add_break()
                    run = paragraph.add_run(line)
                else:
                    paragraph = cell.add_paragraph(line)
        for line in layout.below:
            document.add_paragraph(line)
        if k < len(layouts) - 1:
            document.add_page_break()
    out = io.BytesIO()
    document.save(out)
    return normalise_zip(out.getvalue())


# --- Excel --------------------------------------------------------------------------------------------------------

def _excel_value(text: str, rng: random.Random, as_text: bool) -> tuple[object, str | None]:
    """A cell's value and number format: printed numbers become numbers formatted to print the same."""
    if as_text or not text:
        return (text or None), None
    try:
        if _NUMBER.match(text):
            places = len(text.split(".")[1]) if "." in text else 0
            value = Decimal(text)
            fmt = ("0." + "0" * places) if places else rng.choice(("0", "General"))
            if places and rng.random() < 0.3:
                fmt = "#,##0." + "0" * places
                if abs(value) >= 1000:
                    return text, None  # #,##0 would print 1,234.00: the form printed 1234.00
            return (int(value) if not places else float(value)), fmt
        if _PERCENT.match(text):
            number = Decimal(text[:-1])
            places = len(text[:-1].split(".")[1]) if "." in text else 0
            return float(number / 100), ("0." + "0" * places + "%") if places else "0%"
    except InvalidOperation:
        pass
    return text, None


def to_xlsx(layouts: list[FormLayout], rng: random.Random) -> bytes:
    """A workbook holding the forms: stacked on one sheet, or one sheet each."""
    import openpyxl
    from openpyxl.styles import Alignment

    book = openpyxl.Workbook()
    book.properties.created = _FIXED
    book.properties.modified = _FIXED
    one_sheet = len(layouts) == 1 or rng.random() < 0.5
    numbers_as_text = rng.random() < 0.2  # some workbooks hold every cell as text
    ws = book.active
    ws.title = "Sheet1" if one_sheet else "表1"
    row = 1
    for k, layout in enumerate(layouts):
        if k and not one_sheet:
            ws = book.create_sheet(f"表{k + 1}")
            row = 1
        width = layout.n_cols
        for line in _heading(layout):
            ws.cell(row=row, column=1, value=line)
            if width > 1:
                ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
            row += 1
        top = row
        for c in layout.cells:
            value, fmt = _excel_value(c.text, rng, numbers_as_text)
            cell = ws.cell(row=top + c.row, column=c.col + 1, value=value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # printed text `=100.00(%)`, not a formula
            if fmt:
                cell.number_format = fmt
            if "\n" in c.text:
                cell.alignment = Alignment(wrap_text=True)
            if c.rowspan > 1 or c.colspan > 1:
                ws.merge_cells(start_row=top + c.row, start_column=c.col + 1, end_row=top + c.row + c.rowspan - 1,
                               end_column=c.col + c.colspan)
        row = top + layout.n_rows
        for line in layout.below:
            ws.cell(row=row, column=1, value=line)
            row += 1
        row += 2
    out = io.BytesIO()
    book.save(out)
    return normalise_zip(out.getvalue())


# --- through LibreOffice ------------------------------------------------------------------------------------------

def libreoffice_convert(data: bytes, source: str, target: str, timeout: float = 180.0) -> bytes:
    """Convert with LibreOffice headless in a private profile (the corpus's .xls/.doc/.wps/.et)."""
    filters = {"doc": "doc:MS Word 97", "xls": "xls:MS Excel 97"}
    with tempfile.TemporaryDirectory(prefix="corpus-lo-") as tmp:
        root = Path(tmp)
        src = root / f"in.{source}"
        src.write_bytes(data)
        subprocess.run(["soffice", f"-env:UserInstallation={(root / 'profile').as_uri()}", "--headless", "--norestore",
                        "--nologo", "--convert-to", filters[target], "--outdir", str(root / "out"), str(src)],
                       check=True, capture_output=True, timeout=timeout, env={"HOME": str(root), "PATH": "/usr/bin:/bin",
                                                                              "SAL_USE_VCLPLUGIN": "svp"})
        return (root / "out" / f"in.{target}").read_bytes()


# --- OFD ----------------------------------------------------------------------------------------------------------

_OFD_NS = "http://www.ofdspec.org/2016"


def _mm(v: float) -> str:
    return f"{v * 25.4 / 72:.3f}".rstrip("0").rstrip(".")


def to_ofd(layouts: list[FormLayout], face: str = "droid") -> tuple[bytes, list[list[int]]]:
    """An OFD package with the born-digital PDF's page layout; returns its bytes and each form's pages."""
    from scripts.corpus import pdf

    style = pdf.Style(face=face)
    pages: list[pdf.PageOps] = []
    form_pages: list[list[int]] = []
    for layout in layouts:
        ops = pdf.layout_pages(layout, style)
        form_pages.append(list(range(len(pages) + 1, len(pages) + len(ops) + 1)))
        pages += ops
    members: dict[str, str] = {}
    w, h = _mm(pdf.PAGE_W), _mm(pdf.PAGE_H)
    members["OFD.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:OFD xmlns:ofd="{_OFD_NS}" Version="1.1" DocType="OFD">'
        '<ofd:DocBody><ofd:DocInfo><ofd:DocID>corpus</ofd:DocID><ofd:Creator>make_corpus</ofd:Creator></ofd:DocInfo>'
        "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
    page_refs = "".join(f'<ofd:Page ID="{100 + n}" BaseLoc="Pages/Page_{n}/Content.xml"/>' for n in range(len(pages)))
    members["Doc_0/Document.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:Document xmlns:ofd="{_OFD_NS}"><ofd:CommonData>'
        f"<ofd:MaxUnitID>999999</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 {w} {h}</ofd:PhysicalBox>"
        "</ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>"
        f"<ofd:Pages>{page_refs}</ofd:Pages></ofd:Document>")
    members["Doc_0/PublicRes.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:Res xmlns:ofd="{_OFD_NS}" BaseLoc="Res"><ofd:Fonts>'
        '<ofd:Font ID="2" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>')
    ident = 1000
    for n, ops in enumerate(pages):
        objects = []
        for rect in ops.rects:
            ident += 1
            objects.append(f'<ofd:PathObject ID="{ident}" Boundary="0 0 {w} {h}" LineWidth="0.212">'
                           f"<ofd:AbbreviatedData>M {_mm(rect.x0)} {_mm(rect.y0)} L {_mm(rect.x1)} {_mm(rect.y0)} "
                           f"L {_mm(rect.x1)} {_mm(rect.y1)} L {_mm(rect.x0)} {_mm(rect.y1)} C</ofd:AbbreviatedData>"
                           "</ofd:PathObject>")
        for x, y, text, size in ops.texts:
            ident += 1
            advances = [pdf.text_width(ch, size, face) for ch in text]
            width = sum(advances)
            delta = " ".join(_mm(a) for a in advances[:-1])
            top = y - size
            objects.append(
                f'<ofd:TextObject ID="{ident}" Boundary="{_mm(x)} {_mm(top)} {_mm(width + 1)} {_mm(size * 1.3)}" '
                f'Font="2" Size="{_mm(size)}"><ofd:TextCode X="0" Y="{_mm(size)}"'
                + (f' DeltaX="{delta}"' if delta else "") + f">{html.escape(text, quote=False)}</ofd:TextCode>"
                "</ofd:TextObject>")
        members[f"Doc_0/Pages/Page_{n}/Content.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<ofd:Page xmlns:ofd="{_OFD_NS}"><ofd:Content>'
            f'<ofd:Layer ID="{ident + 1}">' + "".join(objects) + "</ofd:Layer></ofd:Content></ofd:Page>")
        ident += 1
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text.encode("utf-8"))
    return out.getvalue(), form_pages


# --- CSV ----------------------------------------------------------------------------------------------------------

def to_csv(layouts: list[FormLayout], rng: random.Random) -> tuple[bytes, str]:
    """The forms as Excel saves a sheet as CSV: a merged cell's text at its top-left, the rest empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for layout in layouts:
        width = layout.n_cols
        for line in _heading(layout):
            writer.writerow([line] + [""] * (width - 1))
        grid = [[""] * width for _ in range(layout.n_rows)]
        for c in layout.cells:
            grid[c.row][c.col] = c.text
        writer.writerows(grid)
        for line in layout.below:
            writer.writerow([line] + [""] * (width - 1))
        writer.writerow([""] * width)
    text = out.getvalue()
    if rng.random() < 0.4:
        try:
            return text.encode("gbk"), "gbk"
        except UnicodeEncodeError:
            pass
    return b"\xef\xbb\xbf" + text.encode("utf-8"), "utf-8-sig"


def render_format(fmt: str, layouts: list[FormLayout], rng: random.Random) -> tuple[bytes, str | None,
                                                                                    list[list[int]] | None]:
    """One document of a format: its bytes, encoding (text formats) and each form's pages (OFD)."""
    if fmt == "html":
        data, encoding = to_html(layouts, rng)
        return data, encoding, None
    if fmt == "csv":
        data, encoding = to_csv(layouts, rng)
        return data, encoding, None
    if fmt == "docx":
        return to_docx(layouts, rng), None, None
    if fmt == "xlsx":
        return to_xlsx(layouts, rng), None, None
    if fmt in ("doc", "wps"):
        # From the page, not the .docx: LibreOffice 7.4's Word 97 export of some python-docx tables (seed form 3)
        # drops the table and keeps its text as one paragraph; its HTML import writes tables it exports intact.
        page, _ = to_html(layouts, rng)
        return libreoffice_convert(page, "html", "doc"), None, None
    if fmt in ("xls", "et"):
        return libreoffice_convert(to_xlsx(layouts, rng), "xlsx", "xls"), None, None
    if fmt == "ofd":
        data, pages = to_ofd(layouts)
        return data, None, pages
    raise ValueError(f"unknown format {fmt!r}; choose from {FORMATS}")
