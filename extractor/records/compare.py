"""Compare records under record.md's rules: text after NFKC and white-space removal, decimals numerically."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from extractor.domain.text import norm_key
from extractor.records.models import Record
from extractor.records.paths import iter_values


class FieldDiff(BaseModel):
    """One field that differs between an extracted record and its gold."""

    path: str
    got: Any
    expected: Any


def same_value(a: Any, b: Any) -> bool:
    """Equality of two leaf values under the comparison rules."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, Decimal) or isinstance(b, Decimal):
        try:
            return Decimal(str(a)) == Decimal(str(b))
        except ArithmeticError:
            return False
    return norm_key(str(a)) == norm_key(str(b))


def diff_records(got: Record, expected: Record) -> list[FieldDiff]:
    """Every field that differs (indicators compared by printed order)."""
    a, b = dict(iter_values(got)), dict(iter_values(expected))
    diffs = []
    for path in sorted(a.keys() | b.keys()):
        if not same_value(a.get(path), b.get(path)):
            diffs.append(FieldDiff(path=path, got=a.get(path), expected=b.get(path)))
    return diffs
