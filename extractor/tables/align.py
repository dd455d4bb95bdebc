"""Align a row's cells to the columns a header promises, whatever the export shifted or dropped."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from extractor.layout import Cell

INF = math.inf
# A non-blank cell that fits no column is dropped only at a high price: losing printed text is the worst case.
SKIP_COST = 6.0
# Per column of distance from the header's column: enough to break ties, never enough to beat content.
SHIFT_COST = 0.3


@dataclass(frozen=True)
class Slot:
    """A column the row may fill: its key, where the header put it, and how well a cell fits it."""

    key: str
    col: float | None
    cost: Callable[[Cell], float]
    missing_cost: float = 0.0  # what leaving this column empty costs (a row always has a name, a target…)


def align(cells: Sequence[Cell], slots: Sequence[Slot], skip_cost: float = SKIP_COST,
          shift_cost: float = SHIFT_COST) -> dict[str, Cell]:
    """Best order-preserving assignment of non-blank cells to slots (each slot takes at most one cell)."""
    items = [c for c in cells if not c.blank]
    n, m = len(items), len(slots)
    cost = [[INF] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int, bool] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    cost[0][0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            here = cost[i][j]
            if here == INF:
                continue
            if j < m and here + slots[j].missing_cost < cost[i][j + 1]:  # leave slot j empty
                cost[i][j + 1], back[i][j + 1] = here + slots[j].missing_cost, (i, j, False)
            if i < n:
                skipped = here + skip_cost
                if skipped < cost[i + 1][j]:  # drop cell i
                    cost[i + 1][j], back[i + 1][j] = skipped, (i, j, False)
                if j < m:
                    fit = slots[j].cost(items[i])
                    if fit < INF:
                        col = slots[j].col
                        shift = 0.0 if col is None else shift_cost * abs(items[i].col - col)
                        total = here + fit + shift
                        if total < cost[i + 1][j + 1]:
                            cost[i + 1][j + 1], back[i + 1][j + 1] = total, (i, j, True)
    result: dict[str, Cell] = {}
    i, j = n, m
    while (i, j) != (0, 0):
        step = back[i][j]
        assert step is not None
        pi, pj, assigned = step
        if assigned:
            result[slots[pj].key] = items[pi]
        i, j = pi, pj
    return result


def aligned_cost(cells: Sequence[Cell], slots: Sequence[Slot]) -> float:
    """The cost of the best alignment (for choosing between readings of a row)."""
    items = [c for c in cells if not c.blank]
    mapping = align(cells, slots)
    used = {id(c) for c in mapping.values()}
    total = SKIP_COST * sum(1 for c in items if id(c) not in used)
    by_key = {s.key: s for s in slots}
    total += sum(s.missing_cost for s in slots if s.key not in mapping)
    for key, cell in mapping.items():
        slot = by_key[key]
        total += slot.cost(cell) + (0.0 if slot.col is None else SHIFT_COST * abs(cell.col - slot.col))
    return total
