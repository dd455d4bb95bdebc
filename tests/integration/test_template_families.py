"""Template families as data: a new family is a definition file; half-recognised forms are never confidently wrong;
department-wide forms are refused; Traditional mirrors are read; the published forms of realworld/ read as gold."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import opencc
import pytest

from extractor.evaluate.datasets import load_dataset, parse_gold
from extractor.pipeline import extract, extract_bytes
from extractor.records.compare import compare_records, diff_records
from extractor.records.models import FindingCode, FormStatus, Record
from extractor.templates import TemplateError, default_registry
from extractor.templates.model import TemplateDefinition
from extractor.templates.registry import build_registry
from tests.conftest import ROOT, SEED_EXPORT
from tests.support.llm import llm_settings
from tests.support.openai_server import Answer, ScriptedServer

KUNLUN = ROOT / "tests" / "data" / "templates" / "kunlun"
REALWORLD = ROOT / "eval" / "datasets" / "realworld"


def _gold(path: Path) -> Record:
    return parse_gold(json.loads(path.read_text(encoding="utf-8")), path).record


def test_a_made_up_eighth_family_needs_only_its_definition_file():
    """Without kunlun.toml the form is needs_review naming its unknown columns; with it, the form equals gold."""
    export = KUNLUN / "kunlun-2023.txt"
    gold = _gold(KUNLUN / "kunlun-2023.form-01.json")
    plain = extract(export).forms[0]
    assert plain.status is FormStatus.NEEDS_REVIEW and plain.template != "kunlun"
    unmapped = [f for f in plain.findings if f.data and f.data.get("unmapped_columns")]
    assert unmapped and {"具体指标", "目标值"} <= set(unmapped[0].data["unmapped_columns"])
    # Nothing it did read is wrong: what it could not read is null, not guessed.
    assert not [c for c in compare_records(plain.record, gold) if c.outcome.value in ("wrong", "extra", "invented")]

    env = {**os.environ, "EXTRACTOR_TEMPLATES_DIR": str(KUNLUN)}
    out = subprocess.run([sys.executable, "-m", "extractor.cli", "run", str(export), "--format", "json"],
                         capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    assert out.returncode == 0, out.stderr
    form = json.loads(out.stdout)["documents"][0]["forms"][0]
    assert form["template"] == "kunlun" and form["status"] == "ok"
    assert diff_records(Record.model_validate(form["record"]), gold) == []


def test_a_definition_that_maps_off_the_vocabulary_is_refused(tmp_path):
    bad = (KUNLUN / "kunlun.toml").read_text(encoding="utf-8").replace('"计划数" = "年初预算数"', '"计划数" = "计划预算"')
    (tmp_path / "bad.toml").write_text(bad, encoding="utf-8")
    with pytest.raises(TemplateError, match="not canonical labels"):
        build_registry([tmp_path])
    (tmp_path / "bad.toml").write_text('id = "x"\nname = "x"\nprinted = ["no_such_field"]\n', encoding="utf-8")
    with pytest.raises(TemplateError, match="id is 2–40|not record paths"):
        TemplateDefinition.from_file(tmp_path / "bad.toml")


def test_hybrid_hands_exactly_the_half_recognised_form_to_the_llm(tmp_path):
    asked: list[str] = []

    def respond(body: dict) -> Answer:
        asked.append(next(m["content"] for m in body["messages"] if m["role"] == "user"))
        return Answer({"year": {"value": 2023, "cells": []}})

    with ScriptedServer(responder=respond) as server:
        settings = llm_settings(server, tmp_path / "cache", mapper="hybrid")
        seed = extract(SEED_EXPORT, settings)
        kunlun = extract(KUNLUN / "kunlun-2023.txt", settings)
    # Every request (the first and its re-asks) is about the one form whose header the rules could not map.
    assert len(seed.forms) == 10 and asked and all("项目全称" in a and "具体指标" in a for a in asked)
    assert kunlun.forms[0].status is FormStatus.NEEDS_REVIEW  # the model's answer cannot make it ok


def test_a_department_wide_form_fails_with_unsupported_template():
    result = extract(REALWORLD / "department" / "dazhou-nyj-bumenzhengti-defenbiao.txt")
    assert result.status.value == "failed" and result.forms == []
    assert result.error["code"] == "UNSUPPORTED_TEMPLATE"
    assert "部门整体" in result.error["message"] and result.error["details"]["family"] == "department"


def test_a_department_wide_title_among_project_forms_fails_only_that_form():
    seed = SEED_EXPORT.read_text(encoding="utf-8")
    department = "\n".join(["部门整体支出绩效自评表", "（2022年度）", "预算部门、单位名称\t某县农业农村局",
                            "年度预算申请(万元)\t年初预算数\t全年预算数\t全年执行数\t分值\t执行率\t自评得分",
                            "年度资金总额\t100\t100\t98\t10\t98%\t9.8", "按收入性质分\t按支出性质分",
                            "一般公共预算\t100\t基本支出\t60", "部门决策\t部门绩效情况\t履职成效"])
    result = extract_bytes((seed + "\n" + department + "\n").encode("utf-8"), "mixed.txt")
    assert result.status.value == "partial" and len(result.forms) == 10
    assert [e["code"] for e in result.error["forms"]] == ["UNSUPPORTED_TEMPLATE"]


@pytest.mark.parametrize("stem", ["yunnan/yongde-2022-yingyang-gaishan", "anhui/tianchang-2022-shuihan-fangyu"])
def test_a_traditional_character_mirror_is_found_and_read(stem):
    """Labels match after OpenCC t2s; free text stays as printed (Traditional)."""
    s2t = opencc.OpenCC("s2t")
    text = (REALWORLD / f"{stem}.txt").read_text(encoding="utf-8")
    result = extract_bytes(s2t.convert(text).encode("utf-8"), f"{stem}-zh-hant.txt")
    gold = parse_gold(json.loads((REALWORLD / f"{stem}.form-01.json").read_text(encoding="utf-8")))
    form = result.forms[0]
    assert form.template == gold.template
    expected = gold.record.model_copy(deep=True)
    expected.project_name = s2t.convert(expected.project_name)
    for ind in expected.indicators:
        ind.name = s2t.convert(ind.name)
        ind.actual = s2t.convert(ind.actual) if ind.actual else None
        ind.target = s2t.convert(ind.target) if ind.target else None
        ind.deviation = s2t.convert(ind.deviation) if ind.deviation else None
    for key in ("department", "implementing_unit"):
        value = getattr(expected, key)
        setattr(expected, key, s2t.convert(value) if value else None)
    expected.goals.expected = s2t.convert(expected.goals.expected or "") or None
    expected.goals.actual = s2t.convert(expected.goals.actual or "") or None
    wrong = [c for c in compare_records(form.record, expected, gold.skip_null) if c.outcome.value != "correct"]
    assert wrong == []


def test_published_forms_read_as_their_gold_and_none_is_silently_wrong():
    """realworld/: forms with cell boundaries equal gold; glued text is read only where labels make it certain."""
    dataset = load_dataset(REALWORLD)
    assert len({d.family for d in dataset.documents}) >= 5
    for entry in dataset.documents:
        result = extract(entry.path)
        layout = json.loads((REALWORLD / "manifest.json").read_text(encoding="utf-8"))["documents"]
        layout = next(d["layout"] for d in layout if (REALWORLD / d["path"]).resolve() == entry.path)
        if entry.expect and entry.expect.get("status") == "failed":
            assert result.error["code"] in entry.expect["error_code"]
            continue
        for form, gold in zip(result.forms, entry.gold, strict=True):
            outcomes = [c for c in compare_records(form.record, gold.record, gold.skip_null)
                        if c.outcome.value != "correct"]
            assert form.template == gold.template, entry.name
            if layout == "glued":
                # Never a guessed value: what is not null is right, and the form is sent to review.
                assert not [c for c in outcomes if c.outcome.value in ("wrong", "extra", "invented")], entry.name
                assert form.status is FormStatus.NEEDS_REVIEW
                assert any(f.code is FindingCode.MISSING_FIELD for f in form.findings)
                assert form.record.year == gold.record.year and form.record.department == gold.record.department
            else:
                assert outcomes == [], (entry.name, outcomes)
            if form.status is FormStatus.OK:
                assert outcomes == []


def test_the_registry_holds_the_seven_families_and_picks_them_by_their_cues():
    registry = default_registry()
    assert {"central", "anhui", "yunnan", "sichuan", "beijing", "ningxia", "department"} <= set(registry.definitions)
    assert not registry.get("department").supported
    assert registry.pick(["部门预算项目支出绩效自评表(2023年度)", "调整后预算数", "财政专户管理资金"]).id == "sichuan"
    assert registry.pick(["项目支出绩效自评表", "主管部门及代码", "年初预算数(A)", "得分计算方法"]).id == "beijing"
    assert registry.pick(["自评得分", "财政审核评分", "调整预算数(A)", "年初设定目标"]).id == "ningxia"
    assert registry.pick(["一些无关的文字"]).fallback
