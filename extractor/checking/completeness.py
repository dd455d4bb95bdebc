"""MISSING_FIELD: a required value that could not be read."""

from __future__ import annotations

from collections.abc import Iterable

from extractor.records.models import Finding, FindingCode, Provenance, Record

REQUIRED = ("year", "project_name", "department", "implementing_unit", "total_weight", "total_score", "grade")
REQUIRED_FUNDS = ("funds.total.annual_budget", "funds.total.executed")
REQUIRED_INDICATOR = ("level1", "level2", "name", "target", "actual", "weight", "score")
NAMES = {
    "year": "年度", "project_name": "项目名称", "department": "主管部门", "implementing_unit": "实施单位",
    "total_weight": "总分分值", "total_score": "总分得分", "grade": "评分等级",
    "funds.total.annual_budget": "年度资金总额·全年预算数", "funds.total.executed": "年度资金总额·全年执行数",
    "level1": "一级指标", "level2": "二级指标", "name": "三级指标", "target": "年度指标值", "actual": "实际完成值",
    "weight": "分值", "score": "得分",
}


def _missing(record: Record) -> Iterable[tuple[str, str]]:
    for path in REQUIRED:
        if getattr(record, path) is None:
            yield path, NAMES[path]
    for path in REQUIRED_FUNDS:
        if getattr(record.funds.total, path.rsplit(".", 1)[1]) is None:
            yield path, NAMES[path]
    if not record.indicators:
        yield "indicators", "绩效指标"
    for i, ind in enumerate(record.indicators):
        for attr in REQUIRED_INDICATOR:
            if getattr(ind, attr) is None:
                yield f"indicators[{i}].{attr}", f"第 {i + 1} 行指标的{NAMES[attr]}"


def missing_field(record: Record, provenance: Provenance | None, rejected: Iterable[str] = ()) -> list[Finding]:
    """One finding per required field that is null (values rejected by grounding are reported there)."""
    skip = set(rejected)
    findings = []
    for path, name in _missing(record):
        if path in skip:
            continue
        printed = None
        if provenance is not None and path in provenance.fields:
            printed = provenance.fields[path].printed
        hint = f"（印为「{printed}」，无法识别）" if printed else ""
        findings.append(Finding.of(FindingCode.MISSING_FIELD, f"未能读取{name}{hint}", [path]))
    return findings
