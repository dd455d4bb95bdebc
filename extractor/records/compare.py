"""Compare records under record.md's rules: text after NFKC and white-space removal, decimals numerically."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from extractor.domain.text import norm_key
from extractor.records.models import Indicator, Record
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


class Outcome(StrEnum):
    """How one field of an extracted record fares against its gold (ExtractBench-style)."""

    CORRECT = "correct"  # equal under the comparison rules (null = null included)
    WRONG = "wrong"  # both present, different
    OMITTED = "omitted"  # gold has a value and the output none; every field of a missed row or form
    EXTRA = "extra"  # gold is null, the output has a value
    INVENTED = "invented"  # a field of an output row that has no gold row at all


class FieldComparison(BaseModel):
    """One field compared: its gold path (the output path for an invented row), both values, the outcome."""

    path: str
    got_path: str | None
    got: Any
    expected: Any
    outcome: Outcome


Pair = tuple[int | None, int | None]

# Indicator fields that identify a row; a pairing needs its name equal or half of them equal.
_ROW_FIELDS = ("level1", "level2", "name", "target", "actual", "weight", "score", "deviation")
# record.md v1.1's optional fields: scored where gold or output holds a value (null on both: not printed).
_OPTIONAL_ROW_FIELDS = ("nature", "unit", "method")
_OPTIONAL = re.compile(r"^(project_code|money_unit|reviewed_score|evaluation\.\w+|funds\.extra\[\d+\]\.\w+)$")
_MIN_ROW_MATCH = 4


def align_sequences(n_got: int, n_expected: int, similarity: Callable[[int, int], float | None]) -> list[Pair]:
    """Monotone alignment maximising total similarity; None similarity forbids a pairing; gaps are free.

    Returns (got index, expected index) pairs in order, with None on the side that has no partner, so one
    missed or invented item does not shift every later one.
    """
    sims = [[similarity(i, j) for j in range(n_expected)] for i in range(n_got)]
    best = [[0.0] * (n_expected + 1) for _ in range(n_got + 1)]
    for i in range(n_got - 1, -1, -1):
        for j in range(n_expected - 1, -1, -1):
            sim = sims[i][j]
            diagonal = best[i + 1][j + 1] + sim if sim is not None else float("-inf")
            best[i][j] = max(best[i + 1][j], best[i][j + 1], diagonal)
    pairs: list[Pair] = []
    i = j = 0
    while i < n_got and j < n_expected:
        sim = sims[i][j]
        # Prefer the diagonal on ties: with equal evidence, printed order is the better guess.
        if sim is not None and best[i][j] == best[i + 1][j + 1] + sim:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            pairs.append((i, None))
            i += 1
        else:
            pairs.append((None, j))
            j += 1
    pairs += [(k, None) for k in range(i, n_got)]
    pairs += [(None, k) for k in range(j, n_expected)]
    return pairs


def row_similarity(got: Indicator, expected: Indicator) -> float | None:
    """Fields two indicator rows share, or None when they cannot be the same printed row."""
    same = sum(1 for f in _ROW_FIELDS
               if (getattr(got, f) is not None or getattr(expected, f) is not None)
               and same_value(getattr(got, f), getattr(expected, f)))
    if same_value(got.name, expected.name) and expected.name is not None:
        return float(same)
    return float(same) if same >= _MIN_ROW_MATCH else None


def align_rows(got: list[Indicator], expected: list[Indicator]) -> list[Pair]:
    """Indicator rows paired by content (not only by index)."""
    return align_sequences(len(got), len(expected), lambda i, j: row_similarity(got[i], expected[j]))


def _outcome(got: Any, expected: Any) -> Outcome:
    if same_value(got, expected):
        return Outcome.CORRECT
    if expected is None:
        return Outcome.EXTRA
    return Outcome.OMITTED if got is None else Outcome.WRONG


def _scalar_fields(record: Record) -> dict[str, Any]:
    """Every leaf field outside the indicator list, by path."""
    return {path: value for path, value in iter_values(record) if not path.startswith("indicators")}


def _skipped(path: str, skip_null: Collection[str]) -> bool:
    generic = re.sub(r"\[\d+\]", "[]", path)
    return any(path == s or generic == s or path.startswith(s + ".") or generic.startswith(s + ".")
               or path.startswith(s + "[") for s in skip_null)


def compare_records(got: Record | None, expected: Record | None,
                    skip_null: Collection[str] = ()) -> list[FieldComparison]:
    """Every gold field (and every field of an invented row or form) with its outcome; rows aligned by content.

    `got=None` scores a form the extractor missed: each gold field, null or not, counts as omitted, as do the
    fields of a missed row. `expected=None` scores an invented form by the values it holds. v1.1's optional
    fields count only where one side holds a value; `skip_null` names fields the form does not print at all
    (a gold null there is not scored unless the output invents a value).
    """
    out: list[FieldComparison] = []
    g = _scalar_fields(got) if got is not None else {}
    e = _scalar_fields(expected) if expected is not None else {}
    for path in dict.fromkeys([*e, *g]) if expected is not None and got is not None else (e or g):
        gval, eval_ = g.get(path), e.get(path)
        if gval is None and eval_ is None and (_OPTIONAL.match(path) or _skipped(path, skip_null)):
            continue
        if expected is None:
            if gval is not None:
                out.append(FieldComparison(path=path, got_path=path, got=gval, expected=None,
                                           outcome=Outcome.INVENTED))
            continue
        outcome = Outcome.OMITTED if got is None else _outcome(gval, eval_)
        out.append(FieldComparison(path=path, got_path=path if got is not None else None, got=gval,
                                   expected=eval_, outcome=outcome))
    got_rows = got.indicators if got is not None else []
    exp_rows = expected.indicators if expected is not None else []
    for gi, ei in align_rows(got_rows, exp_rows):
        for f in (*_ROW_FIELDS, *_OPTIONAL_ROW_FIELDS):
            gval = getattr(got_rows[gi], f) if gi is not None else None
            eval_ = getattr(exp_rows[ei], f) if ei is not None else None
            if gval is None and eval_ is None and (f in _OPTIONAL_ROW_FIELDS or _skipped(
                    f"indicators[{ei if ei is not None else gi}].{f}", skip_null)):
                continue
            if ei is None:
                if gval is None:
                    continue
                outcome = Outcome.INVENTED
            else:
                outcome = Outcome.OMITTED if gi is None else _outcome(gval, eval_)
            out.append(FieldComparison(
                path=f"indicators[{ei if ei is not None else gi}].{f}",
                got_path=f"indicators[{gi}].{f}" if gi is not None else None,
                got=gval, expected=eval_, outcome=outcome))
    return out
