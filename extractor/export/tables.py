"""Stored forms flattened into the export's tables (forms, indicators, findings, documents) with Chinese headers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from extractor.domain.vocabulary import (
    DOCUMENT_ERROR_NAMES,
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
DOCUMENT_HEADERS = ["文件ID", "文件SHA256", "文件路径", "类型", "页数", "状态", "状态代码", "错误", "错误代码",
                    "错误说明", "表单数"]


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
    return "\n".join(f"{key}: {_figure(value)}" for key, value in data.items())


def _figure(value: Any) -> str:
    """A value of a finding's data as a person writes it: Decimals as printed, lists joined, no Python repr."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list | tuple):
        return "、".join(_figure(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k} {_figure(v)}" for k, v in value.items())
    return "" if value is None else str(value)


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
            doc.status, DOCUMENT_ERROR_NAMES.get(doc.error_code, doc.error_code) if doc.error_code else None,
            doc.error_code,
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


# What each column holds, for the 说明 sheet; columns not named here are explained by the rules below it.
COLUMN_NOTES: dict[str, str] = {
    "表单ID": "本导出中表单的编号（数据库中的 ID），检查发现、绩效指标按它对应到表单",
    "文件ID": "来源文件的编号，文件表按它对应",
    "文件SHA256": "来源文件内容的指纹：内容相同的文件只存一份",
    "文件路径": "该文件被发现的所有路径，每行一个",
    "表序号": "表单在文件中的顺序（从 1 开始）",
    "表样": "读取时认定的表样（版式家族）",
    "金额单位": "项目资金各金额的单位（万元 或 元），按原表所印",
    "其他资金行": "四行之外原表另列的资金行，每行一条：行名与各列数字",
    "指标数": "三级指标的行数",
    "状态": "通过：检查无错误；需复核：至少一项错误，需要人工对照原件",
    "状态代码": "状态的英文代码（ok / needs_review 等），便于筛选和程序处理",
    "错误数": "级别为 错误 的检查发现数",
    "警告数": "级别为 警告 的检查发现数",
    "检查发现": "该表的检查发现名称（不含 提示），详见 检查发现 表",
    "发现代码": "检查发现的英文代码，与 检查发现 名称一一对应",
    "同表另见": "项目名称、年度、主管部门都相同的其他表单ID：同一张表读了两次（如 PDF 与扫描件），请只取其一",
    "映射方式": "把表格读成记录的方式：rules（规则）、llm（大模型）、hybrid",
    "提示词哈希": "使用大模型时提示词的版本指纹",
    "序号": "在该表单内的顺序",
    "发现": "检查发现的名称",
    "代码": "检查发现的英文代码",
    "级别": "错误：表需复核；警告：请留意；提示：仅供参考",
    "级别代码": "级别的英文代码（error / warning / info）",
    "说明": "这条发现的具体内容",
    "字段": "涉及的栏目，按原表的叫法（一级/二级/三级指标·列名，或 行名·列名）",
    "字段路径": "涉及栏目在记录中的路径（程序用）",
    "数据": "检查时算出的数字，每行一项",
    "类型": "文件的种类：文本导出、PDF、图片等",
    "页数": "PDF 或扫描件的页数",
    "错误": "文件未能读取（或未能全部读取）的原因",
    "错误代码": "原因的英文代码",
    "错误说明": "原因的详细说明（程序给出的原文，英文）",
    "表单数": "从该文件读出的表单数",
}


def column_note(header: str) -> str:
    """What a column holds, in words for the 说明 sheet."""
    if header in COLUMN_NOTES:
        return COLUMN_NOTES[header]
    if "·" in header:
        row, column = header.split("·", 1)
        return f"原表「{row}」行「{column}」列的数字，单位见 金额单位（执行率、分值、得分无单位）"
    return f"原表「{header}」栏所印的内容"


def column_guide(tables: list[Table]) -> Table:
    """The 说明 sheet: every column of every table and what it holds."""
    rows: list[list[Any]] = [[table.title, header, column_note(header)] for table in tables
                             for header in table.headers]
    return Table("columns", "说明", ["表", "列", "含义"], rows)
