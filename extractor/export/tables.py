"""Stored forms flattened into the export's tables (forms, indicators, findings, documents) with Chinese headers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from extractor.domain.vocabulary import (
    DOCUMENT_STATUS_NAMES,
    EVALUATION_FIELDS,
    FIELD_NAMES,
    FINDING_NAMES,
    INDICATOR_FIELDS,
    SEVERITY_NAMES,
    STATUS_NAMES,
    field_name,
)
from extractor.domain.vocabulary import FUND_COLUMNS as FUND_COLUMN_NAMES
from extractor.domain.vocabulary import FUND_ROWS as FUND_ROW_NAMES
from extractor.records.models import Record, Severity
from extractor.records.paths import indicator_index
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
                   "评分等级", *EVALUATION_FIELDS.values(), "状态", "状态代码", "错误数", "警告数", "检查发现",
                   "发现代码", "同表另见", "映射方式", "提示词哈希"])
INDICATOR_HEADERS = ["表单ID", "项目名称", "年度", "序号", *INDICATOR_FIELDS.values()]
FINDING_HEADERS = ["表单ID", "项目名称", "年度", "序号", "发现", "代码", "级别", "级别代码", "说明", "字段", "字段路径",
                   "数据"]
DOCUMENT_HEADERS = ["文件ID", "文件SHA256", "文件路径", "类型", "页数", "状态", "状态代码", "错误代码", "错误说明",
                    "表单数"]


def _paths(paths: list[str]) -> str:
    return "\n".join(paths)


def form_row(item: StoredForm) -> list[Any]:
    """One line of the forms table."""
    form, record = item.form, item.form.record
    funds: list[Decimal | None] = [getattr(getattr(record.funds, row), col) for row, _ in FUND_ROWS
                                   for col, _ in FUND_COLUMNS]
    errors = sum(1 for f in form.findings if f.severity is Severity.ERROR)
    warnings = sum(1 for f in form.findings if f.severity is Severity.WARNING)
    codes = list(dict.fromkeys(f.code.value for f in form.findings if f.severity is not Severity.INFO))
    return [item.id, item.document_id, item.sha256, _paths(item.paths), form.index, form.template, record.year,
            record.project_name, record.project_code, record.department, record.implementing_unit, record.money_unit,
            *funds, _extra_rows(item), record.goals.expected, record.goals.actual, len(record.indicators),
            record.total_weight, record.total_score, record.reviewed_score, record.grade,
            *(getattr(record.evaluation, key) for key in EVALUATION_FIELDS), STATUS_NAMES.get(form.status.value),
            form.status.value, errors, warnings, "、".join(FINDING_NAMES.get(c, c) for c in codes) or None,
            " ".join(codes) or None, None, item.mapper, item.prompt_hash]


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


def field_label(record: Record, path: str) -> str:
    """A record path as the form prints it: indicators[0].weight → 产出指标/数量指标/覆盖率·分值, else its words."""
    index = indicator_index(path)
    if index is None or not 0 <= index < len(record.indicators) or "." not in path:
        return field_name(path)
    indicator = record.indicators[index]
    column = path.rsplit(".", 1)[1]
    names = [n for n in (indicator.level1, indicator.level2, indicator.name) if n]
    row = "/".join(names) if names else f"第{index + 1}行指标"
    return f"{row}·{INDICATOR_FIELDS.get(column, column)}"


def _data_text(data: dict[str, Any] | None) -> str | None:
    """A finding's figures one per line (`key: value`), Decimals as printed: read by people, not parsed."""
    if not data:
        return None
    return "\n".join(f"{key}: {format(value, 'f') if isinstance(value, Decimal) else value}"
                     for key, value in data.items())


def finding_rows(item: StoredForm) -> list[list[Any]]:
    """The findings table's lines for one form."""
    record = item.form.record
    return [[item.id, record.project_name, record.year, i, FINDING_NAMES.get(f.code.value, f.code.value),
             f.code.value, SEVERITY_NAMES.get(f.severity.value), f.severity.value, f.message,
             "\n".join(field_label(record, p) for p in f.fields) or None, " ".join(f.fields) or None,
             _data_text(f.data)]
            for i, f in enumerate(item.form.findings, start=1)]


def document_row(doc: DocumentInfo) -> list[Any]:
    """One line of the documents table."""
    return [doc.id, doc.sha256, _paths(doc.paths), doc.kind, doc.pages, DOCUMENT_STATUS_NAMES.get(doc.status),
            doc.status, doc.error_code,
            (doc.error or {}).get("message"), doc.form_count]


def build_tables(forms: Iterable[StoredForm], documents: Iterable[DocumentInfo]) -> list[Table]:
    """The four tables of an export, in sheet order."""
    form_lines, indicator_lines, finding_lines = [], [], []
    same_form: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for item in forms:
        form_lines.append(form_row(item))
        record = item.form.record
        if record.project_name:  # the same form read twice (a PDF and its scan, two exports): same key
            same_form[(record.project_name, record.year, record.department)].append(len(form_lines) - 1)
        indicator_lines += indicator_rows(item)
        finding_lines += finding_rows(item)
    duplicate = FORM_HEADERS.index("同表另见")
    for lines in same_form.values():
        for line in lines if len(lines) > 1 else ():
            form_lines[line][duplicate] = "、".join(str(form_lines[o][0]) for o in lines if o != line)
    return [
        Table("forms", "表单", FORM_HEADERS, form_lines),
        Table("indicators", "绩效指标", INDICATOR_HEADERS, indicator_lines),
        Table("findings", "检查发现", FINDING_HEADERS, finding_lines),
        Table("documents", "文件", DOCUMENT_HEADERS, [document_row(d) for d in documents]),
    ]
