"""The canonical vocabulary of the form (rules.md), with the synonyms seen in published forms."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class VocabKind(StrEnum):
    """Which family of labels a printed text is matched against."""

    INDICATOR_LABEL = "indicator_label"  # level1 ∪ level2: a truncated cell may be either
    FUND_ROW = "fund_row"
    FUNDS_HEADER = "funds_header"
    INDICATOR_HEADER = "indicator_header"
    GOALS_HEADER = "goals_header"
    FORM_FIELD = "form_field"
    SECTION = "section"


LEVEL1: Final[tuple[str, ...]] = ("产出指标", "效益指标", "满意度指标", "成本指标")

# level2 -> the level1 values it may stand under.
LEVEL2_PARENTS: Final[MappingProxyType[str, tuple[str, ...]]] = MappingProxyType(
    {
        "数量指标": ("产出指标",),
        "质量指标": ("产出指标",),
        "时效指标": ("产出指标",),
        "成本指标": ("产出指标",),  # 2020 framework: 成本指标 under 产出指标
        "经济效益指标": ("效益指标",),
        "社会效益指标": ("效益指标",),
        "生态效益指标": ("效益指标",),
        "可持续影响指标": ("效益指标",),
        "服务对象满意度指标": ("满意度指标",),
        "经济成本指标": ("成本指标",),
        "社会成本指标": ("成本指标",),
        "生态环境成本指标": ("成本指标",),
    }
)
LEVEL2: Final[tuple[str, ...]] = tuple(LEVEL2_PARENTS)

# printed synonym -> canonical (rules.md "Synonyms seen in published forms").
_INDICATOR_SYNONYMS: Final[dict[str, str]] = {
    "进度指标": "时效指标",
    "环境效益指标": "生态效益指标",
    "社会公众或服务对象满意度指标": "服务对象满意度指标",
}

FUND_ROWS: Final[MappingProxyType[str, str]] = MappingProxyType(
    {"total": "年度资金总额", "current_year": "当年财政拨款", "carryover": "上年结转资金", "other": "其他资金"}
)
_FUND_ROW_SYNONYMS: Final[dict[str, str]] = {
    "资金总额": "年度资金总额",
    "年度资金合计": "年度资金总额",
    "财政拨款": "当年财政拨款",
    "本年财政拨款": "当年财政拨款",
    "财政拨款资金": "当年财政拨款",
    "当年财政资金": "当年财政拨款",
    "上年结转": "上年结转资金",
    "结转资金": "上年结转资金",
    "上年结余资金": "上年结转资金",
    "其他": "其他资金",
}

FUND_COLUMNS: Final[MappingProxyType[str, str]] = MappingProxyType(
    {
        "initial_budget": "年初预算数",
        "annual_budget": "全年预算数",
        "executed": "全年执行数",
        "weight": "分值",
        "execution_rate": "执行率",
        "score": "得分",
    }
)
_FUND_COLUMN_SYNONYMS: Final[dict[str, str]] = {
    "年初预算": "年初预算数",
    "调整后预算数": "全年预算数",
    "全年预算": "全年预算数",
    "全年执行": "全年执行数",
    "实际执行数": "全年执行数",
    "执行数": "全年执行数",
    "预算执行率": "执行率",
    "权重": "分值",
}

INDICATOR_COLUMNS: Final[MappingProxyType[str, str]] = MappingProxyType(
    {
        "level1": "一级指标",
        "level2": "二级指标",
        "name": "三级指标",
        "target": "年度指标值",
        "actual": "实际完成值",
        "weight": "分值",
        "score": "得分",
        "deviation": "偏差原因分析及改进措施",
        # Some provinces split 年度指标值 into three columns; the target is their concatenation.
        "target_kind": "指标性质",
        "target_value": "指标值",
        "target_unit": "度量单位",
    }
)
_INDICATOR_COLUMN_SYNONYMS: Final[dict[str, str]] = {
    "年度目标值": "年度指标值",
    "年度指标": "年度指标值",
    "预期指标值": "年度指标值",
    "全年实际值": "实际完成值",
    "实际值": "实际完成值",
    "全年完成值": "实际完成值",
    "实际完成": "实际完成值",
    "偏差原因分析及整改措施": "偏差原因分析及改进措施",
    "未完成原因分析及改进措施": "偏差原因分析及改进措施",
    "偏差原因": "偏差原因分析及改进措施",
    "权重": "分值",
    "计量单位": "度量单位",
    "单位": "度量单位",
    "指标方向": "指标性质",
}

GOALS_COLUMNS: Final[MappingProxyType[str, str]] = MappingProxyType(
    {"expected": "预期目标", "actual": "实际完成情况"}
)
_GOALS_SYNONYMS: Final[dict[str, str]] = {"实际完成": "实际完成情况", "完成情况": "实际完成情况", "总体目标": "预期目标"}

FORM_FIELDS: Final[MappingProxyType[str, str]] = MappingProxyType(
    {
        "project_name": "项目名称",
        "department": "主管部门",
        "implementing_unit": "实施单位",
        # Printed on some forms; recognised so their values are not mistaken for record fields.
        "manager": "项目负责人",
        "phone": "联系电话",
        "project_type": "项目类型",
        "unit_name": "单位名称",
    }
)
_FORM_FIELD_SYNONYMS: Final[dict[str, str]] = {
    "项目单位": "实施单位",
    "预算单位": "实施单位",
    "主管单位": "主管部门",
    "主管部门及代码": "主管部门",
    "实施单位名称": "实施单位",
    "项目属性": "项目类型",
}

SECTIONS: Final[MappingProxyType[str, str]] = MappingProxyType(
    {
        "title": "财政项目支出绩效自评表",
        "funds": "项目资金",
        "goals": "年度总体目标",
        "indicators": "绩效指标",
        "total": "总分",
        "grade": "评分等级",
        "footer": "注:格式以系统导出为准",
    }
)
_SECTION_SYNONYMS: Final[dict[str, str]] = {
    "项目支出绩效自评表": "财政项目支出绩效自评表",
    "项目资金(万元)": "项目资金",
    "项目资金(元)": "项目资金",
    "合计": "总分",
    "总计": "总分",
    "自评等级": "评分等级",
    "等级": "评分等级",
    "绩效评价等级": "评分等级",
    "自评得分": "总分",
}

GRADES: Final[tuple[str, ...]] = ("优", "良", "中", "差")
_GRADE_SYNONYMS: Final[dict[str, str]] = {"优秀": "优", "良好": "良", "中等": "中", "合格": "中", "较差": "差", "不合格": "差"}


def vocabulary(kind: VocabKind) -> dict[str, str]:
    """All printed forms of a kind (canonical and synonyms) mapped to their canonical value."""
    table: dict[str, str]
    if kind is VocabKind.INDICATOR_LABEL:
        table = {v: v for v in (*LEVEL1, *LEVEL2)} | _INDICATOR_SYNONYMS
    elif kind is VocabKind.FUND_ROW:
        table = {v: v for v in FUND_ROWS.values()} | _FUND_ROW_SYNONYMS
    elif kind is VocabKind.FUNDS_HEADER:
        table = {v: v for v in FUND_COLUMNS.values()} | _FUND_COLUMN_SYNONYMS
    elif kind is VocabKind.INDICATOR_HEADER:
        table = {v: v for v in INDICATOR_COLUMNS.values()} | _INDICATOR_COLUMN_SYNONYMS
    elif kind is VocabKind.GOALS_HEADER:
        table = {v: v for v in GOALS_COLUMNS.values()} | _GOALS_SYNONYMS
    elif kind is VocabKind.FORM_FIELD:
        table = {v: v for v in FORM_FIELDS.values()} | _FORM_FIELD_SYNONYMS
    else:
        table = {v: v for v in SECTIONS.values()} | _SECTION_SYNONYMS
    return table


def grade_of(text: str) -> str | None:
    """Canonical grade for a printed grade (优秀 → 优), or None."""
    key = "".join(text.split())
    if key in GRADES:
        return key
    return _GRADE_SYNONYMS.get(key)


def parent_of(level2: str) -> tuple[str, ...]:
    """The level1 values a canonical level2 may stand under."""
    return LEVEL2_PARENTS.get(level2, ())


def key_for(mapping: Mapping[str, str], canonical: str) -> str | None:
    """Reverse lookup: the field key of a canonical label (年度资金总额 → total)."""
    for key, value in mapping.items():
        if value == canonical:
            return key
    return None
