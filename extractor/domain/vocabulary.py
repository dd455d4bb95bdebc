"""The canonical vocabulary of the form (rules.md, record.md v1.1): the one source of every label table.

Record models, the rules reader, label repair, the LLM answer models and prompt, exports, the review page and
the explanations all derive their labels from the tables here. Family-specific spellings of these labels live
in the template definitions (`extractor/templates/families/*.toml`) and always map onto a canonical value.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from extractor.domain.text import simplified


class VocabKind(StrEnum):
    """Which family of labels a printed text is matched against."""

    INDICATOR_LABEL = "indicator_label"  # level1 ∪ level2: a truncated cell may be either
    FUND_ROW = "fund_row"
    FUNDS_HEADER = "funds_header"
    INDICATOR_HEADER = "indicator_header"
    GOALS_HEADER = "goals_header"
    FORM_FIELD = "form_field"
    SECTION = "section"
    EVALUATION = "evaluation"


# -- indicators ------------------------------------------------------------------------------------------------
# 项目决策 and 项目管理 come from the 2020 evaluation framework that some cities print as self-evaluation level1.
LEVEL1: Final[tuple[str, ...]] = ("产出指标", "效益指标", "满意度指标", "成本指标", "项目决策", "项目管理")

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
        "项目立项": ("项目决策",),
        "绩效目标": ("项目决策",),
        "资金投入": ("项目决策",),
        "资金管理": ("项目管理",),
        "组织实施": ("项目管理",),
    }
)
LEVEL2: Final[tuple[str, ...]] = tuple(LEVEL2_PARENTS)

# printed synonym -> canonical (rules.md "Synonyms seen in published forms", record.md "Names across families").
INDICATOR_SYNONYMS: Final[MappingProxyType[str, str]] = MappingProxyType({
    "进度指标": "时效指标",
    "环境效益指标": "生态效益指标",
    "社会公众或服务对象满意度指标": "服务对象满意度指标",
    "项目产出": "产出指标",
    "项目效益": "效益指标",
    "产出数量": "数量指标",
    "产出质量": "质量指标",
    "产出时效": "时效指标",
    "产出成本": "成本指标",
    "项目过程": "项目管理",
})

# -- funds -----------------------------------------------------------------------------------------------------
FUND_ROWS: Final[MappingProxyType[str, str]] = MappingProxyType(
    {"total": "年度资金总额", "current_year": "当年财政拨款", "carryover": "上年结转资金", "other": "其他资金"}
)
# Printed as its own row on some families; kept in funds.extra with its printed label (record.md v1.1).
EXTRA_FUND_ROWS: Final[tuple[str, ...]] = ("财政专户管理资金", "单位资金", "上级补助资金", "本级财政资金", "自筹资金")
FUND_ROW_SYNONYMS: Final[MappingProxyType[str, str]] = MappingProxyType({
    "资金总额": "年度资金总额",
    "年度资金合计": "年度资金总额",
    "总额": "年度资金总额",
    "财政拨款": "当年财政拨款",
    "本年财政拨款": "当年财政拨款",
    "本年一般公共预算拨款": "当年财政拨款",
    "当年一般公共预算拨款": "当年财政拨款",
    "财政拨款资金": "当年财政拨款",
    "当年财政资金": "当年财政拨款",
    "财政资金": "当年财政拨款",
    "上年结转": "上年结转资金",
    "结转资金": "上年结转资金",
    "上年结余资金": "上年结转资金",
    "上年结转结余资金": "上年结转资金",
    "其他": "其他资金",
})

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
FUND_COLUMN_SYNONYMS: Final[MappingProxyType[str, str]] = MappingProxyType({
    "年初预算": "年初预算数",
    "调整后预算数": "全年预算数",
    "调整预算数": "全年预算数",
    "全年预算": "全年预算数",
    "全年执行": "全年执行数",
    "实际执行数": "全年执行数",
    "执行数": "全年执行数",
    "预算执行数": "全年执行数",
    "预算执行率": "执行率",
    "权重": "分值",
    "自评得分": "得分",
})
# Columns of the funds block that hold no record value (a reason, a scoring method): read so their text
# stays in its own column.
FUND_NOTE_COLUMNS: Final[MappingProxyType[str, str]] = MappingProxyType({"reason": "原因", "method": "得分计算方法"})
FUND_HEADER_KEYS: Final[MappingProxyType[str, str]] = MappingProxyType({**FUND_COLUMNS, **FUND_NOTE_COLUMNS})
MONEY_UNITS: Final[tuple[str, ...]] = ("万元", "元")

# -- goals -----------------------------------------------------------------------------------------------------
GOALS_COLUMNS: Final[MappingProxyType[str, str]] = MappingProxyType(
    {"expected": "预期目标", "actual": "实际完成情况"}
)
GOALS_SYNONYMS: Final[MappingProxyType[str, str]] = MappingProxyType({
    "实际完成": "实际完成情况",
    "完成情况": "实际完成情况",
    "总体目标": "预期目标",
    "年初设定目标": "预期目标",
    "项目年度目标": "预期目标",
    "年度目标": "预期目标",
    "年度目标完成情况": "实际完成情况",
    "全年实际完成情况": "实际完成情况",
})

# -- indicator table columns -------------------------------------------------------------------------------------
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
        "method": "得分计算方法",
        # Some provinces split 年度指标值 into three columns; the target is their concatenation.
        "nature": "指标性质",
        "target_value": "指标值",
        "unit": "度量单位",
    }
)
INDICATOR_COLUMN_SYNONYMS: Final[MappingProxyType[str, str]] = MappingProxyType({
    "年度目标值": "年度指标值",
    "年度指标": "年度指标值",
    "预期指标值": "年度指标值",
    "全年实际值": "实际完成值",
    "实际值": "实际完成值",
    "全年完成值": "实际完成值",
    "实际完成": "实际完成值",
    "完成值": "实际完成值",
    "偏差原因分析及整改措施": "偏差原因分析及改进措施",
    "未完成原因分析及改进措施": "偏差原因分析及改进措施",
    "未完成原因分析": "偏差原因分析及改进措施",
    "偏差原因": "偏差原因分析及改进措施",
    "权重": "分值",
    "计量单位": "度量单位",
    "单位": "度量单位",
    "指标方向": "指标性质",
    "评分方法": "得分计算方法",
    "计分方法": "得分计算方法",
})

# -- the head of the form ----------------------------------------------------------------------------------------
FORM_FIELDS: Final[MappingProxyType[str, str]] = MappingProxyType(
    {
        "project_name": "项目名称",
        "department": "主管部门",
        "implementing_unit": "实施单位",
        # Printed on some forms; recognised so their values are not mistaken for record fields.
        "manager": "项目负责人",
        "finance_manager": "财务负责人",
        "phone": "联系电话",
        "project_type": "项目类型",
        "unit_name": "单位名称",
        "filler": "填报人",
    }
)
FORM_FIELD_SYNONYMS: Final[MappingProxyType[str, str]] = MappingProxyType({
    "项目单位": "实施单位",
    "预算单位": "实施单位",
    "主管单位": "主管部门",
    "主管部门及代码": "主管部门",
    "实施单位名称": "实施单位",
    "项目实施单位": "实施单位",
    "项目属性": "项目类型",
    "填表人": "填报人",
})

# -- sections and totals ---------------------------------------------------------------------------------------
SECTIONS: Final[MappingProxyType[str, str]] = MappingProxyType(
    {
        "title": "财政项目支出绩效自评表",
        "funds": "项目资金",
        "goals": "年度总体目标",
        "indicators": "绩效指标",
        "total": "总分",
        "grade": "评分等级",
        "reviewed": "财政审核评分",
        "other_notes": "其他需要说明事项",
        "implementation": "项目实施内容及过程概述",
        "footer": "注:格式以系统导出为准",
    }
)
SECTION_SYNONYMS: Final[MappingProxyType[str, str]] = MappingProxyType({
    "项目支出绩效自评表": "财政项目支出绩效自评表",
    "项目资金(万元)": "项目资金",
    "项目资金(元)": "项目资金",
    "合计": "总分",
    "总计": "总分",
    "自评等级": "评分等级",
    "等级": "评分等级",
    "绩效评价等级": "评分等级",
    "自评得分": "总分",
    "年度绩效指标完成情况": "绩效指标",
    "财政审核得分": "财政审核评分",
})

# -- evaluation block (record.md v1.1 `evaluation`) --------------------------------------------------------------
EVALUATION_FIELDS: Final[MappingProxyType[str, str]] = MappingProxyType(
    {"conclusion": "评价结论", "problems": "存在问题", "measures": "改进措施"}
)
EVALUATION_SYNONYMS: Final[MappingProxyType[str, str]] = MappingProxyType({
    "自评结论": "评价结论",
    "存在的问题": "存在问题",
    "主要问题": "存在问题",
    "改进意见": "改进措施",
    "整改措施": "改进措施",
})

GRADES: Final[tuple[str, ...]] = ("优", "良", "中", "差")
_GRADE_SYNONYMS: Final[dict[str, str]] = {"优秀": "优", "良好": "良", "中等": "中", "合格": "中", "较差": "差", "不合格": "差"}

# -- record fields in words (exports, review page, explanations, MISSING_FIELD messages) -----------------------
FIELD_NAMES: Final[MappingProxyType[str, str]] = MappingProxyType({
    "year": "年度",
    "project_name": "项目名称",
    "project_code": "项目编码",
    "department": "主管部门",
    "implementing_unit": "实施单位",
    "money_unit": "金额单位",
    "goals.expected": "年度总体目标·预期目标",
    "goals.actual": "年度总体目标·实际完成情况",
    "total_weight": "总分·分值",
    "total_score": "总分·得分",
    "reviewed_score": "财政审核评分",
    "grade": "评分等级",
    "evaluation.conclusion": "评价结论",
    "evaluation.problems": "存在问题",
    "evaluation.measures": "改进措施",
})
# The indicator table's record fields in printed order, with the canonical column name each comes from.
INDICATOR_FIELDS: Final[MappingProxyType[str, str]] = MappingProxyType({
    "level1": "一级指标",
    "level2": "二级指标",
    "name": "三级指标",
    "nature": "指标性质",
    "target": "年度指标值",
    "unit": "度量单位",
    "actual": "实际完成值",
    "weight": "分值",
    "score": "得分",
    "method": "得分计算方法",
    "deviation": "偏差原因分析及改进措施",
})


# -- result words (exports, review page): the English codes stay in their own columns beside these -------------
SEVERITY_NAMES: Final[MappingProxyType[str, str]] = MappingProxyType({"error": "错误", "warning": "警告", "info": "提示"})
STATUS_NAMES: Final[MappingProxyType[str, str]] = MappingProxyType({
    "ok": "通过", "needs_review": "需复核", "partial": "部分读取", "failed": "失败",
    "queued": "排队中", "running": "处理中", "done": "完成",
})
DOCUMENT_STATUS_NAMES: Final[MappingProxyType[str, str]] = MappingProxyType(
    {"ok": "已读取", "partial": "部分读取", "failed": "未能读取"}
)
# Finding codes (record.md) by a short name a clerk can filter on; the explanations live with the review page.
FINDING_NAMES: Final[MappingProxyType[str, str]] = MappingProxyType({
    "WEIGHT_SUM": "分值合计不符",
    "SCORE_SUM": "得分合计不符",
    "SCORE_EXCEEDS_WEIGHT": "得分超过分值",
    "GRADE_MISMATCH": "等级与总分不符",
    "FUND_COMPONENTS": "资金构成不平",
    "EXECUTION_RATE": "执行率计算有误",
    "BUDGET_SCORE": "预算执行得分有误",
    "OVER_EXECUTION": "超预算执行",
    "DEDUCTION_WITHOUT_REASON": "扣分未写原因",
    "ACHIEVED_BUT_DEDUCTED": "已达标仍扣分",
    "MISSED_BUT_FULL_SCORE": "未达标却满分",
    "LEVEL_MISMATCH": "指标层级不符",
    "LABEL_REPAIRED": "标签已补全",
    "UNGROUNDED_VALUE": "原件中无此值",
    "MISSING_FIELD": "缺少必填项",
    "LOW_CONFIDENCE": "识别不确定",
})
# Why a document could not be read (errors.py codes and the runner's), for the export's 文件 sheet.
DOCUMENT_ERROR_NAMES: Final[MappingProxyType[str, str]] = MappingProxyType({
    "DOCUMENT_LOAD_ERROR": "文件无法读取",
    "EMPTY_DOCUMENT": "空文件",
    "BINARY_CONTENT": "不是文本导出（二进制内容）",
    "UNKNOWN_ENCODING": "无法识别文字编码",
    "UNSUPPORTED_FORMAT": "不支持的文件格式",
    "NO_FORM_FOUND": "文件中没有找到自评表",
    "UNSUPPORTED_TEMPLATE": "不支持的表样",
    "ENCRYPTED_DOCUMENT": "文件已加密",
    "CORRUPT_DOCUMENT": "文件已损坏",
    "RESOURCE_LIMIT": "超出大小或页数限制",
    "UNSAFE_DOCUMENT": "文件不安全，已拒绝",
    "FILE_ACCESS": "无法访问该文件（权限、链接或非普通文件）",
    "INTERNAL_ERROR": "程序内部错误",
    "FORMS_FAILED": "部分表单未能读取",
    "INTERRUPTED": "读取被中断",
    "TIMEOUT": "读取超时",
    "WORKER_CRASHED": "读取进程崩溃",
    "LLM_ERROR": "大模型调用出错",
    "LLM_UNAVAILABLE": "大模型服务不可用",
    "LLM_REQUEST_REJECTED": "大模型拒绝了请求",
    "LLM_INVALID_RESPONSE": "大模型答复无效",
    "CONFIGURATION_ERROR": "配置错误",
})

def vocabulary(kind: VocabKind) -> dict[str, str]:
    """All printed forms of a kind (canonical and generic synonyms) mapped to their canonical value."""
    canonical, synonyms = _TABLES[kind]
    return {v: v for v in canonical} | dict(synonyms)


_TABLES: Final[dict[VocabKind, tuple[tuple[str, ...], Mapping[str, str]]]] = {
    VocabKind.INDICATOR_LABEL: ((*LEVEL1, *LEVEL2), INDICATOR_SYNONYMS),
    VocabKind.FUND_ROW: ((*FUND_ROWS.values(), *EXTRA_FUND_ROWS), FUND_ROW_SYNONYMS),
    VocabKind.FUNDS_HEADER: (tuple(FUND_HEADER_KEYS.values()), FUND_COLUMN_SYNONYMS),
    VocabKind.INDICATOR_HEADER: (tuple(INDICATOR_COLUMNS.values()), INDICATOR_COLUMN_SYNONYMS),
    VocabKind.GOALS_HEADER: (tuple(GOALS_COLUMNS.values()), GOALS_SYNONYMS),
    VocabKind.FORM_FIELD: (tuple(FORM_FIELDS.values()), FORM_FIELD_SYNONYMS),
    VocabKind.SECTION: (tuple(SECTIONS.values()), SECTION_SYNONYMS),
    VocabKind.EVALUATION: (tuple(EVALUATION_FIELDS.values()), EVALUATION_SYNONYMS),
}


def grade_of(text: str) -> str | None:
    """Canonical grade for a printed grade (优秀 → 优, 優 → 优), or None."""
    key = simplified("".join(text.split()))
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


def field_name(path: str) -> str:
    """A record path in words: funds.total.executed → 年度资金总额·全年执行数, indicators[2].score → 第3行指标·得分."""
    if path in FIELD_NAMES:
        return FIELD_NAMES[path]
    parts = path.split(".")
    if parts[0] == "funds" and len(parts) == 3:
        row = FUND_ROWS.get(parts[1], parts[1])
        if parts[1].startswith("extra["):
            row = f"其他资金行{int(parts[1][6:-1]) + 1}"
        return f"{row}·{FUND_COLUMNS.get(parts[2], parts[2])}"
    if parts[0].startswith("indicators[") and len(parts) == 2:
        index = int(parts[0][len("indicators["):-1])
        return f"第{index + 1}行指标·{INDICATOR_FIELDS.get(parts[1], parts[1])}"
    return path
