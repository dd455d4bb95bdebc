"""The corpus generator's gold records: valid record v1, rules.md arithmetic, planted faults in expected_findings."""

from __future__ import annotations

import random
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import pytest

from extractor.checking import check
from extractor.records.models import Record, Severity
from scripts.corpus.forms import FORM_FAULTS, random_form
from scripts.corpus.model import FUND_ROWS, joined_target, record_of, split_target
from scripts.corpus.truth import findings_of

FORMS = [random_form(random.Random(seed), fault_rate=0.5) for seed in range(300)]
MONEY = ("initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score")


def _decimals(record: dict) -> list[object]:
    values = [record["total_weight"], record["total_score"]]
    rows = [record["funds"][key] for key in FUND_ROWS] + record["funds"]["extra"]
    values += [row[c] for row in rows for c in MONEY]
    values += [i[c] for i in record["indicators"] for c in ("weight", "score")]
    return values


def test_same_seed_same_form():
    assert record_of(random_form(random.Random(7))) == record_of(random_form(random.Random(7)))
    assert record_of(random_form(random.Random(7))) != record_of(random_form(random.Random(8)))


@pytest.mark.parametrize("yuan", [False, True])
@pytest.mark.parametrize("split", [False, True])
def test_gold_validates_and_decimals_are_strings(yuan, split):
    for form in FORMS[:60]:
        record = record_of(form, yuan=yuan, split=split)
        Record.model_validate(record)
        assert all(v is None or isinstance(v, str) for v in _decimals(record))
        assert all(Decimal(v) == Decimal(v).quantize(Decimal("0.01")) for v in _decimals(record) if v is not None)


def test_realistic_variety():
    years = {f.year for f in FORMS}
    assert years == set(range(2019, 2026))
    assert len({f.department for f in FORMS}) > 100
    assert not all("闵行" in f.department for f in FORMS)
    rows = Counter(len(f.indicators) for f in FORMS)
    assert min(rows) == 4 and max(rows) == 14
    assert any(all(i.level1 != "满意度指标" for i in f.indicators) for f in FORMS)
    assert {f.grade for f in FORMS} >= {"优", "良", "中"}


def test_weights_sum_to_100_with_budget_weight_10_unless_planted():
    for form in FORMS:
        assert Decimal(form.funds["total"]["weight"]) == 10
        total = Decimal(form.funds["total"]["weight"]) + sum(Decimal(i.weight) for i in form.indicators)
        if "WEIGHT_SUM" not in form.planted:
            assert total == 100 and Decimal(form.total_weight) == 100


def test_execution_rate_and_budget_score_follow_rules_md_unless_planted():
    for form in FORMS:
        total = form.funds["total"]
        annual, executed = Decimal(total["annual_budget"]), Decimal(total["executed"])
        rate = min(executed / annual * 100, Decimal(100))
        printed = Decimal(total["execution_rate"])
        assert abs(printed - rate) <= Decimal("0.05")
        assert printed.as_tuple().exponent in (-1, -2)
        if "BUDGET_SCORE" not in form.planted:
            assert Decimal(total["score"]) == (rate / 100 * 10).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_fund_components_add_up_unless_planted():
    for form in FORMS:
        if "FUND_COMPONENTS" in form.planted:
            continue
        for column in ("initial_budget", "annual_budget", "executed"):
            parts = sum(Decimal(form.funds[k][column]) for k in ("current_year", "carryover", "other"))
            assert parts == Decimal(form.funds["total"][column])


def test_every_fault_is_planted_at_a_known_share_and_reported():
    planted = Counter(code for f in FORMS for code in f.planted)
    assert set(planted) == set(FORM_FAULTS)
    share = sum(1 for f in FORMS if f.planted) / len(FORMS)
    assert 0.4 <= share <= 0.6  # fault_rate 0.5
    for form in FORMS:
        assert set(form.planted) <= set(form.expected_findings)
    clean = [f for f in FORMS if not f.planted]
    assert sum(1 for f in clean if f.expected_findings) == 0


def test_deductions_carry_reasons_and_misses_are_deducted_in_clean_forms():
    for form in (f for f in FORMS if not f.planted):
        for ind in form.indicators:
            if ind.met:
                assert ind.score == ind.weight
            else:
                assert Decimal(ind.score) < Decimal(ind.weight) and ind.deviation


def test_expected_findings_agree_with_the_checker():
    # The generator computes findings from its own facts; the project's checker parses the printed values.
    disagreements = []
    for form in FORMS:
        reported = {f.code.value for f in check(Record.model_validate(record_of(form))).report.findings
                    if f.severity is not Severity.INFO}
        if reported != set(form.expected_findings):
            disagreements.append((form.planted, form.expected_findings, sorted(reported)))
    assert disagreements == []


def test_truth_sees_a_fault_written_by_hand():
    form = random_form(random.Random(3), fault_rate=0.0)
    assert findings_of(form) == []
    form.indicators[0].score = str(Decimal(form.indicators[0].weight) + 1)
    assert "SCORE_EXCEEDS_WEIGHT" in findings_of(form)


@pytest.mark.parametrize(("target", "parts", "joined"), [
    ("=100.00(%)", ("=", "100.00", "%"), "=100.00%"),
    (">90.00(%)", (">", "90.00", "%"), ">90.00%"),
    ("≥50个", ("≥", "50", "个"), "≥50个"),
    ("≤90万元", ("≤", "90", "万元"), "≤90万元"),
    ("下降", ("定性", "下降", ""), "下降"),
    ("无", ("定性", "无", ""), "无"),
])
def test_split_target_convention(target, parts, joined):
    assert split_target(target) == parts
    assert joined_target(parts) == joined
