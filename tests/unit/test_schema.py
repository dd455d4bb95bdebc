"""schemas/*.schema.json are generated from the models; this fails when they are stale."""

import json
from decimal import Decimal

import pytest
from pydantic import ValidationError

from extractor.records.models import FundRow, Record
from extractor.records.schema import SCHEMA_FILES, render
from tests.conftest import ROOT, load_gold


@pytest.mark.parametrize("filename", sorted(SCHEMA_FILES))
def test_schema_file_is_current(filename):
    committed = (ROOT / "schemas" / filename).read_text(encoding="utf-8")
    assert committed == render(SCHEMA_FILES[filename]), "run: python scripts/gen_schema.py"


def test_gold_records_validate_against_the_schema():
    import jsonschema
    schema = json.loads((ROOT / "schemas" / "record.v1.schema.json").read_text(encoding="utf-8"))
    for n in range(1, 11):
        jsonschema.validate(load_gold(n)["record"], schema)


def test_decimals_never_floats():
    with pytest.raises(ValidationError):
        FundRow(weight=10.5)
    row = FundRow(weight="10.50")
    assert row.weight == Decimal("10.50")
    assert json.loads(row.model_dump_json())["weight"] == "10.50"


def test_record_forbids_unknown_fields_and_non_canonical_labels():
    with pytest.raises(ValidationError):
        Record.model_validate({"unknown": 1})
    with pytest.raises(ValidationError):
        Record.model_validate({"indicators": [{"level2": "服务对象满意度指"}]})
