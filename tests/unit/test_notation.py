from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from extractor.domain.notation import Direction, meets_target, parse_notation, states_achieved


@pytest.mark.parametrize(
    ("raw", "op", "value", "unit"),
    [("=100.00(%)", "=", "100.00", "%"), ("＝100", "=", "100", None), (">=90%", ">=", "90", "%"),
     ("≥50个", ">=", "50", "个"), ("≤90万元", "<=", "90", "万元"), ("≥100百分比", ">=", "100", "%"),
     ("100.00 (%)", None, "100.00", "%"), ("<5天", "<", "5", "天"), ("95%以上", ">=", "95", "%"),
     ("不低于95%", ">=", "95", "%"), ("1,200个", None, "1200", "个")],
)
def test_numeric_notation(raw, op, value, unit):
    n = parse_notation(raw)
    assert (n.operator, n.value, n.unit) == (op, Decimal(value), unit)


@pytest.mark.parametrize("raw", ["达成指标", "下降", "较上一年提升", "无", "2024年完成", "开展3种安全宣传活动"])
def test_qualitative_notation(raw):
    n = parse_notation(raw)
    assert not n.is_numeric
    assert n.text


def test_direction():
    assert parse_notation("≤5%").direction is Direction.NEGATIVE
    assert parse_notation(">90%").direction is Direction.POSITIVE
    assert parse_notation("=100%").direction is Direction.POSITIVE


def test_meets_target():
    assert meets_target(parse_notation("=100.00(%)"), parse_notation("100.00(%)")) is True
    assert meets_target(parse_notation(">90.00(%)"), parse_notation("85(%)")) is False
    assert meets_target(parse_notation("≤5%"), parse_notation("3%")) is True
    assert meets_target(parse_notation("≤5%"), parse_notation("7%")) is False
    assert meets_target(parse_notation("下降"), parse_notation("达成指标")) is True
    assert meets_target(parse_notation("=100%"), parse_notation("部分达成")) is False
    assert meets_target(parse_notation("≥50个"), parse_notation("60%")) is None  # incompatible units
    assert meets_target(parse_notation("下降"), parse_notation("上升")) is None


def test_states_achieved():
    assert states_achieved(parse_notation("达成预期指标")) is True
    assert states_achieved(parse_notation("未达成")) is False
    assert states_achieved(parse_notation("100%")) is None


@given(st.text(max_size=40))
def test_parser_never_raises(raw):
    parse_notation(raw)
