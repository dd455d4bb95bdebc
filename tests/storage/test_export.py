"""Exports: XLSX sheets with Chinese headers and numeric cells, a CSV per table, JSON Lines with whole forms."""

from __future__ import annotations

import csv
import json
from decimal import Decimal

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from extractor import extract_bytes
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
    assert book.sheetnames == ["表单", "绩效指标", "检查发现", "文件", "说明"]
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
    assert sorted(d[6] for d in documents) == ["failed", "ok"] and sorted(d[5] for d in documents) == ["已读取", "未能读取"]
    failed = next(d for d in documents if d[6] == "failed")
    assert failed[7:9] == ("无法访问该文件（权限、链接或非普通文件）", "FILE_ACCESS")  # a name, the code beside it


def test_xlsx_is_made_for_the_clerk_widths_filters_chinese_words_form_labels(filled, seed_result, tmp_path):
    out = tmp_path / "clerk.xlsx"
    assert cli("export", "--db", filled, "-o", str(out)).returncode == 0
    book = openpyxl.load_workbook(out)
    for sheet in book:
        headers = [c.value for c in sheet[1]]
        assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(headers))}{sheet.max_row}", sheet.title
        widths = [sheet.column_dimensions[get_column_letter(i)].width for i in range(1, len(headers) + 1)]
        assert all(6 <= w <= 50 for w in widths), (sheet.title, widths)
        assert sheet.freeze_panes == "A2"
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f" or (isinstance(c.value, str) and c.data_type != "s")]
    forms = book["表单"]
    headers = [c.value for c in forms[1]]
    width = {h: forms.column_dimensions[get_column_letter(i)].width for i, h in enumerate(headers, start=1)}
    assert width["项目名称"] > width["年度"]  # fitted to the content, not one width for all
    rows = [dict(zip(headers, r, strict=True)) for r in forms.iter_rows(min_row=2, values_only=True)]
    assert {(r["状态"], r["状态代码"]) for r in rows} == {("通过", "ok"), ("需复核", "needs_review")}
    review = [r for r in rows if r["状态代码"] == "needs_review"]
    assert all(r["检查发现"] and r["发现代码"] and not r["检查发现"].isascii() for r in review)
    findings = book["检查发现"]
    fheaders = [c.value for c in findings[1]]
    frows = [dict(zip(fheaders, r, strict=True)) for r in findings.iter_rows(min_row=2, values_only=True)]
    assert {r["级别"] for r in frows} <= {"错误", "警告", "提示"} and {r["级别代码"] for r in frows} <= {
        "error", "warning", "info"}
    assert all(r["代码"].isupper() and not r["发现"].isascii() for r in frows)  # code kept, name in Chinese
    expected = []
    for form in seed_result.forms:
        for finding in form.findings:
            for path in finding.fields:
                if path.startswith("indicators["):
                    ind = form.record.indicators[int(path[11:path.index("]")])]
                    column = {"weight": "分值", "score": "得分", "actual": "实际完成值", "target": "年度指标值"}.get(
                        path.rsplit(".", 1)[1])
                    if column and ind.level1 and ind.level2 and ind.name:
                        expected.append(f"{ind.level1}/{ind.level2}/{ind.name}·{column}")
    assert expected  # the seed has findings on indicator rows
    labels = "\n".join(r["字段"] or "" for r in frows)
    assert all(e in labels for e in expected) and "indicators[" not in labels
    assert any("indicators[" in (r["字段路径"] or "") for r in frows)  # the path itself kept beside
    assert not any((r["数据"] or "").startswith("{") for r in frows)  # figures as lines, not JSON


def test_a_sheet_explains_every_column(filled, tmp_path):
    out = tmp_path / "guide.xlsx"
    assert cli("export", "--db", filled, "-o", str(out)).returncode == 0
    book = openpyxl.load_workbook(out)
    guide = {(t, c): note for t, c, note in book["说明"].iter_rows(min_row=2, values_only=True)}
    for title in ("表单", "绩效指标", "检查发现", "文件"):
        for header in (c.value for c in book[title][1]):
            assert guide.get((title, header)), (title, header)  # every column, with words
    assert "同一张表" in guide[("表单", "同表另见")] and "金额单位" in guide[("表单", "年度资金总额·全年执行数")]


def test_the_same_form_read_twice_is_linked(db_url, seed_result, tmp_path):
    with Repository.open(db_url) as repo:
        repo.save_result(seed_result, sha256=seed_result.sha256, size=1, paths=[PathSeen(path="/a/seed.txt")])
        again = seed_result.model_copy(update={"forms": seed_result.forms[:1], "source": "/b/scan.pdf"})
        repo.save_result(again, sha256="f" * 64, size=2, paths=[PathSeen(path="/b/scan.pdf")])
    out = tmp_path / "twice.xlsx"
    assert cli("export", "--db", db_url, "-o", str(out)).returncode == 0
    forms = openpyxl.load_workbook(out)["表单"]
    headers = [c.value for c in forms[1]]
    rows = [dict(zip(headers, r, strict=True)) for r in forms.iter_rows(min_row=2, values_only=True)]
    linked = {r["表单ID"]: r["同表另见"] for r in rows if r["同表另见"]}
    assert len(linked) == 2
    first, second = sorted(linked)
    assert linked == {first: str(second), second: str(first)}
    assert len({r["项目名称"] for r in rows if r["表单ID"] in linked}) == 1


def test_filters_pick_the_forms_and_their_documents(filled, tmp_path):
    out = tmp_path / "review.xlsx"
    assert cli("export", "--db", filled, "-f", "xlsx", "--status", "needs_review", "-o", str(out)).returncode == 0
    book = openpyxl.load_workbook(out)
    statuses = [r[[c.value for c in book["表单"][1]].index("状态代码")] for r in
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


HYPERLINK = '=HYPERLINK("http://evil.example/x","点击")'


@pytest.fixture
def hostile(db_url, seed_export):
    """The seed with a planted formula as an indicator's name; its targets `=100.00(%)` are formulas in waiting."""
    text = seed_export.read_text(encoding="utf-8").replace("居、村、街面、拓展网格全覆盖率", HYPERLINK, 1)
    result = extract_bytes(text.encode("utf-8"), "hostile.txt")
    assert result.forms[0].record.indicators[0].name == HYPERLINK
    with Repository.open(db_url) as repo:
        repo.save_result(result, sha256=result.sha256, size=1, paths=[PathSeen(path="/a/hostile.txt")])
    return db_url, result


def test_xlsx_writes_targets_and_planted_formulas_as_text(hostile, tmp_path):
    db, result = hostile
    out = tmp_path / "export.xlsx"
    assert cli("export", "--db", db, "-f", "xlsx", "-o", str(out)).returncode == 0
    book = openpyxl.load_workbook(out)
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert all(c.data_type == "s" for c in cells if isinstance(c.value, str))
    sheet = book["绩效指标"]
    headers = [c.value for c in sheet[1]]
    rows = [dict(zip(headers, r, strict=True)) for r in sheet.iter_rows(min_row=2)]
    first = result.forms[0].record.indicators[0]
    assert rows[0]["三级指标"].value == HYPERLINK and rows[0]["年度指标值"].value == first.target == "=100.00(%)"
    assert rows[0]["三级指标"].hyperlink is None
    targets = [r["年度指标值"].value for r in rows]
    assert targets == [i.target for f in result.forms for i in f.record.indicators]
    forms = book["表单"]
    units = [r[[c.value for c in forms[1]].index("金额单位")] for r in forms.iter_rows(min_row=2, values_only=True)]
    assert units == [f.record.money_unit for f in result.forms] and set(units) == {"万元"}


def test_csv_neutralises_targets_and_planted_formulas(hostile, tmp_path):
    db, result = hostile
    folder = tmp_path / "csv"
    assert cli("export", "--db", db, "-f", "csv", "-o", str(folder)).returncode == 0
    rows = list(csv.DictReader((folder / "indicators.csv").open(encoding="utf-8-sig", newline="")))
    indicators = [i for f in result.forms for i in f.record.indicators]
    assert rows[0]["三级指标"] == "'" + HYPERLINK
    assert [r["年度指标值"] for r in rows] == [("'" + i.target) if i.target and i.target[0] in "=+-@" else
                                            (i.target or "") for i in indicators]
    assert rows[0]["年度指标值"] == "'=100.00(%)"
    assert [r["分值"] for r in rows] == [format(i.weight, "f") if i.weight is not None else "" for i in indicators]
    every = [cell for p in folder.iterdir() for r in csv.reader(p.open(encoding="utf-8-sig", newline=""))
             for cell in r]
    assert not [c for c in every if c[:1] in ("=", "+", "@", "\t", "\r")]
    forms = list(csv.DictReader((folder / "forms.csv").open(encoding="utf-8-sig", newline="")))
    assert [f["金额单位"] for f in forms] == [f.record.money_unit for f in result.forms]


def test_csv_in_gb18030_for_excel_set_ups_that_read_the_local_code_page(filled, seed_result, tmp_path):
    folder = tmp_path / "gb"
    result = cli("export", "--db", filled, "-f", "csv", "--encoding", "gb18030", "-o", str(folder))
    assert result.returncode == 0, result.stderr
    raw = (folder / "forms.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # really the local code page, not UTF-8 relabelled
    rows = list(csv.DictReader(raw.decode("gb18030").splitlines()))
    assert rows[0]["项目名称"] == seed_result.forms[0].record.project_name and rows[0]["状态"] in ("通过", "需复核")
