"""The LLM and hybrid mappers on whole documents: failures, hybrid routing, re-reads, cache, secrets, concurrency."""

from __future__ import annotations

import json
import logging

import pytest
from typer.testing import CliRunner

from extractor import extract
from extractor.cli import app
from extractor.errors import LLMResponseError, LLMUnavailableError
from extractor.pipeline import extract_bytes
from extractor.records.compare import diff_records
from extractor.records.models import FindingCode, FormResult, Severity
from tests.conftest import ROOT, SEED_EXPORT, load_gold
from tests.support.gold_answers import answer_for, grid_of_request
from tests.support.llm import (
    MODEL,
    SECRET,
    gold_answer,
    gold_record,
    grids_of,
    llm_settings,
    map_form,
    seed_grid,
    seed_grids,
)
from tests.support.openai_server import Answer, ScriptedServer, Status, free_port


def replay(grids):
    """A responder answering each form's request with its faithful answer."""
    answers = [answer_for(gold_record(i + 1), grid) for i, grid in enumerate(grids)]
    return lambda body: Answer(answers[grid_of_request(body, grids)])


def garbled_total_in_form_2() -> bytes:
    """The seed with form 2's 总分 label misread (总汁, as OCR does): the rules cannot find its totals."""
    lines = SEED_EXPORT.read_text(encoding="utf-8").split("\n")
    totals = [i for i, line in enumerate(lines) if line.split("\t")[1:2] == ["总分"]]
    lines[totals[1]] = lines[totals[1]].replace("\t总分\t", "\t总汁\t")
    return "\n".join(lines).encode("utf-8")


def test_hybrid_sends_no_request_for_the_seed(tmp_path):
    with ScriptedServer() as server:  # any request would get an error
        result = extract(SEED_EXPORT, llm_settings(server, tmp_path / "cache", mapper="hybrid"))
    assert len(server.requests) == 0
    assert result.status.value == "ok" and len(result.forms) == 10
    for n, form in enumerate(result.forms, start=1):
        assert diff_records(form.record, gold_record(n)) == []
        assert form.provenance.mapper == "rules" and form.provenance.llm is None


def test_hybrid_asks_only_for_the_form_the_rules_could_not_read(tmp_path):
    data = garbled_total_in_form_2()
    grids = grids_of(data)
    with ScriptedServer(responder=replay(grids)) as server:
        result = extract_bytes(data, "garbled.txt", llm_settings(server, None, mapper="hybrid", llm_concurrency=4))
    assert len(server.requests) == 1 and grid_of_request(server.requests[0], grids) == 1
    assert [f.provenance.mapper for f in result.forms] == ["rules", "llm"] + ["rules"] * 8
    form2 = result.forms[1]
    assert diff_records(form2.record, gold_record(2)) == []
    assert form2.status.value == "ok" and form2.provenance.llm["hybrid"]["chosen"] == "llm"
    assert "MISSING_FIELD" in " ".join(form2.provenance.llm["hybrid"]["reasons"])


def test_hybrid_keeps_the_rules_result_when_the_endpoint_is_down(tmp_path):
    data = garbled_total_in_form_2()
    settings = llm_settings(f"http://127.0.0.1:{free_port()}/v1", None, mapper="hybrid", llm_max_retries=0)
    result = extract_bytes(data, "garbled.txt", settings)
    assert result.status.value == "ok" and len(result.forms) == 10  # nothing lost
    form2 = result.forms[1]
    assert form2.provenance.mapper == "rules" and form2.status.value == "needs_review"
    assert "MISSING_FIELD" in {f.code.value for f in form2.findings}
    assert form2.provenance.llm["status"] == "unavailable"
    assert form2.provenance.llm["error"]["code"] == "LLM_UNAVAILABLE"
    assert all(f.provenance.llm is None for i, f in enumerate(result.forms) if i != 1)


def test_llm_mode_records_a_typed_failure_when_the_endpoint_is_down(tmp_path):
    port = free_port()
    settings = llm_settings(f"http://127.0.0.1:{port}/v1", None, llm_max_retries=1, llm_concurrency=4)
    result = extract(SEED_EXPORT, settings)
    assert result.status.value == "failed" and result.forms == []
    assert result.error["code"] == "FORMS_FAILED" and len(result.error["forms"]) == 10
    failure = result.error["forms"][0]
    assert failure["code"] == "LLM_UNAVAILABLE" and "cannot be reached" in failure["message"]
    assert str(port) in failure["message"] and failure["details"]["cause"] == "APIConnectionError"


def test_endless_timeouts_are_a_typed_failure(tmp_path):
    with ScriptedServer(responder=lambda body: Answer(gold_answer(1), delay=1.5)) as server, \
            pytest.raises(LLMUnavailableError) as err:
        map_form(seed_grid(1), llm_settings(server, None, llm_timeout_s=0.3, llm_max_retries=1))
    assert "timed out" in err.value.message and len(server.requests) == 2


def test_endless_invalid_json_is_a_typed_failure(tmp_path):
    with ScriptedServer(responder=lambda body: Answer("I cannot help with that.")) as server, \
            pytest.raises(LLMResponseError) as err:
        map_form(seed_grid(1), llm_settings(server, None, llm_reasks=2))
    assert len(server.requests) == 3 and "no readable JSON" in err.value.message


def test_cli_llm_mapper_reproduces_the_gold_records(tmp_path):
    out = tmp_path / "out.json"
    with ScriptedServer(responder=replay(seed_grids())) as server:
        env = {"EXTRACTOR_LLM_BASE_URL": server.base_url, "EXTRACTOR_LLM_MODEL": MODEL,
               "EXTRACTOR_LLM_API_KEY": SECRET, "EXTRACTOR_LLM_CACHE_DIR": str(tmp_path / "cache")}
        result = CliRunner().invoke(app, ["run", str(SEED_EXPORT), "--mapper", "llm", "--format", "json",
                                          "-o", str(out)], env=env)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    [doc] = json.loads(text)["documents"]
    assert doc["status"] == "ok" and len(doc["forms"]) == 10
    # One request per form: the real faults of forms 3, 4 and 10 are reported, not re-asked.
    assert len(server.requests) == 10
    for n, data in enumerate(doc["forms"], start=1):
        form = FormResult.model_validate(data)
        assert diff_records(form.record, gold_record(n)) == []
        expected = set(load_gold(n)["expected_findings"])
        reported = {f.code.value for f in form.findings}
        assert expected <= reported
        assert {f.code.value for f in form.findings if f.severity is Severity.ERROR} <= expected
        assert form.provenance.mapper == "llm" and "reread" not in form.provenance.llm
    assert SECRET not in text


def _misread_score() -> tuple[dict, str, str]:
    """Form 1 with indicator 4's score read from its weight cell (grounded, yet SCORE_SUM fails)."""
    answer = gold_answer(1)
    row = answer["indicators"][4]
    weight_cell, score_cell = row["weight"]["cells"][0], row["score"]["cells"][0]
    row["score"] = {"value": "10.00", "cells": [weight_cell]}
    return answer, weight_cell, score_cell


def test_arithmetic_misreading_is_reread_for_the_failing_row_only(tmp_path):
    answer, weight_cell, score_cell = _misread_score()
    reading = {"readings": [{"path": "indicators[4].weight", "value": "10.00", "cells": [weight_cell]},
                            {"path": "indicators[4].score", "value": "9.00", "cells": [score_cell]}]}
    with ScriptedServer(Answer(answer), Answer(reading)) as server:
        form = map_form(seed_grid(1), llm_settings(server, None))
    assert len(server.requests) == 2
    second = server.requests[1]
    assert second["tools"][0]["function"]["name"] == "Rereading"
    asked = second["messages"][1]["content"]
    assert "indicators[4].score" in asked and f"{score_cell} (9.00)" in asked and "各项得分之和" in asked
    assert "indicators[3]" not in asked and "巡查员工作经费" not in asked  # only the failing row, not the form
    assert diff_records(form.record, gold_record(1)) == []
    assert "SCORE_SUM" not in {f.code.value for f in form.findings}
    reread = form.provenance.llm["reread"]
    assert reread["accepted"] is True and reread["paths"] == ["indicators[4].weight", "indicators[4].score"]
    assert form.provenance.llm["requests"] == 2
    assert "read again" in form.provenance.fields["indicators[4].score"].note


def test_reread_that_repeats_the_misreading_is_not_taken(tmp_path):
    answer, weight_cell, _ = _misread_score()
    same = {"readings": [{"path": "indicators[4].score", "value": "10.00", "cells": [weight_cell]}]}
    with ScriptedServer(Answer(answer), Answer(same)) as server:
        form = map_form(seed_grid(1), llm_settings(server, None))
    assert len(server.requests) == 2
    assert form.provenance.llm["reread"]["accepted"] is False
    assert "SCORE_SUM" in {f.code.value for f in form.findings} and form.status.value == "needs_review"


def test_real_faults_of_the_form_are_not_reread(tmp_path):
    for n, code in ((3, "WEIGHT_SUM"), (4, "SCORE_SUM"), (10, "FUND_COMPONENTS")):
        with ScriptedServer(Answer(gold_answer(n))) as server:
            form = map_form(seed_grid(n), llm_settings(server, None))
        assert len(server.requests) == 1, n
        assert code in {f.code.value for f in form.findings}
        assert diff_records(form.record, gold_record(n)) == []


def test_cache_makes_reruns_free_and_repeatable(tmp_path):
    cache = tmp_path / "cache"
    wrong = gold_answer(1)
    wrong["indicators"][1]["name"]["value"] = "日常巡查覆盖率"
    with ScriptedServer(responder=lambda body: Answer(wrong)) as server:
        first = map_form(seed_grid(1), llm_settings(server, cache, llm_reasks=1))
        assert len(server.requests) == 2
        again = map_form(seed_grid(1), llm_settings(server, cache, llm_reasks=1))
        assert len(server.requests) == 2  # served from the cache
        other_model = map_form(seed_grid(1), llm_settings(server, cache, llm_reasks=1, llm_model="other-model"))
        assert len(server.requests) == 4  # another model is another question
    assert again.record == first.record and again.findings == first.findings
    assert again.provenance.llm["cached"] is True and first.provenance.llm["cached"] is False
    assert other_model.provenance.llm["model"] == "other-model"
    files = list(cache.rglob("*.json"))
    assert len(files) == 2
    entry = json.loads(files[0].read_text(encoding="utf-8"))
    assert entry["prompt"]["name"] == "map_rows" and entry["model"] in (MODEL, "other-model")
    assert all(SECRET not in f.read_text(encoding="utf-8") for f in files)


def test_api_key_never_appears_in_logs_results_cache_or_errors(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = gold_answer(1)
    wrong["indicators"][0]["weight"]["value"] = "16.00"
    cache = tmp_path / "cache"
    with ScriptedServer(Answer(wrong), Answer(gold_answer(1))) as server:
        form = map_form(seed_grid(1), llm_settings(server, cache))
    assert server.headers[0]["authorization"] == f"Bearer {SECRET}"  # it is sent to the endpoint, and only there
    down = extract(SEED_EXPORT, llm_settings(f"http://127.0.0.1:{free_port()}/v1", cache, llm_max_retries=0,
                                             llm_model="down-model"))
    with ScriptedServer(responder=lambda body: Answer("no json")) as server, pytest.raises(LLMResponseError) as err:
        map_form(seed_grid(1), llm_settings(server, None, llm_reasks=0))
    everything = [caplog.text, form.model_dump_json(), down.model_dump_json(), json.dumps(err.value.to_dict()),
                  str(err.value), *(f.read_text(encoding="utf-8") for f in cache.rglob("*.json"))]
    assert "Request options" in caplog.text  # the openai client did log its requests at DEBUG
    assert not [text for text in everything if SECRET in text]


def test_forms_of_a_document_are_mapped_concurrently_within_the_bound(tmp_path):
    grids = seed_grids()
    slow = replay(grids)

    def responder(body):
        answer = slow(body)
        answer.delay = 0.3
        return answer

    with ScriptedServer(responder=responder) as server:
        result = extract(SEED_EXPORT, llm_settings(server, None, llm_concurrency=3))
    assert len(server.requests) == 10 and 1 < server.max_in_flight <= 3
    assert [diff_records(f.record, gold_record(n)) for n, f in enumerate(result.forms, start=1)] == [[]] * 10


def test_dropped_value_is_reported_through_the_pipeline(tmp_path):
    wrong = gold_answer(1)
    wrong["indicators"][2]["score"]["value"] = "14.00"  # its cell prints 15.00
    with ScriptedServer(responder=lambda body: Answer(wrong)) as server:
        form = map_form(seed_grid(1), llm_settings(server, None, llm_reasks=0))
    [finding] = [f for f in form.findings if f.code is FindingCode.UNGROUNDED_VALUE]
    assert finding.fields == ["indicators[2].score"] and finding.severity is Severity.ERROR
    assert form.record.indicators[2].score is None and form.has_errors


def test_hybrid_keeps_the_rules_result_when_the_model_does_worse(tmp_path):
    data = garbled_total_in_form_2()
    with ScriptedServer(responder=lambda body: Answer({"project_name": None})) as server:  # an empty answer
        result = extract_bytes(data, "garbled.txt", llm_settings(server, None, mapper="hybrid", llm_reasks=0))
    assert len(server.requests) == 1
    form2 = result.forms[1]
    decision = form2.provenance.llm["hybrid"]
    assert decision["chosen"] == "rules" and decision["errors"]["llm"] > decision["errors"]["rules"]
    assert form2.provenance.mapper == "rules" and form2.record.project_name == "走访"


VARIANTS = sorted((ROOT / "tests" / "data" / "exports").glob("*.txt"))


@pytest.mark.parametrize("path", VARIANTS, ids=[p.stem for p in VARIANTS])
def test_llm_replay_of_other_export_layouts_equals_gold(tmp_path, path):
    """Other layouts (CSV, split 指标性质|指标值|度量单位 columns, label and value in one cell) through the LLM path."""
    from extractor.records.models import Record

    golds = [json.loads(g.read_text(encoding="utf-8")) for g in sorted(path.parent.glob(f"{path.stem}*.gold.json"))]
    data = path.read_bytes()
    grids = grids_of(data)
    answers = [answer_for(Record.model_validate(g["record"]), grid) for g, grid in zip(golds, grids, strict=True)]
    with ScriptedServer(responder=lambda body: Answer(answers[grid_of_request(body, grids)])) as server:
        result = extract_bytes(data, path.name, llm_settings(server, None))
    assert len(server.requests) == len(golds)
    for form, gold in zip(result.forms, golds, strict=True):
        assert diff_records(form.record, Record.model_validate(gold["record"])) == []
        assert {f.code.value for f in form.findings if f.severity is Severity.ERROR} <= set(gold["expected_findings"])


def test_a_server_echoing_the_key_does_not_leak_it(tmp_path, caplog):
    from extractor.errors import LLMRequestError

    caplog.set_level(logging.DEBUG)
    with ScriptedServer(Status(401, f"Incorrect API key provided: {SECRET}")) as server, \
            pytest.raises(LLMRequestError) as err:
        map_form(seed_grid(1), llm_settings(server, None))
    assert "Incorrect API key provided: ***" in err.value.message
    assert "401" in caplog.text  # the failure is logged, without the key
    assert SECRET not in caplog.text and SECRET not in json.dumps(err.value.to_dict())
