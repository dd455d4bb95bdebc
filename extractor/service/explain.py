"""Findings and field paths in words a clerk reads: what each rule checks and what to look at (Chinese)."""

from __future__ import annotations

from extractor.domain.vocabulary import DOCUMENT_STATUS_NAMES, SEVERITY_NAMES, STATUS_NAMES, field_name

__all__ = ["DOCUMENT_STATUS_NAMES", "EXPLANATIONS", "SEVERITY_NAMES", "STATUS_NAMES", "explain", "field_label"]
from extractor.records.models import FindingCode

EXPLANATIONS: dict[FindingCode, str] = {
    FindingCode.WEIGHT_SUM: "分值合计不对：预算执行率分值加各项指标分值应等于总分分值 100。请核对每一行的分值是否读错，或原表本身填错。",
    FindingCode.SCORE_SUM: "得分合计不对：预算执行率得分加各项指标得分应等于总分得分。请核对各行得分与总分。",
    FindingCode.SCORE_EXCEEDS_WEIGHT: "得分超过了分值：任何一项的得分都不能高于它的分值。请核对这一行的分值和得分。",
    FindingCode.GRADE_MISMATCH: "评分等级与总分不符：≥90 为优，≥80 为良，≥60 为中，其余为差。请核对总分得分和评分等级。",
    FindingCode.FUND_COMPONENTS: "资金构成不平：年度资金总额应等于当年财政拨款、上年结转资金与其他资金之和（逐列精确相等）。",
    FindingCode.EXECUTION_RATE: "执行率算错：执行率应为全年执行数 ÷ 全年预算数 × 100（最高 100）。请核对执行数、预算数和执行率。",
    FindingCode.BUDGET_SCORE: "预算执行率得分算错：得分应为 min(执行率, 100) ÷ 100 × 分值，保留两位小数。",
    FindingCode.OVER_EXECUTION: "超预算执行：全年执行数大于全年预算数。原表可能如此，请确认数字没有读错。",
    FindingCode.DEDUCTION_WITHOUT_REASON: "扣了分却没有写偏差原因：得分低于分值时应填写偏差原因分析及改进措施。",
    FindingCode.ACHIEVED_BUT_DEDUCTED: "实际完成值已达到指标值，却被扣分。请确认完成值、指标值和得分。",
    FindingCode.MISSED_BUT_FULL_SCORE: "实际完成值未达到指标值，却得了满分。请确认完成值、指标值和得分。",
    FindingCode.LEVEL_MISMATCH: "二级指标列在了不属于它的一级指标下。请核对这一行的一级、二级指标。",
    FindingCode.LABEL_REPAIRED: "原表上的标签被截断或有错字，已按标准词表补全；原印文字保留在旁。",
    FindingCode.UNGROUNDED_VALUE: "这个值在原件里找不到，已被舍弃（置空）。请对照原件填入正确的值。",
    FindingCode.MISSING_FIELD: "必填项没有读到。请对照原件填入，或确认原表此处确为空白。",
    FindingCode.LOW_CONFIDENCE: "这个值识别得不够确定（识别置信度低、两次识别不一致或字形不符合该栏的格式）。请对照原件确认或从候选中选择。",
}




def explain(code: FindingCode | str) -> str:
    """What a finding code means and what the reviewer should check."""
    try:
        return EXPLANATIONS[FindingCode(code)]
    except ValueError:
        return ""


def field_label(path: str) -> str:
    """A record path in Chinese: funds.total.executed → 年度资金总额·全年执行数, indicators[2].score → 第3行指标·得分."""
    return field_name(path)
