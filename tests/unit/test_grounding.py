"""Grounding: a value the source does not hold is rejected, reported, and not kept."""

from decimal import Decimal

import pytest

from extractor.checking import check
from extractor.ingest.text_export import read_text_export
from extractor.mapping.rules import map_rules
from extractor.records.models import Alignment, FieldSource, FindingCode, MapMethod, Provenance
from extractor.tables.rows import read_rows


@pytest.fixture
def form5(seed_export):
    grids, _ = read_text_export(seed_export.read_bytes())
    grid = grids[4]  # 应急救援
    mapped = map_rules(read_rows(grid))
    return grid, mapped


def test_rules_output_is_fully_grounded(form5):
    grid, mapped = form5
    result = check(mapped.record, mapped.provenance, grid)
    assert "UNGROUNDED_VALUE" not in result.report.codes()
    assert result.record == mapped.record
    assert Alignment.UNGROUNDED not in result.report.alignment.values()
    assert result.report.alignment["indicators[0].name"] is Alignment.EXACT
    assert result.report.alignment["indicators[0].weight"] is Alignment.EXACT


def test_invented_value_in_hand_made_record_is_rejected(form5):
    grid, mapped = form5
    record = mapped.record.model_copy(deep=True)
    record.indicators[1].target = "≥95.00(%)"  # invented: the form says =100.00(%)
    # A hand-made record: no provenance, so the whole source is searched.
    result = check(record, None, grid)
    ungrounded = [f for f in result.report.findings if f.code is FindingCode.UNGROUNDED_VALUE]
    assert [f.fields for f in ungrounded] == [["indicators[1].target"]]
    assert result.record.indicators[1].target is None  # not kept
    assert result.report.status.value == "needs_review"


def test_edited_value_with_stale_citation_is_rejected(form5):
    grid, mapped = form5
    record = mapped.record.model_copy(deep=True)
    record.indicators[0].weight = Decimal("20.00")  # 20.00 exists elsewhere in the form, not in the cited cell
    result = check(record, mapped.provenance, grid)
    assert "UNGROUNDED_VALUE" in result.report.codes()
    assert result.record.indicators[0].weight is None
    assert result.provenance.fields["indicators[0].weight"].alignment is Alignment.UNGROUNDED


def test_completed_free_text_is_rejected(form5):
    grid, mapped = form5
    record = mapped.record.model_copy(deep=True)
    record.indicators[0].name = "完成年初预定的采购目标"  # an LLM "completing" the truncated printed text
    result = check(record, mapped.provenance, grid)
    assert result.record.indicators[0].name is None
    assert "UNGROUNDED_VALUE" in result.report.codes()


def test_numbers_compare_numerically(form5):
    grid, mapped = form5
    record = mapped.record.model_copy(deep=True)
    record.indicators[0].weight = Decimal("15")  # printed 15.00: the same number
    result = check(record, mapped.provenance, grid)
    assert result.record.indicators[0].weight == Decimal("15")
    assert result.report.alignment["indicators[0].weight"] is Alignment.NORMALISED


def test_citation_of_a_missing_cell_is_rejected(form5):
    grid, mapped = form5
    prov = mapped.provenance.model_copy(deep=True)
    prov.fields["project_name"].cells[0].id = "L999C9"
    result = check(mapped.record, prov, grid)
    assert result.record.project_name is None


def test_inferred_level1_is_grounded_through_its_level2(seed_export):
    grids, _ = read_text_export(seed_export.read_bytes())
    grid = grids[5]  # 联管大队: 社会效益指标 printed with the level1 cell dropped, under 产出指标 rows
    mapped = map_rules(read_rows(grid))
    src = mapped.provenance.fields["indicators[3].level1"]
    assert src.method is MapMethod.INFERRED
    result = check(mapped.record, mapped.provenance, grid)
    assert result.record.indicators[3].level1 == "效益指标"
    assert result.report.alignment["indicators[3].level1"] is Alignment.INFERRED
    assert "LEVEL_MISMATCH" not in result.report.codes()


def test_human_corrections_are_trusted(form5):
    grid, mapped = form5
    record = mapped.record.model_copy(deep=True)
    record.indicators[1].name = "采购货物的合格率"
    prov = mapped.provenance.model_copy(deep=True)
    prov.fields["indicators[1].name"] = FieldSource(method=MapMethod.HUMAN, printed="采购货物的")
    result = check(record, prov, grid)
    assert result.record.indicators[1].name == "采购货物的合格率"
    assert result.report.alignment["indicators[1].name"] is Alignment.CORRECTED


def test_without_source_nothing_is_grounded(form5):
    _, mapped = form5
    result = check(mapped.record, mapped.provenance, None)
    assert result.report.grounded is False
    assert result.report.alignment == {}
    assert isinstance(result.provenance, Provenance)
