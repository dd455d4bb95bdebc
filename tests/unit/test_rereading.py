"""Arithmetic findings on an LLM record: a misreading to re-ask, or the form's own fault to report as it is."""

from extractor.checking import check
from extractor.checking.grounding import SourceCells
from extractor.mapping.answers import FormAnswer
from extractor.mapping.llm_record import to_mapped
from extractor.mapping.rereading import row_of, row_paths, suspects
from tests.support.llm import gold_answer, seed_grid


def mapped_and_suspects(n, answer):
    grid = seed_grid(n)
    source = SourceCells.of(grid)
    mapped = to_mapped(FormAnswer.model_validate(answer), source)
    report = check(mapped.record, mapped.provenance, grid).report
    return report, suspects(mapped.record, mapped.provenance, grid, report.findings)


def test_printed_faults_of_the_seed_are_not_suspected():
    for n, code in ((3, "WEIGHT_SUM"), (4, "SCORE_SUM"), (10, "FUND_COMPONENTS")):
        report, found = mapped_and_suspects(n, gold_answer(n))
        assert code in report.codes() and found == [], n


def test_score_read_from_the_weight_cell_is_suspected():
    answer = gold_answer(1)
    row = answer["indicators"][4]
    weight_cell, score_cell = row["weight"]["cells"][0], row["score"]["cells"][0]
    row["score"] = {"value": "10.00", "cells": [weight_cell]}
    report, found = mapped_and_suspects(1, answer)
    assert "SCORE_SUM" in report.codes()
    [suspect] = found
    assert suspect.path == "indicators[4].score" and suspect.codes == ["SCORE_SUM"]
    assert suspect.unused == [f"{score_cell} (9.00)"]
    assert any("cited by another number" in r for r in suspect.reasons)
    assert any("would make SCORE_SUM hold" in r for r in suspect.reasons)


def test_number_from_another_table_row_is_suspected():
    answer = gold_answer(1)
    # indicator 0's score read from the row below (it prints 10.00 there): SCORE_SUM fails
    answer["indicators"][0]["score"] = {"value": "10.00", "cells": [answer["indicators"][1]["score"]["cells"][0]]}
    report, found = mapped_and_suspects(1, answer)
    assert "SCORE_SUM" in report.codes()
    paths = {s.path: s for s in found}
    assert "indicators[0].score" in paths
    assert any("another table row" in r for r in paths["indicators[0].score"].reasons)


def test_rows_and_their_numbers():
    assert row_of("indicators[3].score") == "indicators[3]" and row_of("funds.total.executed") == "funds.total"
    assert row_of("total_score") == "totals"
    assert row_paths("indicators[3]") == ["indicators[3].weight", "indicators[3].score"]
    assert len(row_paths("funds.carryover")) == 6 and row_paths("totals") == ["total_weight", "total_score"]
