"""The LLM mapper against a local OpenAI-compatible server serving scripted answers (real HTTP, real clients)."""

from __future__ import annotations

import json

import pytest

from extractor.errors import ConfigurationError
from extractor.mapping import get_mapper
from extractor.records.compare import diff_records
from extractor.records.models import FindingCode, MapMethod, Severity
from tests.support.llm import MODEL, gold_answer, gold_record, llm_settings, map_form, seed_grid
from tests.support.openai_server import Answer, ScriptedServer, Status


def codes(form, severity=None):
    return [f.code.value for f in form.findings if severity is None or f.severity is severity]


def ungrounded(form):
    return {path for f in form.findings if f.code is FindingCode.UNGROUNDED_VALUE for path in f.fields}


def reask_text(body) -> str:
    """The messages instructor added after the first attempt (where the validation error is sent back)."""
    return json.dumps(body["messages"][2:], ensure_ascii=False)


@pytest.mark.parametrize(("mode", "shape"), [
    ("tools", "tools"), ("json_schema", "json_schema"), ("json", "json_object"), ("md_json", None)])
def test_correct_answer_yields_the_gold_record(tmp_path, mode, shape):
    with ScriptedServer(Answer(gold_answer(1))) as server:
        form = map_form(seed_grid(1), llm_settings(server, tmp_path / "cache", llm_mode=mode))
    assert diff_records(form.record, gold_record(1)) == []
    assert len(server.requests) == 1
    request = server.requests[0]
    assert request["model"] == MODEL and request["temperature"] == 0
    if shape == "tools":
        assert request["tools"][0]["function"]["name"] == "FormAnswer" and "response_format" not in request
    elif shape is None:
        assert "tools" not in request and "response_format" not in request
    else:
        assert request["response_format"]["type"] == shape
    # Provenance: every value names its cell and says the LLM mapped it; the envelope says how.
    src = form.provenance.fields["funds.total.executed"]
    assert src.method is MapMethod.LLM and [c.id for c in src.cells] == ["L10C5"] and src.cells[0].text == "148.79"
    assert form.provenance.mapper == "llm"
    llm = form.provenance.llm
    assert llm["model"] == MODEL and llm["prompt"]["name"] == "map_rows" and len(llm["prompt"]["hash"]) == 16
    assert llm["requests"] == 1 and llm["usage"]["total_tokens"] > 0 and llm["cached"] is False
    assert codes(form, Severity.ERROR) == [] and form.status.value == "ok"


def test_vocabulary_repair_of_a_cut_off_label_is_accepted(tmp_path):
    with ScriptedServer(Answer(gold_answer(1))) as server:
        form = map_form(seed_grid(1), llm_settings(server, None))
    assert form.record.indicators[7].level2 == "服务对象满意度指标"
    src = form.provenance.fields["indicators[7].level2"]
    assert src.printed == "服务对象满意度指" and src.repair["canonical"] == "服务对象满意度指标"
    assert src.alignment.value == "repaired"
    [repaired] = [f for f in form.findings if f.code is FindingCode.LABEL_REPAIRED]
    assert repaired.fields == ["indicators[7].level2"] and repaired.data["printed"] == "服务对象满意度指"
    assert len(server.requests) == 1  # accepted on the first answer: no re-ask


def test_hallucinated_number_is_sent_back_and_the_corrected_answer_kept(tmp_path):
    wrong = gold_answer(1)
    wrong["indicators"][0]["weight"]["value"] = "16.00"  # the cited cell prints 15.00
    with ScriptedServer(Answer(wrong), Answer(gold_answer(1))) as server:
        form = map_form(seed_grid(1), llm_settings(server, None))
    assert len(server.requests) == 2
    sent_back = reask_text(server.requests[1])
    assert "16.00" in sent_back and "L17C7" in sent_back and "15.00" in sent_back
    assert diff_records(form.record, gold_record(1)) == []
    assert ungrounded(form) == set() and len(form.provenance.llm["reasks"]) == 1


def test_hallucinated_number_that_persists_never_reaches_the_record(tmp_path):
    wrong = gold_answer(1)
    wrong["indicators"][0]["weight"]["value"] = "16.00"
    wrong["total_score"] = {"value": "98.00", "cells": ["L25C8"]}  # its cell prints 99.00
    with ScriptedServer(responder=lambda body: Answer(wrong)) as server:
        form = map_form(seed_grid(1), llm_settings(server, None, llm_reasks=2))
    assert len(server.requests) == 3  # the first answer and two re-asks
    assert form.record.indicators[0].weight is None and form.record.total_score is None
    assert ungrounded(form) == {"indicators[0].weight", "total_score"}
    assert "MISSING_FIELD" not in codes(form)  # a rejected value is reported once, as rejected
    assert form.status.value == "needs_review"
    assert "16.00" not in form.record.model_dump_json() and "98.00" not in form.record.model_dump_json()
    assert form.provenance.llm["validated"] is False


def test_uncited_value_is_rejected(tmp_path):
    wrong = gold_answer(1)
    wrong["project_name"]["cells"] = []
    with ScriptedServer(responder=lambda body: Answer(wrong)) as server:
        form = map_form(seed_grid(1), llm_settings(server, None, llm_reasks=1))
    assert "cites no cell" in reask_text(server.requests[1])
    assert form.record.project_name is None and ungrounded(form) == {"project_name"}
    assert "MISSING_FIELD" not in codes(form)


def test_invented_indicator_name_is_rejected(tmp_path):
    wrong = gold_answer(1)
    wrong["indicators"][1]["name"]["value"] = "日常巡查覆盖率"  # plausible, cites the 日常巡查率 cell
    with ScriptedServer(responder=lambda body: Answer(wrong)) as server:
        form = map_form(seed_grid(1), llm_settings(server, None, llm_reasks=1))
    assert len(server.requests) == 2
    assert "日常巡查率" in reask_text(server.requests[1]) and "never complete" in reask_text(server.requests[1])
    assert form.record.indicators[1].name is None and ungrounded(form) == {"indicators[1].name"}
    assert "日常巡查覆盖率" not in form.model_dump_json(include={"record"})


def test_completed_free_text_is_rejected_and_the_printed_text_accepted(tmp_path):
    completed = gold_answer(5)
    assert completed["indicators"][0]["name"]["value"] == "完成年初预定的采购目"
    completed["indicators"][0]["name"]["value"] = "完成年初预定的采购目标"
    with ScriptedServer(responder=lambda body: Answer(completed)) as server:
        form = map_form(seed_grid(5), llm_settings(server, None, llm_reasks=1))
    assert form.record.indicators[0].name is None and ungrounded(form) == {"indicators[0].name"}
    assert form.status.value == "needs_review"
    with ScriptedServer(Answer(completed), Answer(gold_answer(5))) as server:
        form = map_form(seed_grid(5), llm_settings(server, None))
    assert form.record.indicators[0].name == "完成年初预定的采购目" and len(server.requests) == 2
    assert diff_records(form.record, gold_record(5)) == []


def test_label_outside_the_vocabulary_or_unlike_its_cell_is_rejected(tmp_path):
    wrong = gold_answer(1)
    wrong["indicators"][7]["level2"]["value"] = "服务满意度指标"  # not a vocabulary label
    wrong["indicators"][3]["level2"]["value"] = "社会效益指标"  # vocabulary, but its cell prints 经济效益指标
    with ScriptedServer(responder=lambda body: Answer(wrong)) as server:
        form = map_form(seed_grid(1), llm_settings(server, None, llm_reasks=1))
    sent_back = reask_text(server.requests[1])
    assert "服务对象满意度指标" in sent_back  # the allowed labels are listed
    assert "经济效益指标" in sent_back  # what the cited cell reads as
    assert form.record.indicators[7].level2 is None and form.record.indicators[3].level2 is None
    assert ungrounded(form) >= {"indicators[7].level2", "indicators[3].level2"}


def test_invalid_json_is_reasked_then_succeeds(tmp_path):
    with ScriptedServer(Answer('{"year": {"value": 2024, "cells": ["L5C1"]}, "project_name": '),
                        Answer(gold_answer(1))) as server:
        form = map_form(seed_grid(1), llm_settings(server, None))
    assert len(server.requests) == 2
    assert "json" in reask_text(server.requests[1]).lower()
    assert diff_records(form.record, gold_record(1)) == []


def test_rate_limit_then_success(tmp_path):
    with ScriptedServer(Status(429, "slow down", headers={"retry-after-ms": "20"}), Answer(gold_answer(1))) as server:
        form = map_form(seed_grid(1), llm_settings(server, None))
    assert len(server.requests) == 2 and diff_records(form.record, gold_record(1)) == []


def test_server_error_then_success(tmp_path):
    with ScriptedServer(Status(503, headers={"retry-after-ms": "20"}), Answer(gold_answer(1))) as server:
        form = map_form(seed_grid(1), llm_settings(server, None))
    assert len(server.requests) == 2 and diff_records(form.record, gold_record(1)) == []


def test_timeout_then_success(tmp_path):
    with ScriptedServer(Answer(gold_answer(1), delay=3.0), Answer(gold_answer(1))) as server:
        form = map_form(seed_grid(1), llm_settings(server, None, llm_timeout_s=0.5))
    assert len(server.requests) == 2 and diff_records(form.record, gold_record(1)) == []


def test_missing_endpoint_is_a_configuration_error():
    from extractor.settings import Settings

    for name in ("llm", "hybrid"):
        with pytest.raises(ConfigurationError) as err:
            get_mapper(name, Settings(llm_model="m"))
        assert "EXTRACTOR_LLM_BASE_URL" in err.value.message
        with pytest.raises(ConfigurationError) as err:
            get_mapper(name, Settings(llm_base_url="http://127.0.0.1:9/v1"))
        assert "EXTRACTOR_LLM_MODEL" in err.value.message


def test_rejected_request_is_not_retried_and_says_why(tmp_path):
    from extractor.errors import LLMRequestError

    with ScriptedServer(Status(401, "invalid api key"), Answer(gold_answer(1))) as server, \
            pytest.raises(LLMRequestError) as err:
        map_form(seed_grid(1), llm_settings(server, None))
    assert len(server.requests) == 1 and err.value.code == "LLM_REQUEST_REJECTED"
    assert "HTTP 401" in err.value.message and "invalid api key" in err.value.message


def test_no_temperature_is_sent_when_unset(tmp_path, monkeypatch):
    monkeypatch.setenv("EXTRACTOR_LLM_TEMPERATURE", "none")
    from extractor.settings import Settings

    assert Settings().llm_temperature is None
    with ScriptedServer(Answer(gold_answer(1))) as server:
        map_form(seed_grid(1), llm_settings(server, None, llm_temperature=None, llm_max_tokens=8000))
    assert "temperature" not in server.requests[0] and server.requests[0]["max_tokens"] == 8000


def test_answer_cut_off_is_a_typed_failure(tmp_path):
    from extractor.errors import LLMResponseError

    with ScriptedServer(Answer('{"year": {"value": 20', finish_reason="length")) as server, \
            pytest.raises(LLMResponseError) as err:
        map_form(seed_grid(1), llm_settings(server, None))
    assert "cut off" in err.value.message and len(server.requests) == 1
