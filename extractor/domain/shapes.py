"""Field grammar: what each field of the record looks like when printed, so a misreading that breaks the shape shows.

Money and scores are decimals, a rate may carry `%`, a target is an operator, a number and a unit or a word, a
grade is 优/良/中/差. A reading that fits only after a guess (a dot before a number: `≥.90%`; a unit of digits:
`90.00(96)`; a 。 after a unit: `25场。`) does not fit.
"""

from __future__ import annotations

import re
from enum import StrEnum

from extractor.domain.numbers import amount_of
from extractor.domain.text import norm_key

GRADES = frozenset("优良中差")
# What a 指标性质 column prints (NFKC keys: ﹦ and ＝ are =).
NATURES = frozenset({"≥", "≤", ">", "<", "=", "≧", "≦", "═", ">=", "<=", "定性", "定量", "正向", "反向", "正向指标",
                     "反向指标", "定性指标", "定量指标"})


class FieldClass(StrEnum):
    """Kinds of field that share a shape and a confidence threshold."""

    MONEY = "money"
    SCORE = "score"
    PERCENT = "percent"
    TARGET = "target"  # 年度指标值 / 实际完成值: operator + number + unit, or a word
    GRADE = "grade"
    YEAR = "year"
    CODE = "code"
    LABEL = "label"  # a label of the vocabulary (一级/二级指标, a fund row's label)
    NATURE = "nature"  # 指标性质: a comparison sign or 定性 / 定量 / 正向 / 反向
    NAME = "name"  # 项目名称, 主管部门, 实施单位, 三级指标
    TEXT = "text"  # goals, 偏差原因, evaluation: free text


_CLASSES: list[tuple[re.Pattern[str], FieldClass]] = [
    (re.compile(r"^funds\.(\w+|extra\[\d+\])\.(initial_budget|annual_budget|executed)$"), FieldClass.MONEY),
    (re.compile(r"^funds\.(\w+|extra\[\d+\])\.execution_rate$"), FieldClass.PERCENT),
    (re.compile(r"^(funds\.(\w+|extra\[\d+\])\.(weight|score)|indicators\[\d+\]\.(weight|score)"
                r"|total_weight|total_score|reviewed_score)$"), FieldClass.SCORE),
    (re.compile(r"^indicators\[\d+\]\.(target|actual)$"), FieldClass.TARGET),
    (re.compile(r"^grade$"), FieldClass.GRADE),
    (re.compile(r"^year$"), FieldClass.YEAR),
    (re.compile(r"^project_code$"), FieldClass.CODE),
    (re.compile(r"^indicators\[\d+\]\.nature$"), FieldClass.NATURE),
    (re.compile(r"^(indicators\[\d+\]\.(level1|level2|unit)|funds\.extra\[\d+\]\.label|money_unit)$"),
     FieldClass.LABEL),
    (re.compile(r"^(project_name|department|implementing_unit|indicators\[\d+\]\.name)$"), FieldClass.NAME),
]


def field_class(path: str) -> FieldClass:
    """The class of a record path (free text when no other fits)."""
    for pattern, cls in _CLASSES:
        if pattern.match(path):
            return cls
    return FieldClass.TEXT


_DECIMAL = re.compile(r"\d+(?:\.\d+)?")
_MONEY = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:万元|万|元)?")
_PERCENT = re.compile(r"\d+(?:\.\d+)?(?:%|\(%\))?")
_SCORE = re.compile(r"\d{1,3}(?:\.\d+)?分?")
# What a misreading leaves in a target or an actual value, and a form never prints:
_TARGET_NOISE = re.compile(
    r"(?<![\d])\.\d"  # a decimal point with no digit before it: ≥.90%
    r"|\d\.(?!\d)"  # a decimal point with no digit after it: 90.%
    r"|\d\.\d+\.\d"  # two decimal points in one number
    r"|\(\d+\)$"  # a unit of digits in brackets: 90.00(96)
    r"|[%)）]\d"  # a digit right after a per-cent sign or a closing bracket
    r"|[≥≤<>＜＞]{2,}|[≥≤][=＝]|==|[<>]=="  # a comparison sign doubled: ≥≥90, >>90
    r"|\d[<>≤≥]"  # a comparison sign after a digit: 90≥
    r"|[。，、；：,.;:•·]$"  # a sentence mark closing a value: 25场。
    r"|^[A-Za-z]+(?=\d)"  # a letter before the number: W95% (a ≧ misread)
    r"|^[.·,，。、]"  # a mark opening the value: .=100.00(%)
    r"|[≥≤<>=≧≦═][A-Za-z]"  # a letter after a comparison sign
)
# What a misreading leaves in prose (goals, 偏差原因, names) and print never has.
_PROSE_NOISE = re.compile(
    r"[。，、；：！？）」』”][.·,]"  # a Latin dot or comma right after Chinese punctuation: 。.
    r"|[\u4e00-\u9fff][.·]$"  # a Latin dot closing Chinese text
    r"|([。，、；：])\1"  # a Chinese mark doubled
    r"|^[。，、；：.·,]"  # a text opening with a mark
)
_NAME_NOISE = re.compile(r"[。，、；：.,·;:]$")


def fits(cls: FieldClass, text: str | None) -> bool:
    """True when the printed text has the shape of a field of class `cls` (blank always fits: nothing to doubt)."""
    if text is None:
        return True
    key = norm_key(text)
    if not key or key in {"—", "-", "/", "－", "——"}:
        return True
    if cls is FieldClass.MONEY:
        return bool(_MONEY.fullmatch(key)) or amount_of(key) is not None
    if cls is FieldClass.PERCENT:
        return bool(_PERCENT.fullmatch(key))
    if cls is FieldClass.SCORE:
        return bool(_SCORE.fullmatch(key))
    if cls is FieldClass.GRADE:
        return key in GRADES
    if cls is FieldClass.YEAR:
        return bool(re.fullmatch(r"(19|20)\d{2}年?(度)?", key))
    if cls is FieldClass.CODE:
        return bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._\-]*", key))
    if cls is FieldClass.NATURE:
        return key in NATURES
    if cls is FieldClass.TARGET:
        return not _TARGET_NOISE.search(key)
    if cls is FieldClass.NAME and _NAME_NOISE.search(key):
        return False
    return not _PROSE_NOISE.search(key) if cls in (FieldClass.TEXT, FieldClass.NAME) else True
