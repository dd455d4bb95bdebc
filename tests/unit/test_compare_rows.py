"""Row alignment for comparison: one missed or invented row must not make every later row wrong."""

from decimal import Decimal

from extractor.records.compare import Outcome, align_rows, align_sequences, compare_records
from extractor.records.models import Record


def _outcomes(comparisons):
    counts = {}
    for c in comparisons:
        counts[c.outcome] = counts.get(c.outcome, 0) + 1
    return counts


def test_identical_records_are_all_correct(clean_record):
    comparisons = compare_records(clean_record, clean_record)
    # 4 header + money_unit (v1.1, printed on the seed) + 24 funds + 2 goals + 8 per row + 3 totals; v1.1's other
    # optional fields are null on both sides (not printed) and not scored.
    assert _outcomes(comparisons) == {Outcome.CORRECT: 4 + 1 + 24 + 2 + 8 * len(clean_record.indicators) + 3}


def test_a_missed_row_costs_only_its_own_fields(clean_record):
    got = clean_record.model_copy(deep=True)
    del got.indicators[1]
    pairs = align_rows(got.indicators, clean_record.indicators)
    assert (None, 1) in pairs
    assert [p for p in pairs if p[0] is not None and p[1] is not None] == [
        (0, 0)] + [(i - 1, i) for i in range(2, len(clean_record.indicators))]
    counts = _outcomes(compare_records(got, clean_record))
    assert counts[Outcome.OMITTED] == 8
    assert Outcome.WRONG not in counts


def test_an_invented_row_is_scored_by_what_it_holds(clean_record):
    got = clean_record.model_copy(deep=True)
    got.indicators.insert(0, got.indicators[3].model_copy(update={"name": "新增的指标", "target": "无",
                                                                  "actual": "无", "deviation": None}))
    comparisons = compare_records(got, clean_record)
    invented = [c for c in comparisons if c.outcome is Outcome.INVENTED]
    assert {c.got_path for c in invented} <= {f"indicators[0].{f}" for f in
                                              ("level1", "level2", "name", "target", "actual", "weight", "score")}
    assert all(c.outcome in (Outcome.CORRECT, Outcome.INVENTED) for c in comparisons)


def test_one_wrong_value_keeps_the_row_aligned(clean_record):
    got = clean_record.model_copy(deep=True)
    got.indicators[2].score = Decimal("0.5")
    comparisons = compare_records(got, clean_record)
    wrong = [c for c in comparisons if c.outcome is not Outcome.CORRECT]
    assert [(c.path, c.outcome) for c in wrong] == [("indicators[2].score", Outcome.WRONG)]


def test_unrelated_rows_are_not_paired(clean_record):
    a = clean_record.indicators[0]
    other = a.model_copy(update={"level1": "效益指标", "level2": "社会效益指标", "name": "别的", "target": "无",
                                 "actual": "无", "weight": Decimal("1"), "score": Decimal("0")})
    assert align_rows([other], [a]) == [(0, None), (None, 0)]


def test_missed_and_invented_forms():
    gold = Record(project_name="某项目", year=2024)
    missed = _outcomes(compare_records(None, gold))
    assert set(missed) == {Outcome.OMITTED} and missed[Outcome.OMITTED] == 4 + 24 + 2 + 3
    invented = compare_records(gold, None)
    assert {(c.path, c.outcome) for c in invented} == {("year", Outcome.INVENTED), ("project_name", Outcome.INVENTED)}


def test_null_and_extra_outcomes(clean_record):
    got = clean_record.model_copy(deep=True)
    got.department = None
    got.funds.other.weight = Decimal("3")
    by_path = {c.path: c.outcome for c in compare_records(got, clean_record)}
    assert by_path["department"] is Outcome.OMITTED
    assert by_path["funds.other.weight"] is Outcome.EXTRA


def test_align_sequences_prefers_printed_order_on_ties():
    assert align_sequences(2, 2, lambda i, j: 1.0) == [(0, 0), (1, 1)]
    assert align_sequences(0, 2, lambda i, j: 1.0) == [(None, 0), (None, 1)]
