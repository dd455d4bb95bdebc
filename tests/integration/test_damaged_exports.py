"""Damaged text exports (issue "Nothing lost, nothing silently wrong"): no form lost, none ok with a changed value.

Each case was found by crafting bad inputs and by random edits of the seed export; each test failed on the
reader as it was before the fix.
"""

from __future__ import annotations

from decimal import Decimal

from extractor.pipeline import extract_bytes
from extractor.records.compare import diff_records
from extractor.records.models import FindingCode, FormStatus
from tests.conftest import SEED_EXPORT, load_gold
from tests.support.llm import gold_record

SEED = SEED_EXPORT.read_bytes()
TEXT = SEED.decode("utf-8")
LINES = TEXT.split("\n")


def _lines_edited(edit) -> bytes:
    lines = list(LINES)
    edit(lines)
    return "\n".join(lines).encode("utf-8")


def _line(needle: str) -> int:
    return next(i for i, line in enumerate(LINES) if needle in line)


def _codes(form) -> set[str]:
    return {f.code.value for f in form.findings}


def test_a_stray_quote_at_the_start_of_a_cell_does_not_swallow_the_file():
    data = TEXT.replace("\t居、村、街面、拓展网格全覆盖率\t", "\t\"居、村、街面、拓展网格全覆盖率\t").encode("utf-8")
    result = extract_bytes(data, "quote.txt")
    assert len(result.forms) == 10
    assert result.forms[0].record.indicators[0].name == "\"居、村、街面、拓展网格全覆盖率"
    for n in range(2, 11):
        assert diff_records(result.forms[n - 1].record, gold_record(n)) == []


def test_balanced_quotes_inside_a_cell_are_text():
    data = TEXT.replace("\t居、村、街面、拓展网格全覆盖率\t", "\t\"两违\"整治率\t").encode("utf-8")
    assert extract_bytes(data, "quotes.txt").forms[0].record.indicators[0].name == "\"两违\"整治率"


def test_one_invalid_byte_loses_no_form_and_flags_the_value_it_touched():
    at = SEED.index("巡查员工作经费".encode())
    result = extract_bytes(SEED[:at] + b"\xff" + SEED[at:], "byte.txt")
    assert result.status.value == "ok" and len(result.forms) == 10
    first = result.forms[0]
    assert first.status is FormStatus.NEEDS_REVIEW and "LOW_CONFIDENCE" in _codes(first)
    assert any("decoded as utf-8 with replacement" in note for note in first.provenance.layout["notes"])
    for n in range(2, 11):
        assert diff_records(result.forms[n - 1].record, gold_record(n)) == []


def test_a_file_missing_its_last_byte_loses_no_form():
    cut = SEED.rstrip(b"\n")
    cut = cut[:-1] if cut[-1] < 0x80 else cut
    cut = cut[: cut.rindex(b"\xe3") + 1] + b"\x80" if b"\xe3" in cut[-40:] else cut[:-1]
    assert len(extract_bytes(cut, "cut.txt").forms) == 10


def test_a_utf8_export_followed_by_a_gbk_one_gives_every_form_of_both():
    result = extract_bytes(SEED + TEXT.encode("gbk"), "concatenated.txt")
    assert len(result.forms) == 20
    for n in range(1, 11):
        assert diff_records(result.forms[n + 9].record, gold_record(n)) == []
    assert any("decoded as gb18030" in note for note in result.forms[12].provenance.layout["notes"])


def test_utf16_without_its_bom_is_read():
    for encoding in ("utf-16-le", "utf-16-be"):
        result = extract_bytes(TEXT.encode(encoding), f"{encoding}.txt")
        assert len(result.forms) == 10, encoding
        assert diff_records(result.forms[3].record, gold_record(4)) == []


def test_a_damaged_title_is_not_taken_for_the_project_name():
    # Form 1 prints no 项目名称 label (its name is the line before 主管部门); with that line gone and the title
    # misspelt, the title is all that stands there.
    def edit(lines):
        lines[_line("财政项目支出绩效自评表")] = "财政项目支出绩效自平表"
        del lines[_line("\t\t巡查员工作经费")]

    form = extract_bytes(_lines_edited(edit), "title.txt").forms[0]
    assert form.record.project_name is None
    assert form.status is FormStatus.NEEDS_REVIEW


def test_two_label_cells_joined_by_a_lost_tab_do_not_inherit_the_labels_above():
    at = _line("\t满意度指标\t服务对象满意度指标\t群众满意度")

    def edit(lines):
        lines[at] = lines[at].replace("服务对象满意度指标\t群众满意度", "服务对象满意度指标群众满意度")

    result = extract_bytes(_lines_edited(edit), "tab.txt")
    form = next(f for f in result.forms if any(i.name and "群众满意度" in i.name for i in f.record.indicators))
    row = next(i for i in form.record.indicators if "群众满意度" in (i.name or ""))
    assert row.level2 != "生态效益指标"
    assert form.status is FormStatus.NEEDS_REVIEW


def test_a_lost_tab_in_a_fund_sub_row_does_not_move_the_rate_into_its_weight():
    at = _line("\t其中:当年财政拨款\t91.82")

    def edit(lines):
        lines[at] = lines[at].replace("-\t100.0", "-100.0", 1)

    result = extract_bytes(_lines_edited(edit), "fund-tab.txt")
    form = next(f for f in result.forms if f.record.funds.current_year.initial_budget == Decimal("91.82"))
    assert form.record.funds.current_year.weight is None
    assert form.status is FormStatus.NEEDS_REVIEW


def test_an_unreadable_number_is_reported_never_a_silent_null():
    for damaged in ("0.0型0", "1器00.0", "1.67e2"):
        def edit(lines, damaged=damaged):
            at = _line("\t其他资金\t0.00\t0.00\t0.00\t—\t0.00")
            lines[at] = lines[at].replace("\t0.00\t—\t", f"\t{damaged}\t—\t", 1)

        form = extract_bytes(_lines_edited(edit), "number.txt").forms[0]
        missing = [f for f in form.findings if f.code is FindingCode.MISSING_FIELD]
        assert any(damaged in f.message for f in missing), damaged
        assert form.status is FormStatus.NEEDS_REVIEW


def test_a_deleted_goals_row_is_missing_not_silently_null():
    def edit(lines):
        del lines[_line("\t确保案件上报完成率全部达标")]

    form = extract_bytes(_lines_edited(edit), "goals.txt").forms[0]
    missing = {p for f in form.findings if f.code is FindingCode.MISSING_FIELD for p in f.fields}
    assert {"goals.expected", "goals.actual"} <= missing


def test_a_goals_row_printed_twice_is_not_silently_appended():
    at = _line("\t确保案件上报完成率全部达标")

    def edit(lines):
        lines.insert(at + 1, lines[at].replace("确保", "保证"))

    form = extract_bytes(_lines_edited(edit), "goals-twice.txt").forms[0]
    assert form.record.goals.expected == load_gold(1)["record"]["goals"]["expected"]
    assert form.status is FormStatus.NEEDS_REVIEW and "LOW_CONFIDENCE" in _codes(form)


def test_a_deleted_fund_sub_row_is_missing_not_silently_null():
    def edit(lines):
        del lines[_line("\t上年结转资金\t0.00")]

    form = extract_bytes(_lines_edited(edit), "fund-row.txt").forms[0]
    missing = {p for f in form.findings if f.code is FindingCode.MISSING_FIELD for p in f.fields}
    assert {"funds.carryover.initial_budget", "funds.carryover.annual_budget", "funds.carryover.executed"} <= missing


def test_a_fund_row_without_its_header_is_placed_only_for_review():
    def edit(lines):
        del lines[_line("项目资金 (万元)")]

    form = extract_bytes(_lines_edited(edit), "no-header.txt").forms[0]
    assert form.record.funds.total.executed == Decimal("148.79")  # placed in the central form's order …
    assert form.status is FormStatus.NEEDS_REVIEW  # … and never passed as read


def test_twenty_thousand_title_lines_are_no_form_and_no_long_wait():
    result = extract_bytes(("财政项目支出绩效自评表\n" * 20000).encode("utf-8"), "titles.txt")
    assert result.status.value == "failed" and result.error["code"] == "NO_FORM_FOUND"
