"""Stored forms flattened into the export's tables (forms, indicators, findings, documents) with Chinese headers."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from extractor.domain.vocabulary import EVALUATION_FIELDS, FIELD_NAMES, INDICATOR_FIELDS
from extractor.domain.vocabulary import FUND_COLUMNS as FUND_COLUMN_NAMES
from extractor.domain.vocabulary import FUND_ROWS as FUND_ROW_NAMES
from extractor.records.models import Severity
from extractor.storage.views import DocumentInfo, StoredForm

FUND_ROWS = tuple(FUND_ROW_NAMES.items())
FUND_COLUMNS = tuple(FUND_COLUMN_NAMES.items())


@dataclass(frozen=True)
class Table:
    """One export table: its name (sheet or file), Chinese headers and rows of plain values (Decimals kept)."""

    name: str
    title: str
    headers: list[str]
    rows: list[list[Any]]


FORM_HEADERS = (["表单ID", "文件ID", "文件SHA256", "文件路径", "表序号", "表样", "年度", "项目名称", "项目编码",
                 "主管部门", "实施单位", "金额单位"]
                + [f"{row}·{col}" for _, row in FUND_ROWS for _, col in FUND_COLUMNS]
                + ["其他资金行", "预期目标", "实际完成情况", "指标数", "总分分值", "总分得分", FIELD_NAMES["reviewed_score"],
                   "评分等级", *EVALUATION_FIELDS.values(), "状态", "错误数", "警告数", "发现代码", "映射方式",
                   "提示词哈希"])
INDICATOR_HEADERS = ["表单ID", "项目名称", "年度", "序号", *INDICATOR_FIELDS.values()]
FINDING_HEADERS = ["表单ID", "项目名称", "年度", "序号", "代码", "级别", "说明", "字段", "数据"]
DOCUMENT_HEADERS = ["文件ID", "文件SHA256", "文件路径", "类型", "页数", "状态", "错误代码", "错误说明", "表单数"]


def _paths(paths: list[str]) -> str:
    return "\n".join(paths)


def form_row(item: StoredForm) -> list[Any]:
    """One line of the forms table."""
    form, record = item.form, item.form.record
    funds: list[Decimal | None] = [getattr(getattr(record.funds, row), col) for row, _ in FUND_ROWS
                                   for col, _ in FUND_COLUMNS]
    errors = sum(1 for f in form.findings if f.severity is Severity.ERROR)
    warnings = sum(1 for f in form.findings if f.severity is Severity.WARNING)
    codes = " ".join(dict.fromkeys(f.code.value for f in form.findings if f.severity is not Severity.INFO))
    return [item.id, item.document_id, item.sha256, _paths(item.paths), form.index, form.template, record.year,
            record.project_name, record.project_code, record.department, record.implementing_unit, record.money_unit,
            *funds, _extra_rows(item), record.goals.expected, record.goals.actual, len(record.indicators),
            record.total_weight, record.total_score, record.reviewed_score, record.grade,
            *(getattr(record.evaluation, key) for key in EVALUATION_FIELDS), form.status.value, errors, warnings,
            codes, item.mapper, item.prompt_hash]


def _extra_rows(item: StoredForm) -> str | None:
    """Fund rows beyond the four, one line each: label and the printed figures by column name."""
    lines = []
    for row in item.form.record.funds.extra:
        figures = "；".join(f"{name} {getattr(row, key)}" for key, name in FUND_COLUMNS if getattr(row, key) is not None)
        lines.append(f"{row.label}：{figures}" if figures else row.label)
    return "\n".join(lines) or None


def indicator_rows(item: StoredForm) -> list[list[Any]]:
    """The indicators table's lines for one form."""
    record = item.form.record
    return [[item.id, record.project_name, record.year, i, *(getattr(ind, key) for key in INDICATOR_FIELDS)]
            for i, ind in enumerate(record.indicators, start=1)]


def finding_rows(item: StoredForm) -> list[list[Any]]:
    """The findings table's lines for one form."""
    record = item.form.record
    return [[item.id, record.project_name, record.year, i, f.code.value, f.severity.value, f.message,
             " ".join(f.fields), json.dumps(f.data, ensure_ascii=False, default=str) if f.data else None]
            for i, f in enumerate(item.form.findings, start=1)]


def document_row(doc: DocumentInfo) -> list[Any]:
    """One line of the documents table."""
    return [doc.id, doc.sha256, _paths(doc.paths), doc.kind, doc.pages, doc.status, doc.error_code,
            (doc.error or {}).get("message"), doc.form_count]


def build_tables(forms: Iterable[StoredForm], documents: Iterable[DocumentInfo]) -> list[Table]:
    """The four tables of an export, in sheet order."""
    form_lines, indicator_lines, finding_lines = [], [], []
    for item in forms:
        form_lines.append(form_row(item))
        indicator_lines += indicator_rows(item)
        finding_lines += finding_rows(item)
    return [
        Table("forms", "表单", FORM_HEADERS, form_lines),
        Table("indicators", "绩效指标", INDICATOR_HEADERS, indicator_lines),
        Table("findings", "检查发现", FINDING_HEADERS, finding_lines),
        Table("documents", "文件", DOCUMENT_HEADERS, [document_row(d) for d in documents]),
    ]
