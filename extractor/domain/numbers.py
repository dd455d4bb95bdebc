"""Numbers as forms print them: `148.79`, `1,200,000.00`, `100.00%`, `10分`, `150万` (amounts with a unit)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from extractor.domain.text import norm_key

_NUMBER = re.compile(r"[-+]?\d+(?:,\d{3})*(?:\.\d+)?")
_DECIMAL_COMMA = re.compile(r"[-+]?\d+,\d{2}")
# An amount printed with its unit inside the cell: 150万, 125.25万元, 3000元.
_AMOUNT_UNIT = re.compile(r"^(?P<number>[-+]?\d+(?:,\d{3})*(?:\.\d+)?)(?P<unit>万元|万|元)$")


def number_of(text: str) -> Decimal | None:
    """The number a cell holds when the cell is only a number (optionally with 分 or %)."""
    key = norm_key(text)
    key = key.removesuffix("分").removesuffix("%")
    if _DECIMAL_COMMA.fullmatch(key):
        # "10,00": a comma before exactly two final digits is a misread decimal point, never a thousands mark.
        key = key.replace(",", ".")
    if not key or not _NUMBER.fullmatch(key):
        return None
    try:
        return Decimal(key.replace(",", ""))
    except InvalidOperation:
        return None


def amount_of(text: str) -> tuple[Decimal, str] | None:
    """An amount printed with its unit (`150万` → (150, 万元), `3000元` → (3000, 元)), else None."""
    m = _AMOUNT_UNIT.match(norm_key(text))
    if m is None:
        return None
    try:
        value = Decimal(m.group("number").replace(",", ""))
    except InvalidOperation:
        return None
    return value, "元" if m.group("unit") == "元" else "万元"


def money_of(text: str) -> Decimal | None:
    """A money cell's number: a bare number, or an amount with its unit (`150万` → 150)."""
    value = number_of(text)
    if value is not None:
        return value
    amount = amount_of(text)
    return amount[0] if amount is not None else None


def is_percent(text: str) -> bool:
    """True when the cell prints a number with a per-cent sign (a rate, never an amount)."""
    key = norm_key(text)
    return key.endswith("%") and number_of(key) is not None


def decimals(value: Decimal) -> int:
    """Digits after the decimal point as printed (`100.00` → 2, `10` → 0)."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0
