"""Export cells: text is written as text (no formula, no error value, no CSV injection); numbers stay numbers."""

from __future__ import annotations

import csv
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from extractor.export.tables import Table
from extractor.export.writers import XLSX_MAX_TEXT, csv_text, write_csv, write_xlsx

# Text a form may print or an attacker may plant in a cell, each with what must be stored for it.
HOSTILE = [
    "=100.00%",
    "=100.00(%)",
    '=HYPERLINK("http://evil.example/x","点击")',
    "+86-21-5555",
    "-10%",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "#N/A",
    "#DIV/0!",
    "'已带引号",
    "100",
    "＝100.00(%)",  # a full-width equals sign is no formula in any spreadsheet: kept as is
]


def _table(values: list[object]) -> Table:
    return Table("t", "表", [f"c{i}" for i in range(len(values))], [values])


def _sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_xlsx_writes_every_string_as_a_string_cell_with_its_exact_text(tmp_path):
    path = tmp_path / "x.xlsx"
    write_xlsx([_table([*HOSTILE, Decimal("-1.50"), Decimal("148.79"), 2024, None])], path)
    assert "<f>" not in _sheet_xml(path) and "<f " not in _sheet_xml(path)  # no formula anywhere in the file
    sheet = openpyxl.load_workbook(path)["表"]
    header, row = list(sheet.iter_rows())
    assert all(c.data_type == "s" for c in header)
    cells = list(row)
    for cell, text in zip(cells, HOSTILE, strict=False):
        assert (cell.data_type, cell.value) == ("s", text.replace("\r", "\n"))  # XML reads a CR as LF
    numbers = cells[len(HOSTILE):]
    assert [(c.data_type, c.value) for c in numbers[:3]] == [("n", -1.5), ("n", 148.79), ("n", 2024)]
    assert numbers[0].number_format == "0.00" and numbers[3].value is None


def test_xlsx_keeps_control_characters_visible_and_marks_a_cut(tmp_path):
    # openpyxl refuses C0 controls (the whole export failed) and cuts long text silently.
    path = tmp_path / "x.xlsx"
    write_xlsx([_table(["项目\x07名称\x00", "长" * (XLSX_MAX_TEXT + 10)])], path)
    [[ctrl, long]] = openpyxl.load_workbook(path)["表"].iter_rows(min_row=2)
    assert ctrl.value == "项目\u2407名称\u2400"
    assert len(long.value) == XLSX_MAX_TEXT and long.value.endswith(f"…[cut: {XLSX_MAX_TEXT + 10} characters]")


@pytest.mark.parametrize("text", HOSTILE)
def test_csv_neutralises_cells_that_start_like_a_formula(tmp_path, text):
    [path] = write_csv([_table([text, Decimal("-1.50"), None, 3])], tmp_path)
    [header, row] = list(csv.reader(path.open(encoding="utf-8-sig", newline="")))
    expected = "'" + text if text[0] in "=+-@\t\r" else text
    assert row == [expected, "-1.50", "", "3"]  # numbers as printed, never behind a quote


def test_csv_text_leaves_ordinary_text_alone():
    assert csv_text("巡查员工作经费") == "巡查员工作经费"
    assert csv_text("") == ""
    assert csv_text(" =1") == " =1"


def test_every_finding_code_and_document_error_has_a_chinese_name() -> None:
    import inspect

    from extractor import errors
    from extractor.domain.vocabulary import DOCUMENT_ERROR_NAMES, FINDING_NAMES
    from extractor.records.models import FindingCode

    assert set(FINDING_NAMES) == {c.value for c in FindingCode}
    # The errors a document is stored with: errors.py's (but the base and a record file's), and the runner's own.
    defined = {cls.code for _, cls in inspect.getmembers(errors, inspect.isclass)
               if issubclass(cls, errors.ExtractorError) and cls.__module__ == errors.__name__}
    documents = defined - {"EXTRACTOR_ERROR", "INVALID_RECORD_FILE"} | {"FORMS_FAILED", "INTERRUPTED", "TIMEOUT",
                                                                       "WORKER_CRASHED"}
    assert len(documents) > 15 and documents <= set(DOCUMENT_ERROR_NAMES)
    assert all(not name.isascii() for name in (*FINDING_NAMES.values(), *DOCUMENT_ERROR_NAMES.values()))


def test_a_findings_figures_read_as_lines_without_python() -> None:
    from decimal import Decimal

    from extractor.export.tables import _data_text

    text = _data_text({"expected": Decimal("100.0"), "candidates": ["8.00", Decimal("9.5")],
                       "rows": {"total": Decimal("3.52")}, "note": None})
    assert text == "expected: 100.0\ncandidates: 8.00、9.5\nrows: total 3.52\nnote: "
    assert _data_text(None) is None and _data_text({}) is None
