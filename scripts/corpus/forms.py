"""Random gold forms: realistic header, funds, indicators and totals, with a known share of planted faults."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from scripts.corpus import content
from scripts.corpus.model import FUND_ROWS, QUALITATIVE_NATURE, FormSpec, IndicatorSpec, joined_target
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


def _templates(level2: str) -> tuple[tuple[str, str, str], ...]:
    return content.INDICATORS.get(level2) or content.NINGXIA_INDICATORS[level2]


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


def _indicators(rng: random.Random, style: Style, year: int, miss_rate: float, faults: set[str],
                slots: list[tuple[str, str, int]] | None = None) -> tuple[list[IndicatorSpec], set[int]]:
    """The indicator rows, each planted indicator fault on its own row; returns the rows and the planted ones."""
    slots = _slots(rng, year) if slots is None else slots
    order = list(range(len(slots)))
    rng.shuffle(order)
    plan_of = {order.pop(): fault for fault in _INDICATOR_FAULTS if fault in faults}
    used: set[str] = set()
    rows = []
    for i, (level1, level2, w) in enumerate(slots):
        plan = plan_of.get(i)
        templates = list(_templates(level2))
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


def random_form(rng: random.Random, fault_rate: float = 0.4, origin: str = "random", family: str = "central"
                ) -> FormSpec:
    """One randomised form of a family; `fault_rate` is the share of forms with one or two planted faults.

    The central family's draws are those of the generator before the families (same seed, same form).
    """
    if family != "central":
        return family_form(rng, family, fault_rate, origin)
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


# --- the other families (templates.md) ----------------------------------------------------------------------

# The faults a family's form can show: no GRADE_MISMATCH without a grade, no WEIGHT_SUM without a 总分 分值,
# no BUDGET_SCORE without a scored funds block.
FAMILY_FAULTS: dict[str, tuple[str, ...]] = {
    "central": FORM_FAULTS,
    "anhui": tuple(f for f in FORM_FAULTS if f != "GRADE_MISMATCH"),
    "yunnan": FORM_FAULTS,
    "sichuan": tuple(f for f in FORM_FAULTS if f not in ("GRADE_MISMATCH", "WEIGHT_SUM")),
    "beijing": FORM_FAULTS,
    "ningxia": tuple(f for f in FORM_FAULTS if f not in ("GRADE_MISMATCH", "WEIGHT_SUM", "BUDGET_SCORE")),
}
_YEARS = {"beijing": (2016, 2019), "sichuan": (2021, 2025)}
# Printed level1 group of Ningxia's form (项目效益 holds the 服务对象满意度指标 rows: level1 效益指标 as printed).
NINGXIA_GROUPS = {"项目决策": "项目决策", "项目管理": "项目管理", "产出指标": "项目产出", "效益指标": "项目效益",
                  "满意度指标": "项目效益"}
# Yunnan prints its operators as the system's font has them: ≧ for ≥, ═ or ﹦ for =.
_YUNNAN_OPERATORS = {"≥": ("≧", "≧", "≥"), ">=": ("≧", "≥"), "=": ("═", "﹦", "="), "≤": ("≤", "≦"), "<=": ("≤",),
                     ">": (">",)}
_ASCII_OPERATORS = {">=": "≥", "<=": "≤"}


def _family_header(rng: random.Random, year: int, family: str) -> tuple[str, str, str]:
    province, district = rng.choice(content.FAMILY_REGIONS[family])
    agency, units, domains = rng.choice(content.AGENCIES)
    project = rng.choice(content.PROJECTS[rng.choice(domains)])
    if rng.random() < 0.15:
        project = f"{year}年{project}"
    prefix = province + district if rng.random() < 0.5 else district
    if rng.random() < 0.2:
        town = rng.choice(content.TOWNS)
        return project, f"{prefix}{town}人民政府", f"{prefix}{town}{rng.choice(units)}"
    return project, f"{prefix}{agency}", f"{district}{rng.choice(units)}"


def _choose_family_faults(rng: random.Random, fault_rate: float, family: str) -> set[str]:
    if rng.random() >= fault_rate:
        return set()
    return set(rng.sample(FAMILY_FAULTS[family], 1 if rng.random() < 0.7 else 2))


def _component_funds(rng: random.Random, style: Style, faults: set[str], family: str
                     ) -> tuple[dict[str, dict[str, str | None]], list[dict[str, str | None]]]:
    """Sichuan's (总额 = 财政资金 + 财政专户管理资金 + 单位资金 + 其他资金, 调整后预算数 the budget) and Beijing's
    (年度资金总额 = 本年一般公共预算拨款 + 其他资金, 年初预算数(A) the only budget) funds blocks."""
    sichuan = family == "sichuan"
    keys = ["current_year", "财政专户管理资金", "单位资金", "other"] if sichuan else ["current_year", "other"]
    shares = {"财政专户管理资金": 0.1, "单位资金": 0.15, "other": 0.1 if sichuan else 0.2}
    scale = rng.choice((Decimal(20), Decimal(150), Decimal(800), Decimal(3000)))
    total_budget = round2(scale * Decimal(rng.randint(5, 100)) / 100 + Decimal(rng.randint(1, 99)) / 100)
    budget = {k: round2(total_budget * Decimal(rng.randint(5, 30)) / 100) if rng.random() < shares[k] else Decimal(0)
              for k in keys[1:]}
    budget = {"current_year": total_budget - sum(budget.values(), Decimal(0)), **budget}
    full = rng.random() < 0.55 and "BUDGET_SCORE" not in faults
    executed: dict[str, Decimal] = {}
    initial: dict[str, Decimal] = {}
    for key, b in budget.items():
        r = Decimal(1) if full else Decimal(rng.randint(55, 999)) / 1000
        if "BUDGET_SCORE" in faults:
            r = Decimal(rng.randint(50, 90)) / 100
        executed[key] = round2(b * r)
        initial[key] = b if not sichuan or rng.random() < 0.5 else round2(b * Decimal(rng.randint(60, 140)) / 100)
    if "OVER_EXECUTION" in faults:
        executed["current_year"] = round2(budget["current_year"] * Decimal(rng.randint(1005, 1150)) / 1000) + CENT
    basis = "annual_budget" if sichuan else "initial_budget"
    columns = {"initial_budget": initial, "executed": executed}
    if sichuan:
        columns["annual_budget"] = budget
    totals = {column: sum(values.values(), Decimal(0)) for column, values in columns.items()}
    if "FUND_COMPONENTS" in faults:
        delta = CENT * rng.choice((1, 1, 2, 5, 10, 100)) * rng.choice((1, -1))
        choices = ((basis, "executed"), ("initial_budget",), ("executed",)) if sichuan else \
            (("initial_budget", "executed"), ("initial_budget",), ("executed",))
        for column in rng.choice(choices):
            columns[column]["current_year"] += delta
        if columns[basis]["current_year"] < executed["current_year"] and "OVER_EXECUTION" not in faults:
            executed["current_year"] -= 2 * abs(delta)
    dp = 2 if sichuan else rng.choice((0, 1, 2, 2))
    blank_other = rng.random() < 0.5
    sub_rates = sichuan or "EXECUTION_RATE" in faults or rng.random() < 0.5
    rows: dict[str, dict[str, str | None]] = {}
    for key in ["total", *keys]:
        values = {column: (totals[column] if key == "total" else columns[column][key]) for column in columns}
        b, e = values[basis], values["executed"]
        if key != "total" and not sub_rates:
            rate = None
        else:
            rate = ("0.00" if sichuan else None) if b == 0 else format(_rate(e, b, dp), "f")
        row: dict[str, str | None] = {"initial_budget": _money(values["initial_budget"]),
                                      "annual_budget": _money(values["annual_budget"]) if sichuan else None,
                                      "executed": _money(e), "weight": None, "execution_rate": rate, "score": None}
        if key == "other" and b == 0 and e == 0 and values["initial_budget"] == 0 and blank_other:
            row = dict.fromkeys(row)  # 其他资金 printed with its amount cells empty
        rows[key] = row
    weight = Decimal(style.fund_weight)
    # The score follows the rate as printed (Beijing's `50% | 5` for 154.74 / 310.2 = 49.88 %).
    rate = Decimal(rows["total"]["execution_rate"] or min(totals["executed"] / totals[basis] * 100, Decimal(100)))
    score = weight if "BUDGET_SCORE" in faults else round2(rate / 100 * weight)
    rows["total"]["weight"], rows["total"]["score"] = style.fund_weight, _fmt(score, 2)
    if "EXECUTION_RATE" in faults:
        printed = Decimal(rows["current_year"]["execution_rate"] or "0")
        wrong = printed - Decimal(rng.randint(300, 2000)) / 100 if printed > 50 else printed + Decimal(25)
        rows["current_year"]["execution_rate"] = format(wrong.quantize(Decimal(1).scaleb(-dp)), "f")
    extras = [{"label": key, **rows.pop(key)} for key in keys if key not in FUND_ROWS]
    rows["carryover"] = dict.fromkeys(rows["total"])
    return {key: rows[key] for key in FUND_ROWS}, extras


def _blank_components(rng: random.Random, funds: dict[str, dict[str, str | None]], faults: set[str],
                      zero_share: float, rate_share: float) -> None:
    """Sub-rows the way provincial forms print them: a zero row as `—`/blank, sub-row rates left out."""
    keep_rates = "EXECUTION_RATE" in faults or rng.random() >= rate_share
    for key in FUND_ROWS[1:]:
        row = funds[key]
        if key != "current_year" and all(row[c] in (None, "0.00") for c in ("initial_budget", "annual_budget", "executed")) \
                and rng.random() < zero_share:
            funds[key] = dict.fromkeys(row)
        elif not keep_rates:
            row["execution_rate"] = None


def _ningxia_slots(rng: random.Random) -> list[tuple[str, str, int]]:
    """项目决策 / 项目管理 / 项目产出 / 项目效益 (with 服务对象满意度指标 inside 项目效益): weights summing to 100."""
    decision, management, output, effect = rng.choice(((10, 25, 30, 35), (10, 25, 30, 35), (15, 20, 35, 30),
                                                       (10, 20, 40, 30)))
    satisfaction = 10 if rng.random() < 0.85 else 0
    slots: list[tuple[str, str, int]] = []

    def group(level1: str, vocabulary: tuple[str, ...], weight: int, low: int, high: int) -> None:
        count = min(rng.randint(low, high), weight // 2)
        level2s = sorted((rng.choice(vocabulary) for _ in range(count)), key=vocabulary.index)
        for level2, w in zip(level2s, _partition(rng, weight, count), strict=True):
            slots.append((level1, level2, w))

    group("项目决策", ("项目立项", "绩效目标", "资金投入"), decision, 2, 4)
    group("项目管理", ("资金管理", "组织实施"), management, 2, 4)
    group("产出指标", _LEVEL2["产出指标"], output, 3, 5)
    group("效益指标", _LEVEL2["效益指标"], effect - satisfaction, 1, 3)
    if satisfaction:
        # Printed inside 项目效益: the record's level1 is the printed one, 效益指标 (ningxia.toml's hierarchy).
        group("效益指标", _LEVEL2["满意度指标"], satisfaction, 1, 2)
    return slots


def _family_funds(rng: random.Random, style: Style, faults: set[str], family: str
                  ) -> tuple[dict[str, dict[str, str | None]], list[dict[str, str | None]], tuple[str, ...]]:
    if family in ("sichuan", "beijing"):
        funds, extras = _component_funds(rng, style, faults, family)
        rows = ("total", "current_year", "other") if family == "beijing" else FUND_ROWS
        return funds, extras, rows
    funds = _funds(rng, style, faults)
    rows = FUND_ROWS
    if family == "anhui":
        _blank_components(rng, funds, faults, 0.7, 0.5)
        if rng.random() < 0.3:
            funds["total"]["execution_rate"] = None  # 年度资金总额: 880 880 880 10 10 (the rate cell blank)
    elif family == "yunnan":
        _blank_components(rng, funds, faults, 0.5, 0.6)
    elif family == "ningxia":
        funds["total"]["weight"] = funds["total"]["score"] = None  # no 分值 / 得分 columns
        single = not faults & {"FUND_COMPONENTS", "EXECUTION_RATE", "OVER_EXECUTION"} and rng.random() < 0.5
        if single:  # only the 年度资金总额 row
            for key in FUND_ROWS[1:]:
                funds[key] = dict.fromkeys(funds[key])
            rows = ("total",)
    return funds, [], rows


def _decorate(rng: random.Random, form: FormSpec) -> None:
    """Family habits that change what the record holds: name prefixes, operators, blank cells, methods."""
    family = form.family
    if family == "anhui":
        colon = ":" if rng.random() < 0.7 else "："
        counter: dict[tuple[str, str], int] = {}
        for ind in form.indicators:
            key = (ind.level1, ind.level2)
            counter[key] = counter.get(key, 0) + 1
            ind.name = f"指标{counter[key]}{colon}{ind.name}"
            if not ind.numeric and ind.met and ind.score == ind.weight and rng.random() < 0.25:
                ind.target = ind.actual = None  # only 分值 and 得分 printed (tianchang's rows 3–8)
        form.printing["colon"] = colon
    elif family in ("yunnan", "sichuan"):
        blank_nature = family == "yunnan" and rng.random() < 0.5
        for ind in form.indicators:
            nature, value, unit = ind.parts
            if nature == QUALITATIVE_NATURE:
                nature = "" if blank_nature else nature
            elif family == "yunnan":
                nature = rng.choice(_YUNNAN_OPERATORS.get(nature, (nature,)))
            else:
                nature = _ASCII_OPERATORS.get(nature, nature)
            ind.parts = (nature, value, unit)
            ind.target = joined_target(ind.parts)
    elif family == "beijing":
        for ind in form.indicators:
            pool = content.BEIJING_METHODS_NUMERIC if ind.numeric else content.BEIJING_METHODS_QUALITATIVE
            ind.method = pool[0] if rng.random() < 0.7 else rng.choice(pool)
    elif family == "ningxia":
        for ind in form.indicators:
            ind.group = NINGXIA_GROUPS[ind.level1]


def family_form(rng: random.Random, family: str, fault_rate: float = 0.4, origin: str = "random") -> FormSpec:
    """One randomised form of a family other than central (its own columns, arithmetic and habits)."""
    low, high = _YEARS.get(family, (2019, 2025))
    year = rng.randint(low, high)
    style = _style(rng)
    style.notation = "plain" if family in ("yunnan", "sichuan") or rng.random() < 0.8 else "sh"
    faults = _choose_family_faults(rng, fault_rate, family)
    project, department, unit = _family_header(rng, year, family)
    code = None
    if family == "sichuan":
        code = (rng.choice(content.SICHUAN_REGION_CODES) + f"{rng.randint(20, 24)}"
                + rng.choice(content.SICHUAN_CODE_LETTERS) + f"{rng.randint(0, 99_999_999):012d}")
        project = f"{code}-{project}"
    if family == "beijing" and rng.random() < 0.3:
        department = f"{rng.choice(content.BEIJING_CODES)}-{department}"
    funds, extras, fund_rows = _family_funds(rng, style, faults, family)
    miss_rate = rng.choice((0.0, 0.0, 0.1, 0.25, 0.5))
    slots = _ningxia_slots(rng) if family == "ningxia" else None
    indicators, _ = _indicators(rng, style, year, miss_rate, faults, slots)
    clean = [i for i in indicators if i.met and i.score == i.weight and i.deviation is None]
    delta = Decimal(0)
    if "WEIGHT_SUM" in faults and clean:
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
    grade: str | None = grade_of(printed_total)
    if "GRADE_MISMATCH" in faults:
        grade = {"优": "良", "良": rng.choice(("优", "中")), "中": rng.choice(("良", "差")), "差": "中"}[grade]
    printing: dict[str, object] = {}
    if family == "beijing":
        printing["grade_row"] = "GRADE_MISMATCH" in faults or rng.random() < 0.5
    if family in ("anhui", "sichuan", "ningxia") or (family == "beijing" and not printing["grade_row"]):
        grade = None
    total_weight = None if family in ("sichuan", "ningxia") else style.total_weight
    rate = funds["total"]["execution_rate"] or "100"
    expected, actual = _goals(rng, project.split("-", 1)[-1] if code else project, rate)
    evaluation = None
    if family == "sichuan":
        evaluation = {"conclusion": rng.choice(content.EVALUATION_CONCLUSIONS).format(score=total_score),
                      "problems": rng.choice(content.EVALUATION_PROBLEMS),
                      "measures": rng.choice(content.EVALUATION_MEASURES)}
    reviewed = None
    if family == "ningxia" and rng.random() < 0.5:
        reviewed = _fmt(printed_total - Decimal(rng.choice(("0", "0", "0.5", "1", "2"))), None)
    form = FormSpec(
        origin=origin, year=year, project_name=project, department=department, implementing_unit=unit,
        funds=funds, goals_expected=expected, goals_actual=actual, indicators=indicators,
        total_weight=total_weight, total_score=total_score, grade=grade,
        planted=sorted(faults), leader=rng.choice(content.PERSONS), phone=f"0{rng.randint(100, 999)}-{rng.randint(5000_0000, 6999_9999)}",
        family=family, project_code=code, extra_funds=extras, evaluation=evaluation, reviewed_score=reviewed,
        fund_rows=fund_rows, printing=printing,
    )
    _decorate(rng, form)
    form.expected_findings = findings_of(form)
    missing = set(form.planted) - set(form.expected_findings)
    if missing:
        form.planted = sorted(set(form.planted) - missing)
    return form
