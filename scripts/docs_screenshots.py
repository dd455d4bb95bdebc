"""Pictures for the README: an exported XLSX as LibreOffice renders it, and a `report` page as Chromium shows it.

    python scripts/docs_screenshots.py --xlsx forms.xlsx --report report/ -o docs/

The XLSX is copied, its first rows kept and each sheet set to print landscape one page wide (the export itself
is not changed), converted with `soffice --headless --convert-to pdf` and the first page drawn with PyMuPDF.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Annotated

import openpyxl
import pymupdf
import typer

ROWS = 22  # data rows kept in a picture: enough to see the columns at work, still legible
# Columns of 表单 hidden in its picture: the 24 项目资金 cells and the long texts would shrink it past reading.
FORMS_SHOWN = ["表单ID", "文件路径", "年度", "项目名称", "主管部门", "金额单位", "总分得分", "评分等级", "状态",
               "状态代码", "错误数", "警告数", "检查发现", "发现代码", "同表另见"]
FINDINGS_HIDDEN = {"文件ID", "数据"}


def _prepare(source: Path, target: Path, sheet: str, shown: list[str] | None, hidden: set[str]) -> None:
    book = openpyxl.load_workbook(source)
    for name in book.sheetnames:
        if name != sheet:
            del book[name]
    ws = book[sheet]
    if ws.max_row > ROWS + 1:
        ws.delete_rows(ROWS + 2, ws.max_row - ROWS - 1)
    ws.auto_filter.ref = f"A1:{openpyxl.utils.get_column_letter(ws.max_column)}{ws.max_row}"
    for cell in ws[1]:
        if (shown is not None and cell.value not in shown) or cell.value in hidden:
            ws.column_dimensions[cell.column_letter].hidden = True
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A3
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_options.gridLines = True
    book.save(target)


def _render_xlsx(xlsx: Path, png: Path, work: Path) -> None:
    subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(work), str(xlsx)], check=True,
                   capture_output=True, timeout=300)
    with pymupdf.open(work / (xlsx.stem + ".pdf")) as pdf:
        page = pdf[0]
        content = page.get_text("blocks")
        box = pymupdf.Rect(min(b[0] for b in content), min(b[1] for b in content), max(b[2] for b in content),
                           max(b[3] for b in content)) + (-12, -12, 12, 12)
        page.get_pixmap(dpi=150, clip=box & page.rect).save(png)


def main(
    xlsx: Annotated[Path, typer.Option(help="an `extractor export` XLSX")],
    report: Annotated[Path, typer.Option(help="an `extractor report` folder")],
    output: Annotated[Path, typer.Option("--output", "-o", help="folder for the PNGs")] = Path("docs"),
) -> None:
    """Render the XLSX's 表单 and 检查发现 sheets and the report page as PNGs."""
    output.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for sheet, name, shown, hidden in (("表单", "xlsx-forms", FORMS_SHOWN, set()),
                                           ("检查发现", "xlsx-findings", None, FINDINGS_HIDDEN)):
            copy = work / f"{name}.xlsx"
            _prepare(xlsx, copy, sheet, shown, hidden)
            _render_xlsx(copy, output / f"{name}.png", work)
        browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
        if browser is None:
            raise typer.Exit("no Chromium for the report picture")
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--screenshot={(output / 'report.png').absolute()}", "--window-size=1280,3000",
                        (report / "report.html").absolute().as_uri()], check=True, capture_output=True, timeout=120)
    typer.echo(f"wrote {', '.join(str(output / n) for n in ('xlsx-forms.png', 'xlsx-findings.png', 'report.png'))}")


if __name__ == "__main__":
    typer.run(main)
