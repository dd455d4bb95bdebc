"""Exports: XLSX sheets with Chinese headers and numeric cells, a CSV per table, JSON Lines with whole forms."""

from __future__ import annotations

import csv
import json
from decimal import Decimal

import openpyxl
import pytest

from extractor.records.models import FormResult
from extractor.storage import FormQuery, PathSeen, Repository
from tests.storage.helpers import backfill, cli
from tests.storage.variants import write_corpus


@pytest.fixture
def filled(db_url, seed_result, tmp_path):
    """The seed stored once (ten forms) plus one unreadable file."""
    with Repository.open(db_url) as repo:
        repo.save_result(seed_result, sha256=seed_result.sha256, size=1, paths=[PathSeen(path="/a/seed.txt")])
        repo.save_unreadable(PathSeen(path="/a/pipe.txt"), {"code": "FILE_ACCESS", "message": "not a regular file"})
    return db_url


def test_xlsx_has_a_sheet_per_table_with_chinese_headers_and_numbers_as_numbers(filled, seed_result, tmp_path):
    out = tmp_path / "export.xlsx"
    result = cli("export", "--db", filled, "--format", "xlsx", "-o", str(out))
    assert result.returncode == 0, result.stderr
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["表单", "绩效指标", "检查发现", "文件"]
    forms = book["表单"]
    headers = [c.value for c in forms[1]]
    assert headers[:12] == ["表单ID", "文件ID", "文件SHA256", "文件路径", "表序号", "表样", "年度", "项目名称", "项目编码",
                            "主管部门", "实施单位", "金额单位"]
    assert {"总分得分", "评分等级", "状态", "年度资金总额·全年执行数"} <= set(headers)
    rows = list(forms.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 10
    first = dict(zip(headers, next(forms.iter_rows(min_row=2)), strict=True))
    record = seed_result.forms[0].record
    assert first["项目名称"].value == record.project_name and first["年度"].value == 2024
    executed = first["年度资金总额·全年执行数"]
    assert executed.data_type == "n" and Decimal(str(executed.value)) == record.funds.total.executed
    assert executed.number_format == "0.00"  # printed 148.79: two places shown
    total = first["总分得分"]
    assert total.data_type == "n" and Decimal(str(total.value)) == record.total_score
    indicators = list(book["绩效指标"].iter_rows(min_row=2, values_only=True))
    assert len(indicators) == sum(len(f.record.indicators) for f in seed_result.forms)
    assert [c.value for c in book["绩效指标"][1]][4:7] == ["一级指标", "二级指标", "三级指标"]
    assert all(isinstance(r[9], int | float) for r in indicators if r[9] is not None)  # 分值 numeric
    findings = list(book["检查发现"].iter_rows(min_row=2, values_only=True))
    assert len(findings) == sum(len(f.findings) for f in seed_result.forms)
    documents = list(book["文件"].iter_rows(min_row=2, values_only=True))
    assert sorted(d[5] for d in documents) == ["failed", "ok"]


def test_filters_pick_the_forms_and_their_documents(filled, tmp_path):
    out = tmp_path / "review.xlsx"
    assert cli("export", "--db", filled, "-f", "xlsx", "--status", "needs_review", "-o", str(out)).returncode == 0
    book = openpyxl.load_workbook(out)
    statuses = [r[[c.value for c in book["表单"][1]].index("状态")] for r in
                book["表单"].iter_rows(min_row=2, values_only=True)]
    assert statuses == ["needs_review"] * 3
    assert len(list(book["文件"].iter_rows(min_row=2))) == 1  # only the document those forms came from
    empty = tmp_path / "none.xlsx"
    assert cli("export", "--db", filled, "-f", "xlsx", "--year", "1999", "-o", str(empty)).returncode == 0
    assert len(list(openpyxl.load_workbook(empty)["表单"].iter_rows(min_row=2))) == 0
    assert cli("export", "--db", filled, "-f", "xlsx", "--status", "weird", "-o", str(empty)).returncode == 2
    assert cli("export", "--db", filled, "-f", "docx", "-o", str(empty)).returncode == 2


def test_csv_writes_one_file_per_table_with_printed_decimals(filled, seed_result, tmp_path):
    folder = tmp_path / "csv"
    assert cli("export", "--db", filled, "-f", "csv", "--year", "2024", "-o", str(folder)).returncode == 0
    assert sorted(p.name for p in folder.iterdir()) == ["documents.csv", "findings.csv", "forms.csv",
                                                        "indicators.csv"]
    raw = (folder / "forms.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, so spreadsheet programs read the Chinese right
    rows = list(csv.DictReader((folder / "forms.csv").open(encoding="utf-8-sig")))
    assert len(rows) == 10
    assert rows[0]["总分得分"] == format(seed_result.forms[0].record.total_score, "f")
    assert rows[0]["年度资金总额·全年执行数"] == "148.79"


def test_jsonl_is_one_whole_form_per_line(filled, seed_result, tmp_path):
    out = tmp_path / "forms.jsonl"
    assert cli("export", "--db", filled, "-f", "jsonl", "-o", str(out)).returncode == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 10
    first = json.loads(lines[0])
    assert first["paths"] == ["/a/seed.txt"] and first["sha256"] == seed_result.sha256
    assert FormResult.model_validate(first["form"]).record == seed_result.forms[0].record


def test_export_after_a_backfill_counts_match_the_database(db_url, tmp_path):
    expected = write_corpus(tmp_path / "in", good=9, broken=True)
    backfill(db_url, [tmp_path / "in"], workers=1)
    out = tmp_path / "all.xlsx"
    assert cli("export", "--db", db_url, "-o", str(out)).returncode == 0
    book = openpyxl.load_workbook(out)
    assert len(list(book["表单"].iter_rows(min_row=2))) == expected["forms"]
    assert len(list(book["文件"].iter_rows(min_row=2))) == expected["documents"]
    with Repository.open(db_url) as repo:
        assert repo.count_forms(FormQuery(year=2015)) == len(
            [r for r in book["表单"].iter_rows(min_row=2, values_only=True) if r[6] == 2015])
