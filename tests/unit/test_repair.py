import pytest

from extractor.domain.repair import MatchStatus, match_label
from extractor.domain.vocabulary import VocabKind

L = VocabKind.INDICATOR_LABEL


@pytest.mark.parametrize(
    ("printed", "canonical"),
    [("服务对象满意度指", "服务对象满意度指标"), ("经济效益", "经济效益指标"), ("服务对象 满意度指", "服务对象满意度指标"),
     ("数量", "数量指标"), ("数虽指标", "数量指标"), ("时效指木", "时效指标")],
)
def test_truncated_or_garbled_labels_are_repaired(printed, canonical):
    m = match_label(printed, L)
    assert m.canonical == canonical
    assert m.status is MatchStatus.REPAIRED
    assert m.method in ("prefix", "edit_distance")


@pytest.mark.parametrize("printed", ["效益指", "指标", "满意度", "社会"])
def test_ambiguous_fragments_are_not_repaired(printed):
    m = match_label(printed, L)
    assert m.canonical is None
    assert m.status is MatchStatus.AMBIGUOUS
    assert len(m.candidates) > 1


def test_free_text_is_never_completed():
    for text in ("完成年初预定的采购目", "采购货物的", "在规定的时", "违法违规行"):
        assert match_label(text, L).canonical is None


def test_exact_normalised_and_synonyms():
    assert match_label("社会效益指标", L).status is MatchStatus.EXACT
    assert match_label("可持续影 响指标", L).status is MatchStatus.NORMALISED
    m = match_label("进度指标", L)
    assert (m.canonical, m.status) == ("时效指标", MatchStatus.SYNONYM)
    assert match_label("环境效益指标", L).canonical == "生态效益指标"
    assert match_label("社会公众或服务对象满意度指标", L).canonical == "服务对象满意度指标"


def test_headers_and_fund_rows():
    assert match_label("偏差原因分 析及改进措", VocabKind.INDICATOR_HEADER).canonical == "偏差原因分析及改进措施"
    assert match_label("年度 指标值", VocabKind.INDICATOR_HEADER).canonical == "年度指标值"
    assert match_label("执行率（B/A）", VocabKind.FUNDS_HEADER).canonical == "执行率"
    assert match_label("其中： 当年财政拨款", VocabKind.FUND_ROW).canonical == "当年财政拨款"
    # 全年 fits 全年预算数 and 全年执行数: only its position can tell (tables.rows does that).
    assert match_label("全年", VocabKind.FUNDS_HEADER).status is MatchStatus.AMBIGUOUS


def test_short_labels_are_not_edit_distance_repaired():
    # 得分 and 总分 are one character apart: a short label is read exactly or not at all.
    assert match_label("得分", VocabKind.SECTION).canonical is None


@pytest.mark.parametrize(("printed", "kind", "canonical"), [
    ("，总分", VocabKind.SECTION, "总分"),
    ("，时效指标", VocabKind.INDICATOR_LABEL, "时效指标"),
    ("·满意度指标", VocabKind.INDICATOR_LABEL, "满意度指标"),
])
def test_a_speck_read_as_leading_punctuation_does_not_hide_a_label(printed, kind, canonical):
    m = match_label(printed, kind)
    assert m.canonical == canonical and m.status is not MatchStatus.REPAIRED
