"""Template induction: the LLM writes a layout's definition once, the rules prove it, every form of the layout is
then read by rules. Against a local scripted OpenAI-compatible server (real HTTP, real instructor)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from extractor.evaluate.datasets import DocumentEntry, GoldForm, parse_gold
from extractor.evaluate.metrics import score_document
from extractor.evaluate.report import ROWS
from extractor.ingest.text_export import read_text_export
from extractor.mapping.induction import InducedTemplate
from extractor.pipeline import extract_bytes
from extractor.records.compare import compare_records
from extractor.records.models import FormStatus, Record
from extractor.service.store import ServiceStore
from extractor.storage.repository import Repository
from extractor.templates.store import TemplateStore
from tests.conftest import ROOT
from tests.support.llm import llm_settings
from tests.support.openai_server import Answer, ScriptedServer, free_port
from tests.support.unknown_families import FAMILIES, export, faithful_answer


def _family_of(body: dict) -> str:
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    return next(f for f, (_, labels) in FAMILIES.items()
                if sum(printed in user for printed, _, _ in labels.values()) >= 3)


def _settings(server: ScriptedServer | str, tmp_path: Path, **kw):
    return llm_settings(server, None, mapper="hybrid", data_dir=tmp_path / "data", **kw)


def _wrong(records, forms) -> list:
    out = []
    for form, gold in zip(forms, records, strict=True):
        rec = Record.model_validate(gold)
        out += [(form.index, c.path, c.got, c.expected) for c in compare_records(form.record, rec)
                if c.outcome.value != "correct"]
    return out


def test_fifty_forms_of_an_unknown_layout_cost_one_request(tmp_path):
    text, records = export("kunlun", 50, 7)
    grids, _ = read_text_export(text.encode("utf-8"))
    answer = faithful_answer("kunlun", grids[0])
    with ScriptedServer(responder=lambda body: Answer(answer)) as server:
        result = extract_bytes(text.encode("utf-8"), "kunlun.txt", _settings(server, tmp_path, trust_induced=True))
    assert len(server.requests) == 1
    assert len(result.forms) == 50 and {f.template for f in result.forms} == {"kunlun"}
    assert _wrong(records, result.forms) == []
    assert all(f.status is FormStatus.OK for f in result.forms)
    assert result.forms[0].provenance.llm["status"] == "read_by_induced_template"
    assert result.forms[1].provenance.llm["induction"]["induced"] is False  # read with the stored definition


def test_without_approval_the_forms_stay_for_review_and_the_candidate_is_kept(tmp_path):
    text, _ = export("tianshan", 3, 8)
    grids, _ = read_text_export(text.encode("utf-8"))
    answer = faithful_answer("tianshan", grids[0])
    with ScriptedServer(responder=lambda body: Answer(answer)) as server:
        result = extract_bytes(text.encode("utf-8"), "tianshan.txt", _settings(server, tmp_path))
    assert len(server.requests) == 1
    assert all(f.status is FormStatus.NEEDS_REVIEW for f in result.forms)
    assert {f.provenance.llm["status"] for f in result.forms} == {"candidate_awaits_approval"}
    assert (tmp_path / "data" / "templates" / "candidates" / "tianshan.toml").is_file()


def test_a_swapped_column_is_caught_by_the_proof_and_asked_again(tmp_path):
    text, records = export("kunlun", 4, 9)
    grids, _ = read_text_export(text.encode("utf-8"))
    right = faithful_answer("kunlun", grids[0])
    wrong = json.loads(json.dumps(right))
    for label in wrong["labels"]:  # 调整数 read as 年初预算数 and 计划数 as 全年预算数: the rates stop adding up
        if label["canonical"] == "年初预算数":
            label["canonical"] = "全年预算数"
        elif label["canonical"] == "全年预算数":
            label["canonical"] = "年初预算数"
    with ScriptedServer(Answer(wrong), responder=lambda body: Answer(right)) as server:
        result = extract_bytes(text.encode("utf-8"), "kunlun.txt", _settings(server, tmp_path, trust_induced=True))
    assert len(server.requests) == 2
    retry = server.requests[1]["messages"][-1]["content"]
    assert "failed" in retry and ("EXECUTION_RATE" in retry or "FUND_COMPONENTS" in retry)
    assert _wrong(records, result.forms) == []


def test_a_hallucinated_label_is_refused_by_validation(tmp_path):
    text, records = export("qilian", 3, 10)
    grids, _ = read_text_export(text.encode("utf-8"))
    right = faithful_answer("qilian", grids[0])
    invented = json.loads(json.dumps(right))
    invented["labels"].append({"kind": "form_field", "printed": "项目编码", "canonical": "项目名称",
                               "cells": [right["labels"][0]["cells"][0]]})
    with ScriptedServer(Answer(invented), responder=lambda body: Answer(right)) as server:
        result = extract_bytes(text.encode("utf-8"), "qilian.txt", _settings(server, tmp_path, trust_induced=True))
    assert len(server.requests) == 2  # instructor's re-ask with the reason
    assert "项目编码" in json.dumps(server.requests[1]["messages"], ensure_ascii=False)
    assert _wrong(records, result.forms) == []


def test_the_endpoint_down_leaves_the_group_for_review_with_its_reason(tmp_path):
    text, _ = export("hengshan", 5, 11)
    settings = _settings(f"http://127.0.0.1:{free_port()}/v1", tmp_path)
    result = extract_bytes(text.encode("utf-8"), "hengshan.txt", settings)
    assert len(result.forms) == 5 and all(f.status is FormStatus.NEEDS_REVIEW for f in result.forms)
    first, later = result.forms[0].provenance.llm, result.forms[1].provenance.llm
    assert first["status"] == "induction_failed" and first["induction"]["code"] == "LLM_UNAVAILABLE"
    assert "cannot be reached" in later["induction"]["error"]  # the layout is not asked again for every form


def test_two_hundred_forms_of_four_unknown_families_cost_four_requests(tmp_path):
    exports = {family: export(family, 50, 12) for family in FAMILIES}
    answers = {family: faithful_answer(family, read_text_export(text.encode("utf-8"))[0][0])
               for family, (text, _) in exports.items()}
    with ScriptedServer(responder=lambda body: Answer(answers[_family_of(body)])) as server:
        settings = _settings(server, tmp_path, trust_induced=True)
        results = {family: extract_bytes(text.encode("utf-8"), f"{family}.txt", settings)
                   for family, (text, _) in exports.items()}
    assert len(server.requests) == 4
    for family, (_, records) in exports.items():
        assert len(results[family].forms) == 50
        assert _wrong(records, results[family].forms) == [], family


def test_induce_approve_and_read_from_the_command_line(tmp_path):
    text, records = export("kunlun", 6, 13)
    sample = tmp_path / "sample.txt"
    sample.write_text(text, encoding="utf-8")
    grids, _ = read_text_export(text.encode("utf-8"))
    answer = faithful_answer("kunlun", grids[0])
    with ScriptedServer(responder=lambda body: Answer(answer)) as server:
        env = {**os.environ, "EXTRACTOR_DATA_DIR": str(tmp_path / "data"), "EXTRACTOR_LLM_BASE_URL": server.base_url,
               "EXTRACTOR_LLM_MODEL": "scripted-model", "EXTRACTOR_LLM_API_KEY": "sk-x", "EXTRACTOR_LLM_CACHE": "false"}

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "extractor.cli", *args], capture_output=True, text=True,
                                  env=env, cwd=ROOT, timeout=300, check=False)

        induced = run("templates", "induce", str(sample))
        assert induced.returncode == 0, induced.stderr
        assert "candidate kunlun" in induced.stderr and len(server.requests) == 1
        assert run("templates", "approve", "kunlun", "--reviewer", "reviewer-1").returncode == 0
        out = run("run", str(sample), "--format", "json")  # the rules mapper: no LLM at all
    assert out.returncode == 0, out.stderr
    forms = json.loads(out.stdout)["documents"][0]["forms"]
    assert {f["template"] for f in forms} == {"kunlun"} and {f["status"] for f in forms} == {"ok"}
    for form, gold in zip(forms, records, strict=True):
        assert [c for c in compare_records(Record.model_validate(form["record"]), Record.model_validate(gold))
                if c.outcome.value != "correct"] == []
    approved = (tmp_path / "data" / "templates" / "approved" / "kunlun.toml").read_text(encoding="utf-8")
    assert "approved_by" in approved and "fingerprint" in approved
    # The approval is kept in the database too (the data directory's default SQLite here).
    store = ServiceStore(Repository.open(f"sqlite:///{tmp_path / 'data' / 'extractor.db'}"))
    try:
        [kept] = store.approved_templates()
    finally:
        store.repo.close()
    assert (kept.family, kept.approved_by) == ("kunlun", "reviewer-1") and "实支数" in kept.definition


@pytest.mark.parametrize("family", list(FAMILIES))
def test_the_gold_of_each_made_up_family_is_a_valid_record(family):
    _, records = export(family, 2, 14)
    for record in records:
        parse_gold({"record": record})


def test_the_eval_harness_counts_the_induction_on_the_form_that_asked(tmp_path):
    text, records = export("qilian", 10, 15)
    grids, _ = read_text_export(text.encode("utf-8"))
    answer = faithful_answer("qilian", grids[0])
    with ScriptedServer(responder=lambda body: Answer(answer)) as server:
        result = extract_bytes(text.encode("utf-8"), "qilian.txt", _settings(server, tmp_path, trust_induced=True))
    entry = DocumentEntry(path=tmp_path / "qilian.txt", kind="text_export",
                          gold=[GoldForm(form_index=i, record=Record.model_validate(r))
                                for i, r in enumerate(records, start=1)])
    scores = score_document(entry, result)
    assert len(server.requests) == 1 and scores.cost.llm_requests == 1 and scores.forms_exact == 10
    assert scores.cost.llm_prompt_tokens > 0
    assert dict(ROWS)["LLM requests per form"](scores) == "0.100"


def test_an_imported_definition_approved_at_once_is_kept_in_the_database(tmp_path):
    text, _ = export("hengshan", 2, 16)
    grid = read_text_export(text.encode("utf-8"))[0][0]
    definition = InducedTemplate.model_validate(faithful_answer("hengshan", grid)).definition({"fingerprint": "f1"})
    shared = tmp_path / "hengshan.toml"
    shared.write_text(definition.to_toml(), encoding="utf-8")
    env = {**os.environ, "EXTRACTOR_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-m", "extractor.cli", "templates", "import", str(shared), "--approve"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "data" / "templates" / "approved" / "hengshan.toml").is_file()
    store = ServiceStore(Repository.open(f"sqlite:///{tmp_path / 'data' / 'extractor.db'}"))
    try:
        assert [(t.family, t.fingerprint) for t in store.approved_templates()] == [("hengshan", "f1")]
    finally:
        store.repo.close()


def test_a_definition_being_written_by_another_worker_is_never_read(tmp_path):
    # A back-fill lost a form (199 of 200) under load: a worker globbed `*.toml` and read another worker's
    # temporary file half written. Temporaries are hidden and not `.toml`; hidden `.toml` files are skipped.
    store = TemplateStore(tmp_path)
    store.candidates.mkdir(parents=True)
    (store.candidates / ".tmp-half.toml").write_text('id = "half', encoding="utf-8")
    assert store.list() == {"candidates": [], "approved": []}
