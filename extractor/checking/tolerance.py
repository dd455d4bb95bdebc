"""Tolerances of rules.md: printed numbers are rounded, so comparisons allow for their precision."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def half_unit(printed: Decimal) -> Decimal:
    """Half a unit of the printed precision: 100.0 → 0.05, 99.00 → 0.005, 100 → 0.5."""
    exponent = printed.as_tuple().exponent
    assert isinstance(exponent, int)
    return Decimal(5).scaleb(exponent - 1)


def rate_tolerance(printed: Decimal) -> Decimal:
    """Printed rates may differ by one unit in the last place: half a unit plus 0.01 (rules.md)."""
    return half_unit(printed) + CENT


def round2(value: Decimal) -> Decimal:
    """Round to two decimals, half up, as the forms do."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
