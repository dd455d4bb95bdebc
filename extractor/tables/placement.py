"""Placing a fund row's values by its header when blank cells were dropped: the form's arithmetic decides.

`880 880 880 10 10` under 年初预算数 | 全年预算数 | 全年执行数 | 分值 | 执行率 | 得分 has one blank cell, and only
one placement makes the row's own arithmetic hold (rate = executed / budget; score = rate × weight). Every
order-preserving placement is tried; the one whose arithmetic holds best wins. Where two placements hold equally
well and put different values in a column, that column is left empty and its candidates are reported: a value is
never guessed.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import combinations

from pydantic import BaseModel, ConfigDict, Field

from extractor.domain.numbers import is_percent, money_of, number_of
from extractor.domain.text import is_blank, norm_key
from extractor.layout import Cell

_MONEY = ("initial_budget", "annual_budget", "executed")
_SMALL = ("weight", "score")
HUNDRED = Decimal(100)
# Placements are enumerated: beyond this many a row is placed left to right and flagged.
_MAX_PLACEMENTS = 5000


class Placement(BaseModel):
    """Where a row's values went, and the columns that could not be decided."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    mapping: dict[str, Cell] = Field(default_factory=dict)
    ambiguous: dict[str, list[str]] = Field(default_factory=dict)
    alternatives: list[dict[str, Cell]] = Field(default_factory=list, description="the placements that tied")


def _fit(key: str, cell: Cell, sub_row: bool = False) -> float | None:
    """How a value sits in a column: 0 fits, a positive cost strains, None cannot stand there."""
    text = cell.text
    if is_blank(text):
        return 0.0
    if sub_row and key in _SMALL:
        return None  # 分值 and 得分 belong to 年度资金总额; its sub-rows print — or / there
    if key in ("reason", "method"):
        return 0.0 if money_of(text) is None else 3.0
    value = money_of(text)
    if value is None:
        return None
    if key == "execution_rate":
        return 0.0 if is_percent(text) else (0.5 if value <= 1000 else None)
    if is_percent(text):
        return None  # a per-cent figure is a rate, never an amount, weight or score
    if key in _SMALL:
        return 0.0 if value <= 100 else None
    return 0.0


def _rate(values: dict[str, Decimal], basis: str) -> Decimal | None:
    budget = values.get(basis) if basis in values else None
    if budget is None and basis == "annual_budget":
        budget = None
    executed = values.get("executed")
    if budget is None or executed is None or budget == 0:
        return None
    return executed / budget * HUNDRED


def _tolerance(printed: str) -> Decimal:
    key = norm_key(printed).rstrip("%")
    decimals = len(key.split(".", 1)[1]) if "." in key else 0
    return Decimal(5) / (Decimal(10) ** (decimals + 1)) + Decimal("0.01")


def _arithmetic(mapping: dict[str, Cell], basis: str) -> float:
    """Evidence from the row's own arithmetic: negative when it holds, positive when it breaks."""
    values = {k: money_of(c.text) for k, c in mapping.items() if not is_blank(c.text)}
    nums = {k: v for k, v in values.items() if v is not None}
    score = 0.0
    rate = _rate(nums, basis)
    printed_rate = nums.get("execution_rate")
    if rate is not None and printed_rate is not None:
        tol = _tolerance(mapping["execution_rate"].text)
        ok = abs(printed_rate - min(rate, HUNDRED)) <= tol or abs(printed_rate - rate) <= tol
        score += -2.0 if ok else 3.0
    effective = printed_rate if printed_rate is not None else rate
    weight, got = nums.get("weight"), nums.get("score")
    if effective is not None and weight is not None and got is not None:
        expected = min(effective, HUNDRED) / HUNDRED * weight
        score += -2.0 if abs(expected - got) <= Decimal("0.01") + Decimal("0.005") else 3.0
    if weight is not None and got is not None and got > weight:
        score += 2.0
    executed, budget = nums.get("executed"), nums.get(basis)
    if executed is not None and budget is not None and budget > 0 and executed > budget * 2:
        score += 1.0  # far over budget: more likely a misplacement than the form's own fault
    return score


def place_fund_values(cells: list[Cell], keys: list[str], basis: str = "annual_budget",
                      sub_row: bool = False) -> Placement:
    """The placement of a row's printed values into the header's columns that its arithmetic supports best."""
    values = list(cells)
    n, k = len(values), len(keys)
    if n == 0:
        return Placement()
    if n > k:
        # More values than columns: the surplus (a note, a method) rides in the last columns; keep order.
        values = values[:k]
        n = k
    candidates: list[tuple[float, dict[str, Cell]]] = []
    for count, slots in enumerate(combinations(range(k), n)):
        if count >= _MAX_PLACEMENTS:
            break
        mapping: dict[str, Cell] = {}
        cost = 0.0
        for cell, slot in zip(values, slots, strict=True):
            fit = _fit(keys[slot], cell, sub_row)
            if fit is None:
                break
            cost += fit
            mapping[keys[slot]] = cell
        else:
            # Printed columns left empty cost a little, money more than notes: blanks are rarer than values.
            empty = [keys[s] for s in range(k) if s not in slots]
            cost += sum(0.2 if key in ("reason", "method") else 0.3 for key in empty)
            cost += _arithmetic(mapping, basis)
            candidates.append((cost, mapping))
    if not candidates:
        return Placement(ambiguous={keys[i]: [c.text] for i, c in enumerate(values) if i < k})
    candidates.sort(key=lambda c: c[0])
    best_cost, best = candidates[0]
    ties = [m for cost, m in candidates if cost - best_cost < 0.05]
    ambiguous: dict[str, list[str]] = {}
    for key in keys:
        seen = {_shown(m.get(key)) for m in ties}
        if len(seen) > 1:
            ambiguous[key] = sorted(s or "（空）" for s in seen)
    mapping = {key: cell for key, cell in best.items() if key not in ambiguous and not is_blank(cell.text)}
    return Placement(mapping=mapping, ambiguous=ambiguous, alternatives=ties if ambiguous else [])


def amounts(mapping: dict[str, Cell]) -> dict[str, Decimal | None]:
    """A placement's amounts by money column (None where the column is empty or dashed)."""
    return {key: money_of(mapping[key].text) if key in mapping else None for key in _MONEY}


def resolve_by_components(total: dict[str, Decimal | None], fixed: list[dict[str, Decimal | None]],
                          open_rows: list[list[dict[str, Cell]]]) -> list[dict[str, Cell]] | None:
    """The one choice of placements for the undecided sub-rows under which the rows add up to the total.

    年度资金总额 = 当年财政拨款 + 上年结转资金 + 其他资金, column by column: where the total prints an amount the
    sub-rows must add up to it, where it prints none they must print none. None when no choice, or more than one
    giving different values, satisfies that.
    """
    from itertools import product

    choices = list(product(*open_rows))
    if not choices or len(choices) > 2000:
        return None
    good: list[tuple[dict[str, Cell], ...]] = []
    for choice in choices:
        rows = [*fixed, *(amounts(m) for m in choice)]
        ok = True
        for key in _MONEY:
            parts = [r[key] for r in rows]
            if total[key] is None:
                ok = all(p is None or p == 0 for p in parts)
            else:
                ok = sum((p for p in parts if p is not None), Decimal(0)) == total[key]
            if not ok:
                break
        if ok:
            good.append(choice)
    if not good:
        return None
    values = {tuple(tuple(sorted(amounts(m).items())) for m in choice) for choice in good}
    return list(good[0]) if len(values) == 1 else None


def _shown(cell: Cell | None) -> str:
    if cell is None or is_blank(cell.text):
        return ""
    value = number_of(cell.text)
    return format(value, "f") if value is not None else norm_key(cell.text)
