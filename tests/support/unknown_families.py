"""Form families no definition knows, for the template-induction tests: the central form relabelled.

Each made-up family prints the central form's table under its own labels (项目全称 for 项目名称, 实支数 for
全年执行数, …) and its own title. `faithful_answer` is the definition a faithful model would answer for a sample
grid: every relabelled label mapped onto its canonical label, citing a cell that prints it.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path
from typing import Any

from extractor.domain.text import norm_key
from extractor.ingest.text_export import read_text_export
from extractor.layout import Grid
from scripts.corpus.forms import random_form
from scripts.corpus.layouts import FormLayout, Printing, build
from scripts.corpus.text_export import Mess, render_text

# family id → (title, printed label → (kind, canonical label)); the printed labels replace the central form's.
FAMILIES: dict[str, tuple[str, dict[str, tuple[str, str, str]]]] = {
    "kunlun": ("专项资金绩效自评表（昆仑）", {
        "项目名称": ("项目全称", "form_field", "项目名称"), "主管部门": ("归口部门", "form_field", "主管部门"),
        "实施单位": ("承办单位", "form_field", "实施单位"),
        "年初预算数": ("计划数", "fund_column", "年初预算数"), "全年预算数": ("调整数", "fund_column", "全年预算数"),
        "全年执行数": ("实支数", "fund_column", "全年执行数"), "执行率": ("完成比例", "fund_column", "执行率"),
        "年度资金总额": ("资金合计", "fund_row", "年度资金总额"), "其中：当年财政拨款": ("财政补助", "fund_row", "当年财政拨款"),
        "上年结转资金": ("往年结余", "fund_row", "上年结转资金"), "其他资金": ("自筹及其他", "fund_row", "其他资金"),
        "三级指标": ("具体指标", "indicator_column", "三级指标"), "年度指标值": ("目标值", "indicator_column", "年度指标值"),
        "偏差原因分析及改进措施": ("扣分原因", "indicator_column", "偏差原因分析及改进措施"),
    }),
    "tianshan": ("项目绩效自评表（天山）", {
        "项目名称": ("项目", "form_field", "项目名称"), "主管部门": ("主管单位", "form_field", "主管部门"),
        "实施单位": ("执行单位", "form_field", "实施单位"),
        "年初预算数": ("预算安排", "fund_column", "年初预算数"), "全年预算数": ("调整后预算", "fund_column", "全年预算数"),
        "全年执行数": ("实际支出", "fund_column", "全年执行数"), "执行率": ("支出进度", "fund_column", "执行率"),
        "年度资金总额": ("资金总计", "fund_row", "年度资金总额"),
        "实际完成值": ("实际情况", "indicator_column", "实际完成值"), "年度指标值": ("计划目标", "indicator_column", "年度指标值"),
        "偏差原因分析及改进措施": ("说明", "indicator_column", "偏差原因分析及改进措施"),
    }),
    "qilian": ("资金绩效自评表（祁连）", {
        "项目名称": ("资金名称", "form_field", "项目名称"), "实施单位": ("使用单位", "form_field", "实施单位"),
        "年初预算数": ("期初预算", "fund_column", "年初预算数"), "全年预算数": ("全年安排", "fund_column", "全年预算数"),
        "全年执行数": ("累计支出", "fund_column", "全年执行数"), "分值": ("分数", "fund_column", "分值"),
        "得分": ("评分", "fund_column", "得分"), "执行率": ("支出率", "fund_column", "执行率"),
        "预期目标": ("计划目标", "goals", "预期目标"), "实际完成情况": ("完成结果", "goals", "实际完成情况"),
        "一级指标": ("指标大类", "indicator_column", "一级指标"), "二级指标": ("指标类别", "indicator_column", "二级指标"),
        "三级指标": ("指标名称", "indicator_column", "三级指标"),
    }),
    "hengshan": ("预算项目绩效自评表（恒山）", {
        "主管部门": ("上级主管", "form_field", "主管部门"), "实施单位": ("项目单位名称", "form_field", "实施单位"),
        "全年预算数": ("年中调整数", "fund_column", "全年预算数"), "全年执行数": ("年终决算数", "fund_column", "全年执行数"),
        "年度资金总额": ("合计金额", "fund_row", "年度资金总额"), "上年结转资金": ("结余结转", "fund_row", "上年结转资金"),
        "年度指标值": ("指标目标值", "indicator_column", "年度指标值"), "实际完成值": ("实际达到值", "indicator_column", "实际完成值"),
        "评分等级": ("考评等次", "section", "评分等级"), "总分": ("综合评分", "section", "总分"),
    }),
}


def layout(family: str, rng: random.Random, relabel: bool = True) -> FormLayout:
    """One random form of a made-up family (the central `seed` layout, relabelled; as the central form prints it
    when `relabel` is false: the same cells at the same places, only the labels differ)."""
    title, labels = FAMILIES[family]
    base = build(random_form(rng, 0.0), "seed", Printing(), rng)
    if not relabel:
        return base
    cells = [replace(c, text=labels[c.text][0]) if c.text in labels else c for c in base.cells]
    return replace(base, title=title, cells=cells)


def export(family: str, forms: int, seed: int, relabel: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """A clean tab-separated export of `forms` forms of a made-up family, and their gold records (with
    `relabel` false, the same forms under the central labels: its cell ids are the family export's)."""
    rng = random.Random(f"{family}:{seed}")
    layouts = [layout(family, rng, relabel) for _ in range(forms)]
    return render_text(layouts, rng, Mess.none(), "tsv"), [lay.record for lay in layouts]


def faithful_answer(family: str, grid: Grid) -> dict[str, Any]:
    """The definition a faithful model answers for a sample of the family, every label citing its cell."""
    title, labels = FAMILIES[family]
    by_text = {norm_key(c.text): c.id for c in grid.cells() if c.text.strip()}
    answered = []
    for printed, kind, canonical in labels.values():
        cell = by_text.get(norm_key(printed))
        if cell is not None:
            answered.append({"kind": kind, "printed": printed, "canonical": canonical, "cells": [cell]})
            if kind == "fund_column" and canonical in ("分值", "得分"):  # the indicator table prints it too
                answered.append({"kind": "indicator_column", "printed": printed, "canonical": canonical,
                                 "cells": [cell]})
    cues = [printed for printed, _, _ in labels.values() if len(printed) >= 3][:6]
    return {"id": family, "name": title, "titles": [title], "cue_labels": cues, "labels": answered,
            "rate_basis": "annual_budget", "total_score_from": ["total_row"], "grade_on": "grade_row",
            "printed": ["year", "project_name", "department", "implementing_unit", "funds.total.annual_budget",
                        "funds.total.executed", "indicators", "indicators[].name", "indicators[].weight",
                        "indicators[].score", "total_weight", "total_score"]}


def family_of_request(body: dict[str, Any]) -> str:
    """The made-up family whose sample an induction request shows (by its printed labels)."""
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    return next(f for f, (_, labels) in FAMILIES.items()
                if sum(printed in user for printed, _, _ in labels.values()) >= 3)


def write_archive(folder: Path, files_per_family: int, forms_per_file: int) -> tuple[
        dict[tuple[str, int], dict[str, Any]], dict[str, dict[str, Any]]]:
    """An archive of the made-up families (a family's files next to each other), its gold by (file name, form index),
    and the faithful definition of each family."""
    folder.mkdir(parents=True, exist_ok=True)
    gold: dict[tuple[str, int], dict[str, Any]] = {}
    answers: dict[str, dict[str, Any]] = {}
    for n in range(files_per_family):
        for family in FAMILIES:
            text, records = export(family, forms_per_file, 100 + n)
            name = f"{family}-{n:02d}.txt"
            (folder / name).write_text(text, encoding="utf-8")
            gold.update({(name, i): record for i, record in enumerate(records, start=1)})  # forms count from 1
            if family not in answers:
                answers[family] = faithful_answer(family, read_text_export(text.encode("utf-8"))[0][0])
    return gold, answers
