"""Property tests of the 指标值 notation parser: it never raises, and it reads back what a form prints."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.domain.notation import meets_target, parse_notation, states_achieved

# How forms print each operator (rules.md and the published forms).
OPERATORS = {
    "=": ["=", "＝", "═", "﹦", "等于"],
    ">=": [">=", "≥", "≧", "⩾", "大于等于", "大于或等于", "不低于", "不少于", "不小于", "至少", "达到"],
    "<=": ["<=", "≤", "≦", "⩽", "小于等于", "小于或等于", "不高于", "不超过", "不大于", "至多", "控制在"],
    ">": [">", "＞", "大于", "高于", "超过"],
    "<": ["<", "＜", "小于", "低于"],
}
SUFFIXES = {">=": ["以上", "及以上"], "<=": ["以下", "及以下", "以内"]}
# Printed unit → the unit the parser reports.
UNITS = {"%": "%", "(%)": "%", "（%）": "%", "％": "%", "百分比": "%", "个": "个", "人次": "人次", "万元": "万元",
         "(万元)": "万元", "元": "元", "天": "天", "次": "次", "户": "户", "小时": "小时", "个月": "个月", "平方米": "平方米"}


@st.composite
def numbers(draw: st.DrawFn) -> tuple[str, Decimal]:
    """A number as forms print it (`100`, `90.00`, `1,200.5`) and its value."""
    whole = draw(st.integers(min_value=0, max_value=10_000_000))
    places = draw(st.sampled_from([0, 0, 1, 2, 2]))
    frac = draw(st.integers(min_value=0, max_value=10**places - 1)) if places else 0
    text = f"{whole:,}" if whole >= 1000 and draw(st.booleans()) else str(whole)
    if places:
        text += "." + str(frac).zfill(places)
    return text, Decimal(text.replace(",", ""))


@st.composite
def notations(draw: st.DrawFn) -> tuple[str, str | None, Decimal, str | None]:
    """A printed 指标值 with the operator, value and unit it means."""
    number, value = draw(numbers())
    printed_unit = draw(st.none() | st.sampled_from(sorted(UNITS)))
    unit = UNITS[printed_unit] if printed_unit is not None else None
    op = draw(st.none() | st.sampled_from(sorted(OPERATORS)))
    space = draw(st.sampled_from(["", "", " ", "\u3000"]))
    if op is None:
        suffix_op = draw(st.none() | st.sampled_from(sorted(SUFFIXES)))
        suffix = draw(st.sampled_from(SUFFIXES[suffix_op])) if suffix_op else ""
        if suffix and printed_unit is None:
            printed_unit, unit = "%", "%"  # `95以上` alone reads as a count with a unit 以上; forms print a unit
        return f"{number}{space}{printed_unit or ''}{suffix}", suffix_op, value, unit
    token = draw(st.sampled_from(OPERATORS[op]))
    return f"{token}{space}{number}{space}{printed_unit or ''}", op, value, unit


@settings(max_examples=400)
@given(notations())
def test_printed_notation_reads_back(case):
    raw, op, value, unit = case
    n = parse_notation(raw)
    assert (n.operator, n.value, n.unit) == (op, value, unit), raw
    assert n.value is not None and n.value.as_tuple() == value.as_tuple()  # the printed precision is kept
    assert n.raw == raw


@settings(max_examples=300)
@given(st.one_of(st.none(), st.text(max_size=200), st.text(alphabet="=<>≥≤＝═%()（）.,0123456789万元个以上下内-+e ",
                                                               max_size=30)))
def test_parser_and_comparisons_never_raise(raw):
    n = parse_notation(raw)
    assert n.raw == (raw or "")
    states_achieved(n)
    meets_target(n, n)
    meets_target(parse_notation(">=90%"), n)
    meets_target(n, parse_notation("达成"))
