"""Every way a form's text arrives (templates.md): layout detection, rows rebuilt from streams, values placed by
header and arithmetic, never by guessing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from extractor.ingest.text_export import read_text_export
from extractor.ingest.text_layout import TextLayout, detect_layout, split_lines
from extractor.layout import Cell
from extractor.pipeline import extract_bytes
from extractor.records.models import FindingCode, FormStatus
from extractor.tables.placement import place_fund_values, resolve_by_components
from extractor.tables.rows import read_rows

KEYS = ["initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score"]


def cells(*texts: str) -> list[Cell]:
    return [Cell(id=f"c{i}", text=t, row=0, col=i) for i, t in enumerate(texts)]


@pytest.mark.parametrize(("text", "layout"), [
    ("项目名称\t社区服务\n主管部门\t某局\t实施单位\t某中心\n", TextLayout.TSV),
    ("| 项目名称 | 社区服务 |\n| 主管部门 | 某局 | 实施单位 | 某中心 |\n|\n", TextLayout.PIPE),
    ("项目名称 |\n社区服务 |\n|\n主管部门 |\n某局 |\n", TextLayout.CELL_PER_LINE_BAR),
    ("项目名称\n\n社区服务\n\n主管部门\n\n某局\n\n \n\n实施单位\n", TextLayout.CELL_PER_LINE),
    ("项目名称 社区服务\n主管部门 某局 实施单位 某中心\n  年度资金总额 880 880 880 10 10\n", TextLayout.SPACES),
    ("项目支出绩效自评表(2020 年度)项目名称演出设备更新专项经费主管部门新洲区楚剧团实施单位新洲区文化和旅游局"
     "项目资金 (万元)年初预算数全年预算数全年执行分值执行率得分年度资金总额303010100%其中:当年财政拨款303030100%", TextLayout.GLUED),
])
def test_layout_is_detected_from_the_text(text, layout):
    assert detect_layout(text.splitlines()) is layout


def test_each_layout_keeps_its_empty_cells_where_they_say_something():
    bar = split_lines("a |\n|\nb |\n", TextLayout.CELL_PER_LINE_BAR)
    assert [fields for _, fields in bar] == [["a"], [""], ["b"]]
    lines = split_lines("a\n\n \n\nb\n", TextLayout.CELL_PER_LINE)
    assert [fields for _, fields in lines] == [["a"], [""], ["b"]]
    pipe = split_lines("| a | | b |\n|\n", TextLayout.PIPE)
    assert [fields for _, fields in pipe] == [["a", "", "b"], [""]]


def test_a_stray_quote_is_text_not_a_csv_field_that_swallows_the_file():
    rows = "\n".join(f"项目{i},\"12寸显示屏采购,1,2,3" if i == 1 else f"项目{i},a,1,2,3" for i in range(10))
    records = split_lines(rows, TextLayout.CSV)
    assert len(records) == 10 and records[1][1][1] == "\"12寸显示屏采购"


def test_fund_values_with_a_dropped_blank_are_placed_by_the_rows_arithmetic():
    placed = place_fund_values(cells("880", "880", "880", "10", "10"), KEYS)
    assert {k: c.text for k, c in placed.mapping.items()} == {
        "initial_budget": "880", "annual_budget": "880", "executed": "880", "weight": "10", "score": "10"}
    assert placed.ambiguous == {}


def test_a_placement_the_arithmetic_cannot_decide_is_left_empty_and_named():
    placed = place_fund_values(cells("0", "0", "—"), KEYS)
    # Two zeros for three amount columns (or a weight): nothing says which, so nothing is placed.
    assert {"initial_budget", "annual_budget", "executed"} <= set(placed.ambiguous)
    assert all(c.text == "—" for c in placed.mapping.values())


def test_sub_rows_are_placed_by_the_total_they_add_up_to():
    total = {"initial_budget": None, "annual_budget": Decimal("387664.62"), "executed": Decimal("387664.62")}
    sub = place_fund_values(cells("387664.62", "387664.62", "—", "—"), KEYS)
    assert sub.alternatives
    chosen = resolve_by_components(total, [], [sub.alternatives])
    assert chosen is not None
    assert {k: c.text for k, c in chosen[0].items() if c.text != "—"} == {
        "annual_budget": "387664.62", "executed": "387664.62"}


SPACED = """    项目支出绩效自评表
    (2022年度)
    项目名称 水旱灾害防御经费
    主管部门 某局 实施单位 某中心
    项目资金
    (万元)
    年初预算数 全年预算数(A) 全年执行数(B) 分值 执行率(B/A) 得分
    年度资金总额: 880 880 880 10 10
     其中:本年财政拨款 880 880 880 - -
        上年结转资金 - -
           其他资金 - -
    年度总体目标完成情况 预期目标 实际完成情况
     完成年度防汛工作。 完成年度目标。
    年度绩效指标完成情况 一级
    指标
    二级指标 三级指标 年度指标值 实际完成值 分值 得分 偏差原因分析及改进措施
    (50分)
    数量指标 指标1:完成项目数量 1 1 40 40
    指标2:
    ……
    (30分)
    经济效益
    指标
    指标1:全市安全度汛 30 30
    满意度指标
    (10分)
    服务对象
    满意度指标
    指标1:服务对象满意度 90% 100% 20 20
    总分 100 100
"""


def test_spaced_rows_with_wrapped_labels_weights_and_placeholders():
    result = extract_bytes(SPACED.encode("utf-8"), "spaced.txt")
    form = result.forms[0]
    record = form.record
    assert form.template == "anhui" and record.money_unit == "万元" and record.year == 2022
    assert record.funds.total.execution_rate is None and record.funds.total.score == Decimal("10")
    assert [(i.level1, i.level2, i.name, i.target, i.weight) for i in record.indicators] == [
        ("产出指标", "数量指标", "指标1:完成项目数量", "1", Decimal("40")),
        ("效益指标", "经济效益指标", "指标1:全市安全度汛", None, Decimal("30")),
        ("满意度指标", "服务对象满意度指标", "指标1:服务对象满意度", "90%", Decimal("20")),
    ]
    assert form.provenance.layout["placeholders_dropped"] == 2  # 指标2: and …… are template rows, not indicators
    assert "(50分)" in form.provenance.fields["indicators[0].level1"].note
    assert form.status is FormStatus.OK


def test_one_cell_per_line_with_bars_keeps_positions_through_empty_cells():
    lines = ["部门预算项目支出绩效自评表(2023年度)", "项目名称", "51000021R000000019951-工资性支出", "主管部门", "某局",
             "实施单位 (盖章)", "某中心", "预算执行情况(10分)", "年度预算数(万元)", "年初预算", "调整后预算数", "预算执行数",
             "预算执行率", "权重", "得分", "原因", "总额", "10.00", "12.00", "12.00", "100.00%", "10", "10", "说明",
             "其中:财政资金", "10.00", "12.00", "12.00", "100.00%", "/", "/", "其他资金", "", "", "", "", "/", "/",
             "绩效指标(90分)", "一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "完成值", "权重", "得分",
             "未完成原因分析", "产出指标", "数量指标", "覆盖率", "=", "100", "%", "100%", "90", "90", "",
             "合计", "100", "", "", "评价结论", "完成。", "存在问题", "无", "改进措施", "无"]
    text = "\n".join(f"{t} |" if t else "|" for t in lines)
    grids, _ = read_text_export(text.encode("utf-8"))
    assert grids[0].text_layout == "cell_per_line_bar"
    raw = read_rows(grids[0])
    assert raw.template is not None and raw.template.id == "sichuan"
    result = extract_bytes(text.encode("utf-8"), "sichuan.txt")
    record = result.forms[0].record
    assert record.project_code == "51000021R000000019951"
    assert record.project_name == "51000021R000000019951-工资性支出"
    assert record.funds.total.execution_rate == Decimal("100.00") and record.funds.other.initial_budget is None
    ind = record.indicators[0]
    assert (ind.nature, ind.target, ind.unit, ind.actual, ind.weight) == ("=", "=100%", "%", "100%", Decimal("90"))
    assert record.evaluation.conclusion == "完成。" and record.total_weight == Decimal("100")


def test_glued_text_reads_only_what_its_labels_make_certain():
    text = ("项目支出绩效自评表(2020 年度)项目名称演出设备更新专项经费主管部门新洲区楚剧团实施单位新洲区文化和旅游局机关"
            "项目资金 (万元)年初预算数全年预算数全年执行分值执行率得分年度资金总额303010100%其中:当年财政拨款303030100%"
            "上年结转资金其他资金年度 总体 目标预期目标实际完成情况更新设备。已完成绩 效 指 标一级指标二级指标三级指标"
            "年度 指标值实际 完成值分 值得 分偏差原因分析 及改进措施产出指标数量指标更新设备50件50件2020总分10098")
    form = extract_bytes(text.encode("utf-8"), "glued.txt").forms[0]
    record = form.record
    assert (record.year, record.project_name, record.department) == (2020, "演出设备更新专项经费", "新洲区楚剧团")
    assert record.funds.total.annual_budget is None and record.total_score is None and record.indicators == []
    assert form.status is FormStatus.NEEDS_REVIEW
    assert {"funds.total.executed", "total_score", "indicators"} <= {
        p for f in form.findings if f.code is FindingCode.MISSING_FIELD for p in f.fields}


def test_amounts_printed_with_their_unit_give_the_money_unit(seed_text):
    """`167万` is stored "167" and, where the header does not say, the unit comes from the amounts."""
    lines = seed_text.splitlines()[:28]
    lines = [line.replace("项目资金 (万元)", "项目资金").replace("\t167.00\t148.79\t148.79\t", "\t167万\t148.79万\t148.79万\t")
             for line in lines]
    form = extract_bytes("\n".join(lines).encode("utf-8"), "units.txt").forms[0]
    total = form.record.funds.total
    assert (total.initial_budget, total.annual_budget, total.executed) == (
        Decimal("167"), Decimal("148.79"), Decimal("148.79"))
    assert form.record.money_unit == "万元"
    assert not [f for f in form.findings if f.code is FindingCode.UNGROUNDED_VALUE]


def test_operators_print_as_printed_and_compare_as_plain():
    from extractor.domain.notation import meets_target, parse_notation

    for printed in ("═100%", "﹦100%", "＝100%"):
        assert parse_notation(printed).operator == "="
    assert parse_notation("≧735人次").operator == ">=" and parse_notation("⩽5%").operator == "<="
    assert meets_target(parse_notation("≧735人次"), parse_notation("735人次")) is True
