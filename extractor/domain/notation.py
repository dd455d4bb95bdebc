"""Parser for 年度指标值 / 实际完成值 notation: operator, number, unit, or a qualitative value."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from pydantic import BaseModel

from extractor.domain.text import simplified


class Direction(StrEnum):
    """正向 (more is better) or 反向 (less is better)."""

    POSITIVE = "positive"
    NEGATIVE = "negative"


_OPERATORS: list[tuple[str, str]] = [
    (">=", ">="), ("≥", ">="), ("≧", ">="), ("⩾", ">="), ("<=", "<="), ("≤", "<="), ("≦", "<="), ("⩽", "<="),
    # ═ (a box-drawing double bar) is how some systems print an equals sign; ＝ ﹦ ＞ ＜ fold to ASCII under NFKC.
    ("=", "="), ("═", "="), (">", ">"), ("<", "<"),
    ("大于等于", ">="), ("大于或等于", ">="), ("不低于", ">="), ("不少于", ">="), ("不小于", ">="), ("至少", ">="),
    ("达到", ">="),
    ("小于等于", "<="), ("小于或等于", "<="), ("不高于", "<="), ("不超过", "<="), ("不大于", "<="), ("至多", "<="),
    ("控制在", "<="),
    ("大于", ">"), ("高于", ">"), ("超过", ">"), ("小于", "<"), ("低于", "<"), ("等于", "="),
]
_SUFFIX_OPERATORS: list[tuple[str, str]] = [
    ("及以上", ">="), ("以上", ">="), ("及以下", "<="), ("以下", "<="), ("以内", "<="),
]
_NUMBER = re.compile(r"[-+]?\d+(?:,\d{3})*(?:\.\d+)?")
# Multi-character units seen on the forms; any single character after a number is taken as a unit (个, 棵, 次).
_UNITS = {
    "百分比", "百分点", "个百分点", "人次", "万元", "元", "小时", "分钟", "工作日", "公里", "千米", "平方米", "立方米",
    "平方公里", "课时", "学时", "户次", "件次", "场次", "册", "吨", "万人", "万人次", "万户", "亩", "个月", "周",
}
_UNIT_PREFIX = ("万", "千", "百", "亿")


def is_unit(rest: str) -> bool:
    """True when text after a number reads as its unit: %, 个, 人次, (万元), 以上 …"""
    core = rest.replace("(", "").replace(")", "").replace("（", "").replace("）", "")
    for token, _ in _SUFFIX_OPERATORS:
        core = core.removesuffix(token)
    if len(core) <= 1 or core.isascii():
        return True
    return core in _UNITS or (core[0] in _UNIT_PREFIX and (len(core) == 2 or core[1:] in _UNITS))


_UNIT_ALIASES = {"百分比": "%", "％": "%", "percent": "%"}

# An actual value that states the target was met, and the words that negate it.
_ACHIEVED = ("达成", "达到", "完成", "达标", "实现", "符合", "已落实", "及时", "满足")
_NOT_ACHIEVED = ("未", "没有", "部分", "不达", "无法", "尚未", "不及时", "不符合")
QUALITATIVE_TREND = ("下降", "上升", "提升", "提高", "降低", "减少", "增加", "改善", "明显", "有效", "逐步")
PLACEHOLDERS = ("无",)


class Notation(BaseModel):
    """One parsed 指标值: `=100.00(%)` → operator '=', value 100.00, unit '%'."""

    raw: str
    operator: str | None = None
    value: Decimal | None = None
    unit: str | None = None
    text: str | None = None  # qualitative content when there is no number

    @property
    def is_numeric(self) -> bool:
        """True when a number was read."""
        return self.value is not None

    @property
    def direction(self) -> Direction:
        """反向 for ≤ and <, 正向 otherwise (rules.md)."""
        return Direction.NEGATIVE if self.operator in ("<=", "<") else Direction.POSITIVE

    @property
    def is_placeholder(self) -> bool:
        """True for a target of `无`: a placeholder indicator."""
        return (self.text or "") in PLACEHOLDERS


def _clean(raw: str) -> str:
    # Simplified for matching the words of achievement (達成 → 达成); the printed text stays in `raw`.
    return "".join(unicodedata.normalize("NFKC", simplified(raw)).split())


def _unit(rest: str) -> str | None:
    rest = rest.strip("()（）[]【】")
    rest = rest.replace("(", "").replace(")", "")
    if not rest:
        return None
    return _UNIT_ALIASES.get(rest, rest)


def parse_notation(raw: str | None) -> Notation:
    """Parse a printed 指标值; never raises (unparsable text is qualitative)."""
    raw = raw or ""
    text = _clean(raw)
    if not text:
        return Notation(raw=raw)
    operator = None
    for token, op in _OPERATORS:
        if text.startswith(token):
            operator, text = op, text[len(token):]
            break
    match = _NUMBER.search(text)
    # A number counts only when it leads the value (after the operator): "2024年完成" is qualitative.
    if match is None or match.start() > 0:
        return Notation(raw=raw, operator=operator, text=_clean(raw) if operator is None else text)
    try:
        value = Decimal(match.group().replace(",", ""))
    except InvalidOperation:
        return Notation(raw=raw, operator=operator, text=text)
    rest = text[match.end():]
    if not is_unit(rest):
        # "2024年完成", "3种安全宣传活动": a number inside prose, not a quantity with a unit.
        return Notation(raw=raw, operator=operator, text=_clean(raw) if operator is None else text)
    for token, op in _SUFFIX_OPERATORS:
        if rest.endswith(token):
            rest = rest[: -len(token)]
            operator = operator or op
            break
    return Notation(raw=raw, operator=operator, value=value, unit=_unit(rest))


def states_achieved(actual: Notation) -> bool | None:
    """For a qualitative actual value: True if it says the target was met, False if it says not, else None."""
    if actual.is_numeric or not actual.text:
        return None
    if any(word in actual.text for word in _NOT_ACHIEVED):
        return False
    if any(word in actual.text for word in _ACHIEVED):
        return True
    return None


def _units_compatible(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


def meets_target(target: Notation, actual: Notation) -> bool | None:
    """Whether the actual value meets the target: True, False, or None when it cannot be told."""
    said = states_achieved(actual)
    if said is not None:
        return said
    if not (target.is_numeric and actual.is_numeric):
        return None
    if not _units_compatible(target.unit, actual.unit):
        return None
    assert target.value is not None and actual.value is not None
    if target.direction is Direction.NEGATIVE:
        return actual.value <= target.value
    return actual.value >= target.value
