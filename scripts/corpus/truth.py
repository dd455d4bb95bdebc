"""The findings that are true of a generated form, from the generator's own facts (never from extractor.checking).

Arithmetic rules are recomputed from rules.md on the printed values; the target rules (achieved / missed)
use what the generator decided when it wrote the actual value, not a parse of the printed notation. Each
family's own arithmetic applies: Beijing's 执行率 divides by 年初预算数(A) (its only budget), Ningxia's funds
block has no 分值 / 得分 (the indicators' weights alone make 100), a family without a 总分 分值 (Sichuan's 合计,
Ningxia's 自评得分) or without a grade has no WEIGHT_SUM / GRADE_MISMATCH to be true, and every fund row printed
under the total is one of its components (Sichuan's 财政专户管理资金 and 单位资金 included).
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


# The budget a family's 执行率 divides by, and whether its funds block prints its own 分值 / 得分.
RATE_BASIS = {"beijing": "initial_budget"}
UNSCORED_FUNDS = frozenset({"ningxia"})


def _parts(form: FormSpec, attr: str) -> list[Decimal] | None:
    """The funds row's value and every indicator's (None when one is not printed: nothing to add up)."""
    funds = [_d(form.funds["total"][attr])]
    if form.family in UNSCORED_FUNDS and funds[0] is None:
        funds = []  # no 分值 / 得分 in the funds block: the indicators alone make the total
    values = [*funds, *(_d(getattr(i, attr)) for i in form.indicators)]
    return None if any(v is None for v in values) else values  # type: ignore[return-value]


def _totals(form: FormSpec) -> set[str]:
    codes: set[str] = set()
    tw, ts = _d(form.total_weight), _d(form.total_score)
    weights, scores = _parts(form, "weight"), _parts(form, "score")
    if tw is not None and (tw != HUNDRED or (weights is not None and form.indicators
                                             and abs(sum(weights) - tw) > half_unit(tw))):
        codes.add("WEIGHT_SUM")
    if ts is not None and scores is not None and form.indicators and abs(sum(scores) - ts) > half_unit(ts):
        codes.add("SCORE_SUM")
    pairs = [(_d(form.funds["total"]["weight"]), _d(form.funds["total"]["score"]))]
    pairs += [(_d(i.weight), _d(i.score)) for i in form.indicators]
    if any(w is not None and s is not None and s > w for w, s in pairs) or \
            (tw is not None and ts is not None and ts > tw):
        codes.add("SCORE_EXCEEDS_WEIGHT")
    if form.grade is not None and ts is not None and form.grade != grade_of(ts):
        codes.add("GRADE_MISMATCH")
    return codes


def _budget(row: dict[str, Decimal | None], basis: str) -> Decimal | None:
    """What the row's rate divides by: 全年预算数, or Beijing's 年初预算数(A) (also a form's only budget)."""
    if basis == "initial_budget" or row["annual_budget"] is None:
        return row["initial_budget"]
    return row["annual_budget"]


def _funds(form: FormSpec) -> set[str]:
    codes: set[str] = set()
    basis = RATE_BASIS.get(form.family, "annual_budget")
    rows = {key: {col: _d(val) for col, val in form.funds[key].items()} for key in FUND_ROWS}
    extras = [{col: _d(val) for col, val in extra.items() if col != "label"} for extra in form.extra_funds]
    for column in MONEY_COLUMNS:
        total = rows["total"][column]
        # Every component row printed under the total adds up to it (Sichuan's 财政专户管理资金 and 单位资金 too).
        parts = [rows[key][column] for key in FUND_ROWS[1:]] + [extra[column] for extra in extras]
        if total is not None and any(p is not None for p in parts) and \
                sum(p for p in parts if p is not None) != total:
            codes.add("FUND_COMPONENTS")
    for row in [*rows.values(), *extras]:
        budget, executed, printed = _budget(row, basis), row["executed"], row["execution_rate"]
        if budget is not None and executed is not None and executed > budget:
            codes.add("OVER_EXECUTION")
        if budget and executed is not None and printed is not None:
            rate = executed / budget * HUNDRED
            tol = half_unit(printed) + Decimal("0.01")
            if abs(printed - min(rate, HUNDRED)) > tol and abs(printed - rate) > tol:
                codes.add("EXECUTION_RATE")
    total = rows["total"]
    budget = _budget(total, basis)
    if total["weight"] is not None and total["score"] is not None and budget != 0:
        rate = total["execution_rate"]
        if rate is None and budget and total["executed"] is not None:
            rate = total["executed"] / budget * HUNDRED
        if rate is not None:
            expected = round2(min(rate, HUNDRED) / HUNDRED * total["weight"])
            if abs(total["score"] - expected) > half_unit(total["score"]) + Decimal("0.01"):
                codes.add("BUDGET_SCORE")
    return codes


def _indicators(form: FormSpec) -> set[str]:
    codes: set[str] = set()
    for ind in form.indicators:
        weight, score = _d(ind.weight), _d(ind.score)
        if weight is None or score is None:
            continue
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
