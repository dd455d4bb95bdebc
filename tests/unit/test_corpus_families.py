"""The corpus generator's form families: record v1.1 gold, each family's arithmetic, its printed habits, the
text layouts and the Traditional conversion."""

from __future__ import annotations

import random
import re
from decimal import Decimal

import pytest

from extractor.checking import check
from extractor.checking.context import CheckContext
from extractor.domain.text import norm_key
from extractor.domain.vocabulary import LEVEL1, LEVEL2
from extractor.records.models import Record, Severity
from extractor.templates import default_registry
from scripts.corpus.forms import FAMILY_FAULTS, random_form
from scripts.corpus.layouts import FAMILY_LAYOUTS, FormLayout, Printing, build
from scripts.corpus.model import FUND_ROWS
from scripts.corpus.text_export import TEXT_LAYOUTS, Mess, render_text, to_traditional, traditional_record
from scripts.corpus.truth import findings_of

FAMILIES = ("central", "anhui", "yunnan", "sichuan", "beijing", "ningxia")
MONEY = ("initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score")


def _layouts(family: str, n: int = 120, fault_rate: float = 0.5) -> list[tuple[object, FormLayout]]:
    out = []
    for seed in range(n):
        rng = random.Random(f"{family}-{seed}")
        form = random_form(rng, fault_rate, family=family)
        names = FAMILY_LAYOUTS[family]
        out.append((form, build(form, names[seed % len(names)], Printing(dash=rng.choice(("—", "-", ""))), rng)))
    return out


LAYOUTS = {family: _layouts(family) for family in FAMILIES}


def _values_at(record: dict, path: str) -> list[object]:
    """Every value under a record path (`funds.carryover`, `indicators[].unit`, `evaluation`)."""
    values: list[object] = [record]
    for part in path.split("."):
        many = part.endswith("[]")
        key = part.removesuffix("[]")
        values = [v[key] for v in values]
        if many:
            values = [item for v in values for item in v]
    leaves: list[object] = []
    for v in values:
        leaves += list(v.values()) if isinstance(v, dict) else [v]
    return leaves


def _decimals(record: dict) -> list[object]:
    rows = [record["funds"][key] for key in FUND_ROWS] + record["funds"]["extra"]
    values = [record["total_weight"], record["total_score"], record["reviewed_score"]]
    values += [row[c] for row in rows for c in MONEY]
    return values + [i[c] for i in record["indicators"] for c in ("weight", "score")]


@pytest.mark.parametrize("family", FAMILIES)
def test_gold_is_a_valid_record_v1_1_with_template_and_skip_null(family):
    for _form, layout in LAYOUTS[family]:
        record = layout.record
        Record.model_validate(record)
        assert layout.family == family
        assert all(v is None or isinstance(v, str) for v in _decimals(record))
        assert record["money_unit"] in ("万元", "元")
        for path in layout.skip_null:  # what the layout does not print at all is null in the gold
            assert all(v is None for v in _values_at(record, path)), (family, path)
        for ind in record["indicators"]:
            assert ind["level1"] in LEVEL1 and ind["level2"] in LEVEL2
            # the family's own hierarchy (ningxia.toml: 服务对象满意度指标 inside 项目效益) extends the vocabulary's
            assert ind["level1"] in default_registry().get(family).parents_of(ind["level2"])


def _checker_codes(family: str, record: dict) -> set[str]:
    context = CheckContext.of(default_registry().get(family))
    findings = check(Record.model_validate(record), provenance=None, source=None, context=context).report.findings
    return {f.code.value for f in findings if f.severity is not Severity.INFO and f.code.value != "MISSING_FIELD"}


def _nonzero_extra(form) -> bool:
    return any(Decimal(e[c] or 0) != 0 for e in form.extra_funds for c in ("initial_budget", "annual_budget", "executed"))


@pytest.mark.parametrize("family", FAMILIES)
def test_expected_findings_agree_with_the_checker(family):
    # The generator computes findings from its own facts; the checker parses the gold record with the family's
    # context (MISSING_FIELD is the checker's view of blank cells, not a fault of the form).
    disagreements = []
    for form, layout in LAYOUTS[family]:
        reported = _checker_codes(family, layout.record)
        if reported != set(form.expected_findings):
            disagreements.append((form.planted, form.expected_findings, sorted(reported)))
    assert disagreements == []


def test_fund_components_counts_the_extra_rows():
    """Sichuan's 总额 is made of 财政专户管理资金 and 单位资金 (funds.extra) too: the checker adds them."""
    forms = [(f, lay) for f, lay in LAYOUTS["sichuan"] if _nonzero_extra(f)]
    assert len(forms) >= 10
    assert [sorted(_checker_codes("sichuan", lay.record)) for _, lay in forms] == \
        [sorted(f.expected_findings) for f, _ in forms]


@pytest.mark.parametrize("family", FAMILIES)
def test_every_fault_the_family_can_show_is_planted_and_true(family):
    planted = {code for form, _ in LAYOUTS[family] for code in form.planted}
    assert planted == set(FAMILY_FAULTS[family])
    for form, _ in LAYOUTS[family]:
        assert set(form.planted) <= set(form.expected_findings)
        assert findings_of(form) == form.expected_findings


@pytest.mark.parametrize("family", FAMILIES)
def test_clean_forms_add_up(family):
    for form, layout in LAYOUTS[family]:
        if form.planted:
            continue
        rec = layout.record
        assert form.expected_findings == []
        weights = [Decimal(i["weight"]) for i in rec["indicators"]]
        scores = [Decimal(i["score"]) for i in rec["indicators"]]
        fund = rec["funds"]["total"]
        if family == "ningxia":  # no 分值 / 得分 in the funds block: the indicators alone make 100
            assert fund["weight"] is None and fund["score"] is None
            assert sum(weights) == 100
        else:
            assert Decimal(fund["weight"]) + sum(weights) == 100
            scores.append(Decimal(fund["score"]))
        assert sum(scores) == Decimal(rec["total_score"])
        for column in ("initial_budget", "annual_budget", "executed"):
            total = fund[column]
            parts = [rec["funds"][k][column] for k in FUND_ROWS[1:]] + [e[column] for e in rec["funds"]["extra"]]
            if total is not None and any(p is not None for p in parts):  # (Ningxia may print the total row only)
                assert sum(Decimal(p) for p in parts if p is not None) == Decimal(total), (family, column)


def test_family_printing_habits():
    for _form, layout in LAYOUTS["sichuan"]:
        rec = layout.record
        assert re.fullmatch(r"\d{8}[A-Z]\d{12}", rec["project_code"])
        assert rec["project_name"].startswith(rec["project_code"] + "-")
        assert rec["total_weight"] is None and rec["grade"] is None and rec["total_score"] is not None
        assert all(v is None for v in rec["funds"]["carryover"].values())
        assert [e["label"] for e in rec["funds"]["extra"]] == ["财政专户管理资金", "单位资金"]
        assert all(rec["evaluation"].values())
        assert {"funds.carryover", "total_weight", "grade"} <= set(layout.skip_null)
    for form, layout in LAYOUTS["beijing"]:
        rec = layout.record
        assert all(rec["funds"][k]["annual_budget"] is None for k in FUND_ROWS)
        assert all(i["method"] for i in rec["indicators"])
        total = rec["funds"]["total"]
        if "EXECUTION_RATE" not in form.planted and Decimal(total["initial_budget"]) != 0:
            rate = min(Decimal(total["executed"]) / Decimal(total["initial_budget"]) * 100, Decimal(100))
            assert abs(Decimal(total["execution_rate"]) - rate) <= Decimal("0.51")  # 执行率(B/A): ÷ 年初预算数(A)
        assert ("grade" in layout.skip_null) == (rec["grade"] is None)
    for _form, layout in LAYOUTS["ningxia"]:
        rec = layout.record
        assert rec["total_weight"] is None and rec["grade"] is None
        assert {i["level1"] for i in rec["indicators"]} >= {"项目决策", "项目管理", "产出指标", "效益指标"}
        groups = {c.text for c in layout.cells if c.role == "level1"}
        assert all(re.fullmatch(r"项目(决策|管理|产出|效益)\(\d+分\)", g) for g in groups)
    for _form, layout in LAYOUTS["anhui"]:
        rec = layout.record
        assert all(re.match(r"指标\d+[:：]", i["name"]) for i in rec["indicators"])
        assert rec["grade"] is None and "grade" in layout.skip_null
        level1 = [c.text for c in layout.cells if c.role == "level1"]
        assert all(re.fullmatch(r"(满意度指标\n)?\(\d+(\.\d+)?分\)", t) for t in level1)
        names = [c.text for c in layout.cells if c.role == "placeholder" and c.col == 3]
        assert not set(names) & {i["name"] for i in rec["indicators"]}  # placeholder rows are not indicators
    yunnan_natures = {i["nature"] for _, lay in LAYOUTS["yunnan"] for i in lay.record["indicators"]}
    assert {"≧", "═", "﹦", "定性", None} <= yunnan_natures
    for _, layout in LAYOUTS["yunnan"] + LAYOUTS["sichuan"]:
        for ind in layout.record["indicators"]:
            nature = ind["nature"] if ind["nature"] not in (None, "定性") else ""
            assert ind["target"].startswith(nature) and ind["target"].endswith(ind["unit"] or "")


def test_placeholder_rows_and_empty_level2_groups_are_printed():
    placeholders = [c.text for _, lay in LAYOUTS["anhui"] for c in lay.cells if c.role == "placeholder" and c.col == 3]
    assert "……" in placeholders and any(re.fullmatch(r"指标\d+[:：]", p) for p in placeholders)
    slashed = [lay for _, lay in LAYOUTS["anhui"] if any(c.role == "placeholder" and c.text == "/" for c in lay.cells)]
    assert slashed  # `指标1:/ / /` under a level2 the form leaves empty


def test_department_layout_is_a_form_without_gold():
    rng = random.Random(1)
    layout = build(random_form(rng, 0.0), "department", Printing(), rng)
    assert layout.family == "department" and layout.record == {}
    text = render_text([layout], rng, Mess(), "pipe")
    assert "部门整体支出绩效自评表" in text and "项目名称" not in text


def _printed_values(record: dict, split: bool) -> list[str]:
    values = [record["project_name"], record["department"], record["implementing_unit"],
              record["goals"]["expected"], record["goals"]["actual"], record["total_score"]]
    values += [v for v in record["evaluation"].values() if v]
    for ind in record["indicators"]:
        values += [ind["name"], ind["weight"], ind["score"]]
        values += [v for v in (ind["actual"], ind["deviation"], ind["method"]) if v]
        values += [v for v in (ind["nature"], ind["unit"]) if v] if split else [ind["target"]] if ind["target"] else []
    return values


@pytest.mark.parametrize("text_layout", TEXT_LAYOUTS)
@pytest.mark.parametrize("family", FAMILIES)
def test_every_text_layout_prints_every_value(family, text_layout):
    rng = random.Random(f"{family}-{text_layout}")
    forms = [random_form(rng, 0.5, family=family) for _ in range(3)]
    names = FAMILY_LAYOUTS[family]
    layouts = [build(f, names[k % len(names)], Printing(dash="—"), rng) for k, f in enumerate(forms)]
    text = render_text(layouts, rng, Mess(), text_layout)
    flat = norm_key(text)
    for layout in layouts:
        split = "indicators[].nature" not in layout.skip_null
        missing = [v for v in _printed_values(layout.record, split) if norm_key(v) not in flat]
        assert missing == [], (family, text_layout, missing)
    lines = text.splitlines()
    if text_layout == "pipe":
        assert sum(line.startswith("|") for line in lines) > 0.8 * len(lines)
    elif text_layout == "cell_per_line_bar":
        assert all(line.endswith("|") for line in lines if line)
    elif text_layout == "cell_per_line":
        assert " " in lines and "" in lines and "|" not in text
    elif text_layout == "spaces":
        assert "\t" not in text and "|" not in text
    else:
        assert "\t" in text


@pytest.mark.parametrize("family", FAMILIES)
def test_traditional_export_and_its_gold(family):
    rng = random.Random(f"trad-{family}")
    form = random_form(rng, 0.5, family=family)
    layout = build(form, FAMILY_LAYOUTS[family][0], Printing(dash="—"), rng)
    text = to_traditional(render_text([layout], rng, Mess.none(), "pipe"))
    gold = traditional_record(layout.record)
    Record.model_validate(gold)
    assert gold["project_name"] == to_traditional(layout.record["project_name"])
    assert gold["goals"]["expected"] != layout.record["goals"]["expected"]  # 项目/资金/… have Traditional forms
    for ind, simplified in zip(gold["indicators"], layout.record["indicators"], strict=True):
        assert (ind["level1"], ind["level2"]) == (simplified["level1"], simplified["level2"])  # canonical labels
        assert ind["weight"] == simplified["weight"]
    assert gold["grade"] == layout.record["grade"] and gold["money_unit"] == layout.record["money_unit"]
    split = "indicators[].nature" not in layout.skip_null
    flat = norm_key(text)
    assert [v for v in _printed_values(gold, split) if norm_key(v) not in flat] == []
