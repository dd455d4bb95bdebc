"""Mutation test: random edits of the seed export (delete, duplicate, swap lines, flip a character, drop a tab).

Each mutation is fixed by its number (`scripts/fuzzing/mutate.py random_mutation`): 50 run in the fast tier,
1,000 more in the slow tier (about 2.5 minutes on one core). For every mutated export, a form whose lines were
touched is unchanged, changed exactly as its text changed, or needs_review; an untouched form is identical to
its gold (`judge()` says how each field is held to that).

Mutations that fail today because of known reader bugs are strict xfails naming the bug (issue 12); the day a
bug is fixed they flag, and the mark goes.
"""

from __future__ import annotations

import pytest

from extractor import extract_bytes
from extractor.records.models import Record
from scripts.fuzzing.known import MUTATIONS
from scripts.fuzzing.mutate import Baseline, apply, apply_all, judge, random_mutation, text_of
from tests.conftest import SEED_EXPORT, load_gold

FAST = range(50)
SLOW = range(50, 1050)

KNOWN = MUTATIONS  # scripts/fuzzing/known.py: the failing mutations and the bug behind each


@pytest.fixture(scope="module")
def baseline() -> Baseline:
    """The seed read once, checked against its gold."""
    text = SEED_EXPORT.read_text(encoding="utf-8")
    golds = [Record.model_validate(load_gold(n)["record"]) for n in range(1, 11)]
    return Baseline.of(text, extract_bytes(text.encode("utf-8"), SEED_EXPORT.name), golds)


def _cases(numbers: range) -> list:
    return [pytest.param(n, id=f"m{n}", marks=[pytest.mark.xfail(strict=True, reason=KNOWN[n])] if n in KNOWN else [])
            for n in numbers]


def check_mutation(number: int, base: Baseline) -> None:
    """Mutate the seed by mutation `number`, read it, and fail with every silently wrong field."""
    edits = random_mutation(number, base.lines)
    lines, described = base.lines, []
    for edit in edits:
        described.append(edit.describe(lines))
        lines = apply(lines, edit)
    assert lines == apply_all(base.lines, edits)
    result = extract_bytes(text_of(lines).encode("utf-8"), f"mutation-{number}.txt")
    problems = judge(base, lines, result)
    assert not problems, f"mutation {number} {described}:\n" + "\n".join(problems)


@pytest.mark.parametrize("number", _cases(FAST))
def test_seed_mutation(number, baseline):
    check_mutation(number, baseline)


@pytest.mark.slow
@pytest.mark.parametrize("number", _cases(SLOW))
def test_seed_mutation_slow(number, baseline):
    check_mutation(number, baseline)
