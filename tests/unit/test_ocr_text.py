"""What the page reader does with a recogniser's raw line: dust read as punctuation is dropped, and only there."""

import pytest

from extractor.ocr.base import drop_speck_readings, pair_quotes


@pytest.mark.parametrize(("raw", "clean"), [
    ("数量指标.", "数量指标"),
    (".耕地地力保护补贴", "耕地地力保护补贴"),
    ("投诉满意率·", "投诉满意率"),
    ("`成本指标'", "成本指标"),
    (".8.00", "8.00"),
    ("≥.98.00%", "≥98.00%"),
    ("87.42%.", "87.42%"),
    ("=90.00(%)·", "=90.00(%)"),
    ("8.00.", "8.00"),
    (".>98.00(%)", ">98.00(%)"),
    ("及时纠偏。•", "及时纠偏。"),
    ("覆盖辖区全部街面。：", "覆盖辖区全部街面。"),
])
def test_a_speck_at_the_end_of_chinese_text_is_dropped(raw: str, clean: str) -> None:
    assert drop_speck_readings(raw) == clean


@pytest.mark.parametrize("kept", [
    "5.00", "98.5%", "100.00(%)", ".5", "≥98.00%", "3.", "群众满意度92.5%。", "阿依古丽·买买提", "加强过程监管，", ".", "A.", "“放管服”", "主要内容：", "如下：",
])
def test_real_punctuation_and_numbers_are_kept(kept: str) -> None:
    assert drop_speck_readings(kept) == kept


@pytest.mark.parametrize(("raw", "paired"), [
    ("建立起”结构合理、运行顺畅”的体系", "建立起“结构合理、运行顺畅”的体系"),
    ("“安全生产月“系列，“身边人”活动", "“安全生产月”系列，“身边人”活动"),
    ("“放管服”改革", "“放管服”改革"),
    ("续上一格”的体系", "续上一格”的体系"),  # odd: left alone
    ("没有引号", "没有引号"),
])
def test_curly_quotes_pair_up(raw: str, paired: str) -> None:
    assert pair_quotes(raw) == paired
