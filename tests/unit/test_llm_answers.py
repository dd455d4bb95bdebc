"""The answer models: grounding validators (instructor's validation context), lenient reads, conversion to a record."""

import pytest
from pydantic import ValidationError

from extractor.checking.grounding import SourceCells
from extractor.mapping.answers import (
    CitedLevel2,
    CitedNumber,
    CitedText,
    FieldReading,
    FormAnswer,
    IndicatorAnswer,
    answer_json,
    read_leniently,
)
from extractor.mapping.llm_record import to_mapped
from extractor.records.compare import diff_records
from extractor.records.models import MapMethod
from tests.support.llm import gold_answer, gold_record, seed_grid


@pytest.fixture(scope="module")
def source():
    return {"source": SourceCells.of(seed_grid(1))}


def refused(model, data, context) -> str:
    with pytest.raises(ValidationError) as err:
        model.model_validate(data, context=context)
    return str(err.value)


def test_numbers_must_be_the_number_in_their_one_cell(source):
    # L17C7 prints 15.00 (form 1, 居、村、街面、拓展网格全覆盖率, 分值)
    assert CitedNumber.model_validate({"value": "15", "cells": ["L17C7"]}, context=source).value == "15"
    assert "16.00 is not the number in L17C7 「15.00」" in refused(CitedNumber, {"value": "16.00", "cells": ["L17C7"]}, source)
    assert "exactly one cell" in refused(CitedNumber, {"value": "15.00", "cells": ["L17C7", "L17C8"]}, source)
    assert "do not exist" in refused(CitedNumber, {"value": "15.00", "cells": ["L999C1"]}, source)
    assert "cites no cell" in refused(CitedNumber, {"value": "15.00", "cells": []}, source)
    # a number sent as a JSON number or with its unit is read as printed digits
    assert CitedNumber.model_validate({"value": 15, "cells": ["L17C7"]}, context=source).value == "15"


def test_free_text_is_never_completed(source):
    form5 = {"source": SourceCells.of(seed_grid(5))}
    cell = gold_answer(5)["indicators"][0]["name"]["cells"]
    assert CitedText.model_validate({"value": "完成年初预定的采购目", "cells": cell}, context=form5)
    message = refused(CitedText, {"value": "完成年初预定的采购目标", "cells": cell}, form5)
    assert "never complete" in message and "完成年初预定的采购目」" in message


def test_label_repair_only_to_the_vocabulary_and_only_as_the_cell_reads(source):
    assert CitedLevel2.model_validate({"value": "服务对象满意度指标", "cells": ["L24C3"]}, context=source)
    assert "which the vocabulary reads as 服务对象满意度指标" in refused(
        CitedLevel2, {"value": "社会效益指标", "cells": ["L24C3"]}, source)
    assert "服务对象满意度指标" in refused(CitedLevel2, {"value": "服务满意度指标", "cells": ["L24C3"]}, source)


def test_uncited_level1_must_be_the_one_above_its_level2(source):
    row = gold_answer(1)["indicators"][0]
    row["level1"] = {"value": "产出指标", "cells": []}
    assert IndicatorAnswer.model_validate(row, context=source).level1.value == "产出指标"
    row["level1"] = {"value": "效益指标", "cells": []}
    assert "above level2 数量指标 (产出指标)" in refused(IndicatorAnswer, row, source)


def test_without_context_nothing_is_grounded():
    # The final answer after the re-asks is read this way: the checker then rejects what is not in the cells.
    assert CitedNumber.model_validate({"value": "16.00", "cells": ["L17C7"]}).value == "16.00"


def test_reading_only_the_fields_asked_for(source):
    context = {**source, "paths": ["indicators[0].weight"]}
    assert FieldReading.model_validate({"path": "indicators[0].weight", "value": "15.00", "cells": ["L17C7"]},
                                       context=context)
    assert "was not asked for" in refused(FieldReading, {"path": "total_score", "value": "99.00", "cells": ["L25C8"]},
                                          context)
    assert "not the number" in refused(FieldReading, {"path": "indicators[0].weight", "value": "14", "cells": ["L17C7"]},
                                       context)


def test_lenient_read_drops_what_does_not_fit_and_says_where():
    data = gold_answer(1)
    data["indicators"][7]["level2"]["value"] = "服务满意度指标"
    data["funds"]["total"]["weight"] = {"value": "ten", "cells": ["L10C6"]}
    data["grade"] = "优"
    answer, dropped = read_leniently(data, FormAnswer)
    assert {d.path for d in dropped} == {"indicators[7].level2", "funds.total.weight", "grade"}
    assert answer.indicators[7].level2 is None and answer.indicators[7].name.value == "投诉满意率"
    with pytest.raises(ValueError):
        read_leniently(["not", "an", "object"], FormAnswer)


def test_answer_json_from_fences_and_prose():
    assert answer_json('```json\n{"a": 1}\n```') == {"a": 1}
    assert answer_json('Here it is: {"a": {"b": 2}} hope it helps') == {"a": {"b": 2}}
    with pytest.raises(ValueError):
        answer_json("no json here")


def test_to_mapped_keeps_printed_text_and_precision():
    grid = seed_grid(1)
    source = SourceCells.of(grid)
    data = gold_answer(1)
    data["funds"]["total"]["weight"]["value"] = "10.0"  # the cell prints 10: the record keeps the printed form
    data["indicators"][1]["level1"] = {"value": "产出指标", "cells": []}
    mapped = to_mapped(FormAnswer.model_validate(data, context={"source": source}), source)
    assert format(mapped.record.funds.total.weight, "f") == "10"
    assert diff_records(mapped.record, gold_record(1)) == []
    assert mapped.provenance.fields["indicators[1].level1"].method is MapMethod.INFERRED
    assert mapped.provenance.fields["indicators[1].level1"].cells[0].id == data["indicators"][1]["level2"]["cells"][0]
    assert mapped.provenance.fields["project_name"].method is MapMethod.LLM
    assert mapped.findings == []
