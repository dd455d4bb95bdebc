"""The mutation judge itself: it accepts faithful readings of edited text and catches silently wrong ones."""

from __future__ import annotations

from decimal import Decimal

import pytest

from extractor import extract_bytes
from extractor.records.models import DocumentResult, Record
from scripts.fuzzing.mutate import Baseline, Edit, apply_all, judge, random_mutation, text_of
from tests.conftest import SEED_EXPORT, load_gold


@pytest.fixture(scope="module")
def base() -> Baseline:
    text = SEED_EXPORT.read_text(encoding="utf-8")
    golds = [Record.model_validate(load_gold(n)["record"]) for n in range(1, 11)]
    return Baseline.of(text, extract_bytes(text.encode("utf-8"), "seed.txt"), golds)


def _read(base: Baseline, *edits: Edit) -> tuple[list, DocumentResult]:
    lines = apply_all(base.lines, edits)
    return lines, extract_bytes(text_of(lines).encode("utf-8"), "m.txt")


def test_the_seed_itself_is_acceptable(base):
    assert text_of(base.lines) == SEED_EXPORT.read_text(encoding="utf-8")
    lines, result = _read(base)
    assert judge(base, lines, result) == []


def test_mutations_are_fixed_by_their_number(base):
    assert random_mutation(7, base.lines) == random_mutation(7, base.lines)
    assert {tuple(random_mutation(n, base.lines)) for n in range(20)}.__len__() == 20


def test_an_untouched_form_that_changed_is_caught(base):
    lines, result = _read(base)
    result.forms[1].record.indicators[0].weight = Decimal("99")
    [problem] = judge(base, lines, result)
    assert problem.startswith("form 2 untouched but changed")


def test_a_flipped_name_may_change_to_its_new_text(base):
    lines, result = _read(base, Edit("flip", 17, cell=3, pos=0, char="X"))  # L18 日常巡查率 → X常巡查率
    assert result.forms[0].record.indicators[1].name == "X常巡查率"
    assert judge(base, lines, result) == []


def test_a_wrong_value_in_a_touched_ok_form_is_caught(base):
    lines, result = _read(base, Edit("flip", 17, cell=3, pos=0, char="X"))
    form = result.forms[0]
    assert form.status.value == "ok"
    form.record.indicators[0].weight = Decimal("99")  # no cell prints it there
    form.record.funds.total.executed = None  # its cell still prints 148.79
    problems = judge(base, lines, result)
    assert any(p.startswith("form 1: indicators[0].weight = Decimal('99')") for p in problems)
    assert any(p.startswith("form 1: funds.total.executed is null") and "lost" in p for p in problems)


def test_a_touched_form_that_needs_review_is_acceptable(base):
    lines, result = _read(base, Edit("flip", 16, cell=6, pos=1, char="7"))  # L17 分值 15.00 → 17.00
    assert result.forms[0].status.value == "needs_review"
    assert judge(base, lines, result) == []


def test_a_form_swallowed_by_another_ok_form_is_caught(base):
    lines, result = _read(base, Edit("flip", 29, cell=0, pos=0, char="X"))  # L30: form 2's title, still a title
    forms = result.forms
    # As if form 2's title had been lost: form 1 runs on over form 2's lines and keeps only its own record.
    swallowing = forms[0].model_copy(update={"lines": (forms[0].lines[0], forms[1].lines[1])})
    fake = result.model_copy(update={"forms": [swallowing, *forms[2:]]})
    assert judge(base, lines, fake) == ["form 2 lost (read into form(s) [1], all ok)"]
