"""The findings that are true of a generated form, from the generator's own facts (never from extractor.checking).

Arithmetic rules are recomputed from rules.md on the printed values; the target rules (achieved / missed)
use what the generator decided when it wrote the actual value, not a parse of the printed notation.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from scripts.corpus.model import FUND_ROWS, MONEY_COLUMNS, FormSpec

HUNDRED = Decimal(100)


def _d(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def half_unit(printed: Decimal) -> Decimal:
    """Half a unit in the last printed place (100.0 → 0.05)."""
    exponent = printed.as_tuple().exponent
    assert isinstance(exponent, int)
    return Decimal(5) * Decimal(10) ** (exponent - 1)


def grade_of(total: Decimal) -> str:
    """优 ≥ 90, 良 ≥ 80, 中 ≥ 60, else 差."""
    return "优" if total >= 90 else "良" if total >= 80 else "中" if total >= 60 else "差"


def round2(value: Decimal) -> Decimal:
    """Two decimals, half up."""
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _totals(form: FormSpec) -> set[str]:
    codes: set[str] = set()
    tw, ts = Decimal(form.total_weight), Decimal(form.total_score)
    weights = [_d(form.funds["total"]["weight"])] + [Decimal(i.weight) for i in form.indicators]
    scores = [_d(form.funds["total"]["score"])] + [Decimal(i.score) for i in form.indicators]
    if tw != HUNDRED or (None not in weights and abs(sum(weights) - tw) > half_unit(tw)):  # type: ignore[arg-type]
        codes.add("WEIGHT_SUM")
    if None not in scores and abs(sum(scores) - ts) > half_unit(ts):  # type: ignore[arg-type]
        codes.add("SCORE_SUM")
    if any(w is not None and s is not None and s > w for w, s in zip(weights, scores, strict=True)) or ts > tw:
        codes.add("SCORE_EXCEEDS_WEIGHT")
    if form.grade != grade_of(ts):
        codes.add("GRADE_MISMATCH")
    return codes


def _funds(form: FormSpec) -> set[str]:
    codes: set[str] = set()
    rows = {key: {col: _d(val) for col, val in form.funds[key].items()} for key in FUND_ROWS}
    for column in MONEY_COLUMNS:
        total = rows["total"][column]
        parts = [rows[key][column] for key in FUND_ROWS[1:]]
        if total is not None and any(p is not None for p in parts) and \
                sum(p for p in parts if p is not None) != total:
            codes.add("FUND_COMPONENTS")
    for row in rows.values():
        annual, executed, printed = row["annual_budget"], row["executed"], row["execution_rate"]
        if annual is not None and executed is not None and executed > annual:
            codes.add("OVER_EXECUTION")
        if annual and executed is not None and printed is not None:
            rate = executed / annual * HUNDRED
            tol = half_unit(printed) + Decimal("0.01")
            if abs(printed - min(rate, HUNDRED)) > tol and abs(printed - rate) > tol:
                codes.add("EXECUTION_RATE")
    total = rows["total"]
    if total["weight"] is not None and total["score"] is not None and total["annual_budget"] != 0:
        rate = total["execution_rate"]
        if rate is None and total["annual_budget"] and total["executed"] is not None:
            rate = total["executed"] / total["annual_budget"] * HUNDRED
        if rate is not None:
            expected = round2(min(rate, HUNDRED) / HUNDRED * total["weight"])
            if abs(total["score"] - expected) > half_unit(total["score"]) + Decimal("0.01"):
                codes.add("BUDGET_SCORE")
    return codes


def _indicators(form: FormSpec) -> set[str]:
    codes: set[str] = set()
    for ind in form.indicators:
        weight, score = Decimal(ind.weight), Decimal(ind.score)
        if score < weight and (ind.deviation is None or not ind.deviation.strip() or ind.deviation == "无"):
            codes.add("DEDUCTION_WITHOUT_REASON")
        if score < weight and ind.met is True:
            codes.add("ACHIEVED_BUT_DEDUCTED")
        if score == weight and ind.numeric and ind.met is False:
            codes.add("MISSED_BUT_FULL_SCORE")
    return codes


def findings_of(form: FormSpec) -> list[str]:
    """The warning/error codes true of the form, sorted."""
    return sorted(_totals(form) | _funds(form) | _indicators(form))
