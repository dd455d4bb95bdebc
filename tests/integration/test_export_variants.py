"""Export layouts other than the seed's: each hand-checked variant comes back equal to its gold."""

import json
from pathlib import Path

import pytest

from extractor import extract
from extractor.records.compare import diff_records
from extractor.records.models import Record, Severity

VARIANTS = sorted((Path(__file__).resolve().parent.parent / "data" / "exports").glob("*.txt"))


@pytest.mark.parametrize("path", VARIANTS, ids=[p.stem for p in VARIANTS])
def test_variant_equals_gold(path):
    golds = [json.loads(g.read_text(encoding="utf-8")) for g in sorted(path.parent.glob(f"{path.stem}*.gold.json"))]
    result = extract(path)
    assert result.status.value == "ok", result.error
    assert len(result.forms) == len(golds)
    for form, gold in zip(result.forms, golds, strict=True):
        diffs = diff_records(form.record, Record.model_validate(gold["record"]))
        assert diffs == [], [d.model_dump() for d in diffs]
        reported = {f.code.value for f in form.findings}
        assert set(gold["expected_findings"]) <= reported
        errors = {f.code.value for f in form.findings if f.severity is Severity.ERROR}
        assert errors <= set(gold["expected_findings"])


def test_label_and_value_in_one_cell_is_grounded_in_that_cell():
    result = extract(VARIANTS[[p.stem for p in VARIANTS].index("variant_split_target")])
    form = result.forms[0]
    src = form.provenance.fields["project_name"]
    assert src.cells[0].text == "项目名称：社区居家养老服务补贴"
    assert src.alignment.value == "normalised"
    target = form.provenance.fields["indicators[0].target"]
    assert [c.text for c in target.cells] == ["≥", "2000", "人"]
    assert form.record.indicators[5].target == "有所提升"  # 指标性质 定性 is a descriptor, not part of the value
