"""Random gold forms: realistic header, funds, indicators and totals, with a known share of planted faults."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from scripts.corpus import content
from scripts.corpus.model import FUND_ROWS, QUALITATIVE_NATURE, FormSpec, IndicatorSpec
from scripts.corpus.truth import findings_of, grade_of, round2

# The finding codes of record.md that describe a fault of the form itself (what can be planted).
FORM_FAULTS: tuple[str, ...] = (
    "WEIGHT_SUM", "SCORE_SUM", "SCORE_EXCEEDS_WEIGHT", "GRADE_MISMATCH", "FUND_COMPONENTS", "EXECUTION_RATE",
    "BUDGET_SCORE", "OVER_EXECUTION", "DEDUCTION_WITHOUT_REASON", "ACHIEVED_BUT_DEDUCTED", "MISSED_BUT_FULL_SCORE",
)
NUMERIC_KINDS = ("pct_eq", "pct_ge", "pct_gt", "pct_le", "count_ge", "le")
CENT = Decimal("0.01")
_SPLITS_WITH_SATISFACTION = ((50, 30, 10), (40, 40, 10), (45, 35, 10), (50, 25, 15), (60, 20, 10), (30, 50, 10))
_SPLITS_WITHOUT = ((50, 40), (60, 30), (45, 45), (40, 50))
_LEVEL2 = {
    "产出指标": ("数量指标", "质量指标", "时效指标", "成本指标"),
    "效益指标": ("经济效益指标", "社会效益指标", "生态效益指标", "可持续影响指标"),
    "满意度指标": ("服务对象满意度指标",),
    "成本指标": ("经济成本指标", "社会成本指标", "生态环境成本指标"),
}


@dataclass
class Style:
    """How one form prints numbers (a system's habits)."""

    notation: str  # "sh": =100.00(%) ; "plain": ≥95%
    weight_dp: int | None  # 2 → "15.00", None → "15"
    rate_dp: int  # 1 or 2
    fund_weight: str  # "10", "10.0", "10.00"
    total_weight: str  # "100", "100.0", "100.00"


def _money(value: Decimal) -> str:
    return format(value.quantize(CENT, rounding=ROUND_HALF_UP), "f")


def _fmt(value: Decimal, dp: int | None) -> str:
    if dp is not None:
        return format(value.quantize(Decimal(1).scaleb(-dp), rounding=ROUND_HALF_UP), "f")
    text = format(value.quantize(CENT, rounding=ROUND_HALF_UP).normalize(), "f")
    return text


def _partition(rng: random.Random, total: int, parts: int, minimum: int = 2) -> list[int]:
    """`total` split into `parts` integers ≥ minimum, multiples of 5 when that fits."""
    step = 5 if total % 5 == 0 and total // 5 >= parts and rng.random() < 0.6 else 1
    units, floor = total // step, max(1, -(-minimum // step))
    cuts = sorted(rng.sample(range(1, units - parts * floor + parts), parts - 1)) if parts > 1 else []
    sizes = [b - a for a, b in zip([0, *cuts], [*cuts, units - parts * floor + parts], strict=True)]
    return [(s - 1 + floor) * step for s in sizes]


def _header(rng: random.Random, year: int) -> tuple[str, str, str, str]:
    province, district = rng.choice(content.REGIONS)
    agency, units, domains = rng.choice(content.AGENCIES)
    project = rng.choice(content.PROJECTS[rng.choice(domains)])
    if rng.random() < 0.15:
        project = f"{year}年{project}"
    if rng.random() < 0.3:
        town = rng.choice(content.TOWNS)
        department = f"{province}{district}{town}人民政府" + ("(汇总)" if rng.random() < 0.5 else "")
        unit = f"{province}{district}{town}{rng.choice(units)}"
    else:
        department = f"{province}{district}{agency}"
        unit = f"{province}{district}{rng.choice(units)}"
    return project, department, unit, domains[0]


def _goals(rng: random.Random, project: str, rate: str) -> tuple[str, str]:
    def fill(template: str) -> str:
        return template.format(project=project, n=rng.randint(3, 60), m=rng.randint(100, 9000),
                               area=rng.choice(content.AREAS), rate=rate, sat=rng.choice(("92.5", "95", "98.36", "100")))

    expected = fill(rng.choice(content.GOALS_EXPECTED)) + "".join(
        fill(s) for s in rng.sample(content.GOALS_MORE, rng.choice((0, 1, 1, 2, 3, 4))))
    actual = fill(rng.choice(content.GOALS_ACTUAL)) + "".join(
        fill(s) for s in rng.sample(content.GOALS_MORE, rng.choice((0, 1, 2, 3))))
    return expected.rstrip("，,；;") + ("" if expected.endswith("。") else "。"), \
        actual.rstrip("，,；;") + ("" if actual.endswith("。") else "。")


# --- indicators ---------------------------------------------------------------------------------------------

def _pct(value: Decimal, style: Style, op: str = "") -> tuple[str, tuple[str, str, str]]:
    number = _fmt(value, 2 if style.notation == "sh" else None)
    printed = f"{op}{number}(%)" if style.notation == "sh" else f"{op}{number}%"
    return printed, (op, number, "%")


def _indicator_values(rng: random.Random, kind: str, unit: str, style: Style, met: bool
                      ) -> tuple[str, tuple[str, str, str], str, Decimal | None, Decimal | None, str]:
    """(target, parts, actual, target number, actual number, direction) for one template kind."""
    if kind == "placeholder":
        return "无", (QUALITATIVE_NATURE, "无", ""), rng.choice(content.ACHIEVED[:2]), None, None, "+"
    if kind == "trend":
        actual = rng.choice(content.ACHIEVED if met else content.NOT_ACHIEVED)
        return unit, (QUALITATIVE_NATURE, unit, ""), actual, None, None, "+"
    if kind.startswith("pct"):
        op = {"pct_eq": "=", "pct_gt": ">", "pct_le": "≤"}.get(kind, rng.choice(("≥", "≥", ">=")))
        if kind == "pct_eq":
            t = Decimal(rng.choice((100, 100, 100, 95, 90)))
        elif kind == "pct_le":
            t = Decimal(100)
        else:
            t = Decimal(rng.choice((80, 85, 90, 95, 98)))
        if kind == "pct_le":
            a = t - Decimal(rng.randint(0, 800)) / 100 if met else t + Decimal(rng.randint(150, 900)) / 100
        elif met:
            low = t + CENT if kind == "pct_gt" else t
            a = t if kind == "pct_eq" and rng.random() < 0.8 else low + (Decimal(100) - low) * Decimal(rng.randint(0, 100)) / 100
        else:
            a = t - Decimal(rng.randint(150, 1500)) / 100
        a = min(round2(a), Decimal(100)) if kind != "pct_le" else round2(a)
        target, parts = _pct(t, style, op)
        actual, _ = _pct(a, style, "=" if style.notation == "sh" and rng.random() < 0.05 else "")
        return target, parts, actual, t, a, "-" if op == "≤" else "+"
    if kind == "count_ge":
        t = Decimal(rng.choice((3, 5, 10, 12, 20, 30, 50, 100, 200, 500, 1000, 1200, 3000)))
        a = t + Decimal(rng.randint(0, int(t * Decimal("0.3")) + 1)) if met else \
            (t * Decimal(rng.randint(50, 95)) / 100).to_integral_value(rounding=ROUND_HALF_UP)
        if not met and a >= t:
            a = t - 1
        op = rng.choice(("≥", "≥", ">="))
        return f"{op}{t}{unit}", (op, str(t), unit), f"{a}{unit}", t, a, "+"
    # le: a ceiling (cost, duration)
    t = Decimal(rng.choice((2, 6, 12, 24, 48, 90, 150, 500, 1200)))
    a = (t * Decimal(rng.randint(60, 100)) / 100).to_integral_value() if met else \
        (t * Decimal(rng.randint(110, 160)) / 100).to_integral_value(rounding=ROUND_HALF_UP)
    if not met and a <= t:
        a = t + 1
    op = rng.choice(("≤", "≤", "<="))
    return f"{op}{t}{unit}", (op, str(t), unit), f"{a}{unit}", t, a, "-"


def _partial_score(rng: random.Random, weight: Decimal, t: Decimal | None, a: Decimal | None, direction: str,
                   actual: str) -> Decimal:
    """A deducted score following rules.md practice, strictly between 0 and the weight."""
    if t is not None and a is not None and t > 0:
        ratio = a / t if direction == "+" else 1 - (a - t) / t
    else:
        ratio = Decimal(rng.randint(60, 85)) / 100 if "部分" in actual else Decimal(rng.randint(10, 59)) / 100
    score = round2(max(Decimal(0), min(ratio, Decimal("0.99"))) * weight)
    return min(score, weight - CENT)


def _slots(rng: random.Random, year: int) -> list[tuple[str, str, int]]:
    """(level1, level2, weight) per indicator row, weights summing to 90."""
    cost_framework = year >= 2021 and rng.random() < 0.12
    satisfaction = rng.random() < 0.85
    if cost_framework:
        groups = [("产出指标", 40), ("成本指标", 10), ("效益指标", 30)] + ([("满意度指标", 10)] if satisfaction else [])
        if not satisfaction:
            groups[2] = ("效益指标", 40)
    elif satisfaction:
        out, eff, sat = rng.choice(_SPLITS_WITH_SATISFACTION)
        groups = [("产出指标", out), ("效益指标", eff), ("满意度指标", sat)]
    else:
        out, eff = rng.choice(_SPLITS_WITHOUT)
        groups = [("产出指标", out), ("效益指标", eff)]
    rows = rng.randint(max(4, len(groups)), 14)
    counts = [1] * len(groups)
    for _ in range(rows - len(groups)):
        choices = [i for i, (name, w) in enumerate(groups)
                   if (name != "满意度指标" or counts[i] < 2) and (counts[i] + 1) * 2 <= w]
        if not choices:
            break
        counts[rng.choice(choices)] += 1
    slots = []
    for (level1, weight), count in zip(groups, counts, strict=True):
        vocabulary = _LEVEL2[level1]
        if level1 == "产出指标" and rng.random() < 0.7:
            vocabulary = vocabulary[:3]  # 成本指标 under 产出指标 is the exception
        level2s = sorted((rng.choice(vocabulary) for _ in range(count)), key=vocabulary.index)
        if count >= len(vocabulary) and rng.random() < 0.7:
            level2s = sorted(list(vocabulary) + [rng.choice(vocabulary) for _ in range(count - len(vocabulary))],
                             key=vocabulary.index)
        for level2, w in zip(level2s, _partition(rng, weight, count), strict=True):
            slots.append((level1, level2, w))
    return slots


_INDICATOR_FAULTS = ("ACHIEVED_BUT_DEDUCTED", "DEDUCTION_WITHOUT_REASON", "MISSED_BUT_FULL_SCORE")
_FALLBACK_NUMERIC = ("完成率", "pct_ge", "%")


def _indicators(rng: random.Random, style: Style, year: int, miss_rate: float, faults: set[str]
                ) -> tuple[list[IndicatorSpec], set[int]]:
    """The indicator rows, each planted indicator fault on its own row; returns the rows and the planted ones."""
    slots = _slots(rng, year)
    order = list(range(len(slots)))
    rng.shuffle(order)
    plan_of = {order.pop(): fault for fault in _INDICATOR_FAULTS if fault in faults}
    used: set[str] = set()
    rows = []
    for i, (level1, level2, w) in enumerate(slots):
        plan = plan_of.get(i)
        templates = list(content.INDICATORS[level2])
        if plan == "MISSED_BUT_FULL_SCORE":
            templates = [t for t in templates if t[1] in NUMERIC_KINDS] or [_FALLBACK_NUMERIC]
        elif plan == "DEDUCTION_WITHOUT_REASON" or rng.random() < 0.6:
            templates = [t for t in templates if t[1] != "placeholder"] or [_FALLBACK_NUMERIC]
        fresh = [t for t in templates if t[0] not in used] or templates
        name, kind, unit = rng.choice(fresh)
        used.add(name)
        if plan is None:
            met = kind == "placeholder" or rng.random() >= miss_rate
        else:
            met = plan == "ACHIEVED_BUT_DEDUCTED"
        target, parts, actual, t, a, direction = _indicator_values(rng, kind, unit, style, met)
        weight = Decimal(w)
        deviation = None
        if plan == "ACHIEVED_BUT_DEDUCTED":
            score = weight - min(weight / 2, Decimal(rng.choice(("1", "0.5", "2"))))
            deviation = rng.choice(content.DEVIATIONS) if rng.random() < 0.75 else None
        elif met or plan == "MISSED_BUT_FULL_SCORE":
            score = weight
        else:
            score = _partial_score(rng, weight, t, a, direction, actual)
            deviation = None if plan == "DEDUCTION_WITHOUT_REASON" else rng.choice(content.DEVIATIONS)
        rows.append(IndicatorSpec(
            level1=level1, level2=level2, name=name, target=target, parts=parts, actual=actual,
            weight=_fmt(weight, style.weight_dp), score=_fmt(score, style.weight_dp),
            deviation=deviation, numeric=kind in NUMERIC_KINDS, met=met,
        ))
    return rows, set(plan_of)


# --- funds --------------------------------------------------------------------------------------------------

def _rate(executed: Decimal, annual: Decimal, dp: int) -> Decimal:
    return min(executed / annual * 100, Decimal(100)).quantize(Decimal(1).scaleb(-dp), rounding=ROUND_HALF_UP)


def _funds(rng: random.Random, style: Style, faults: set[str]) -> dict[str, dict[str, str | None]]:
    """The 项目资金 block; components add up unless FUND_COMPONENTS is planted."""
    scale = rng.choice((Decimal(20), Decimal(150), Decimal(800), Decimal(3000)))
    annual_total = round2(scale * Decimal(rng.randint(5, 100)) / 100 + Decimal(rng.randint(1, 99)) / 100)
    carry = round2(annual_total * Decimal(rng.randint(5, 40)) / 100) if rng.random() < 0.2 else Decimal(0)
    other = round2(annual_total * Decimal(rng.randint(5, 20)) / 100) if rng.random() < 0.1 else Decimal(0)
    parts = ("current_year", "carryover", "other")
    annual = dict(zip(parts, (annual_total - carry - other, carry, other), strict=True))
    full = rng.random() < 0.55 and "BUDGET_SCORE" not in faults
    executed, initial = {}, {}
    for key, a in annual.items():
        r = Decimal(1) if full else Decimal(rng.randint(55, 999)) / 1000
        if "BUDGET_SCORE" in faults:
            r = Decimal(rng.randint(50, 90)) / 100
        executed[key] = round2(a * r)
        initial[key] = a if rng.random() < 0.5 else round2(a * Decimal(rng.randint(60, 140)) / 100)
    if "OVER_EXECUTION" in faults:
        executed["current_year"] = round2(annual["current_year"] * Decimal(rng.randint(1005, 1150)) / 1000) + CENT
    columns = {"initial_budget": initial, "annual_budget": annual, "executed": executed}
    totals = {column: sum(values.values(), Decimal(0)) for column, values in columns.items()}
    if "FUND_COMPONENTS" in faults:
        # A component that no longer adds up to the total printed above it (the seed's 3.52 vs 3.53).
        delta = CENT * rng.choice((1, 1, 2, 5, 10, 100)) * rng.choice((1, -1))
        for column in rng.choice((("annual_budget", "executed"), ("initial_budget",), ("executed",))):
            columns[column]["current_year"] += delta
        if annual["current_year"] < executed["current_year"] and "OVER_EXECUTION" not in faults:
            executed["current_year"] -= 2 * abs(delta)
    rows: dict[str, dict[str, str | None]] = {}
    zero_rate_blank = rng.random() < 0.35
    for key in FUND_ROWS:
        values = {column: (totals[column] if key == "total" else columns[column][key]) for column in columns}
        a, e = values["annual_budget"], values["executed"]
        rate = (None if zero_rate_blank else "0.00") if a == 0 else format(_rate(e, a, style.rate_dp), "f")
        rows[key] = {"initial_budget": _money(values["initial_budget"]), "annual_budget": _money(a),
                     "executed": _money(e), "weight": None, "execution_rate": rate, "score": None}
    weight = Decimal(style.fund_weight)
    true_rate = min(totals["executed"] / totals["annual_budget"] * 100, Decimal(100))
    # BUDGET_SCORE: the clerk gave full marks whatever the execution.
    score = weight if "BUDGET_SCORE" in faults else round2(true_rate / 100 * weight)
    rows["total"]["weight"], rows["total"]["score"] = style.fund_weight, _fmt(score, 2)
    if "EXECUTION_RATE" in faults:  # on a component row, so the budget score stays consistent
        printed = Decimal(rows["current_year"]["execution_rate"] or "0")
        wrong = printed - Decimal(rng.randint(300, 2000)) / 100 if printed > 50 else printed + Decimal(25)
        rows["current_year"]["execution_rate"] = format(wrong.quantize(Decimal(1).scaleb(-style.rate_dp)), "f")
    return rows


def _style(rng: random.Random) -> Style:
    weight_dp = rng.choice((2, 2, 2, None))
    return Style(
        notation=rng.choice(("sh", "sh", "plain")),
        weight_dp=weight_dp,
        rate_dp=rng.choice((1, 2, 2)),
        fund_weight=rng.choice(("10", "10.0", "10.00")),
        total_weight=rng.choice(("100", "100.0", "100.00")),
    )


def _choose_faults(rng: random.Random, fault_rate: float) -> set[str]:
    if rng.random() >= fault_rate:
        return set()
    count = 1 if rng.random() < 0.7 else 2
    return set(rng.sample(FORM_FAULTS, count))


def random_form(rng: random.Random, fault_rate: float = 0.4, origin: str = "random") -> FormSpec:
    """One randomised form; `fault_rate` is the share of forms with one or two planted faults."""
    year = rng.randint(2019, 2025)
    style = _style(rng)
    faults = _choose_faults(rng, fault_rate)
    project, department, unit, _ = _header(rng, year)
    funds = _funds(rng, style, faults)
    miss_rate = rng.choice((0.0, 0.0, 0.1, 0.25, 0.5))
    indicators, _ = _indicators(rng, style, year, miss_rate, faults)
    clean = [i for i in indicators if i.met and i.score == i.weight and i.deviation is None]
    delta = Decimal(0)
    if "WEIGHT_SUM" in faults and clean:
        # The seed's fault: one row's weight and score both too high, the totals printed as if they were not.
        victim = clean.pop(rng.randrange(len(clean)))
        delta = Decimal(rng.choice((5, 10)))
        victim.weight = _fmt(Decimal(victim.weight) + delta, style.weight_dp)
        victim.score = victim.weight
    if "SCORE_EXCEEDS_WEIGHT" in faults and clean:
        victim = clean.pop(rng.randrange(len(clean)))
        victim.score = _fmt(Decimal(victim.weight) + Decimal(rng.choice((1, 2, 5))), style.weight_dp)
    summed = Decimal(funds["total"]["score"] or 0) + sum((Decimal(i.score) for i in indicators), Decimal(0))
    printed_total = summed - delta
    if "SCORE_SUM" in faults:
        off = Decimal(rng.choice(("1", "2", "0.5", "5")))
        printed_total = printed_total - off if printed_total + off > 100 or rng.random() < 0.5 else printed_total + off
    total_score = _fmt(printed_total, 2 if style.weight_dp == 2 or printed_total != printed_total.to_integral()
                       else None)
    grade = grade_of(printed_total)
    if "GRADE_MISMATCH" in faults:
        grade = {"优": "良", "良": rng.choice(("优", "中")), "中": rng.choice(("良", "差")), "差": "中"}[grade]
    rate = funds["total"]["execution_rate"] or "0"
    expected, actual = _goals(rng, project, rate)
    leader = rng.choice(content.PERSONS)
    form = FormSpec(
        origin=origin, year=year, project_name=project, department=department, implementing_unit=unit,
        funds=funds, goals_expected=expected, goals_actual=actual, indicators=indicators,
        total_weight=style.total_weight, total_score=total_score, grade=grade,
        planted=sorted(faults), leader=leader, phone=f"021-{rng.randint(5000_0000, 6999_9999)}",
    )
    form.expected_findings = findings_of(form)
    missing = set(form.planted) - set(form.expected_findings)
    if missing:  # a plant that did not take (no clean row to spoil) is dropped from what is claimed
        form.planted = sorted(set(form.planted) - missing)
    return form
