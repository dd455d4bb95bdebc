"""`extractor report`: what analysts ask first of the stored forms, drawn (PNG) and gathered on one HTML page.

Score and grade distribution per year and per department, the most frequent findings, and execution rate against
score. Scores stay Decimals for every figure printed; they become floats only as plot coordinates, where
matplotlib needs them and nothing is computed from them. The page embeds its images: it opens offline.
"""

from __future__ import annotations

import base64
import html
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from extractor.domain.vocabulary import FINDING_NAMES, GRADES, SEVERITY_NAMES
from extractor.storage.views import StoredForm

NO_DEPARTMENT = "（未填主管部门）"
NO_YEAR = "（未填年度）"
TOP_DEPARTMENTS = 12  # departments drawn; the rest are counted in the table
TOP_FINDINGS = 15
# CJK fonts tried in order (Linux packages, then Windows and macOS); DejaVu last so Latin text always renders.
CJK_FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei",
             "Microsoft YaHei", "PingFang SC", "Heiti SC", "AR PL UMing CN", "DejaVu Sans"]


@dataclass
class ReportPoint:
    """One form as the report sees it."""

    year: str
    department: str
    score: Decimal | None
    grade: str | None
    execution_rate: Decimal | None
    status: str


@dataclass
class ReportData:
    """The forms' points and their findings counted by code (info included, severity kept)."""

    points: list[ReportPoint] = field(default_factory=list)
    findings: Counter[str] = field(default_factory=Counter)
    severities: dict[str, str] = field(default_factory=dict)


def report_data(forms: Iterable[StoredForm]) -> ReportData:
    """Gather what the report draws from stored forms (streamed: one pass, small per form)."""
    data = ReportData()
    for item in forms:
        record = item.form.record
        data.points.append(ReportPoint(
            year=str(record.year) if record.year is not None else NO_YEAR,
            department=record.department or NO_DEPARTMENT, score=record.total_score, grade=record.grade,
            execution_rate=record.funds.total.execution_rate, status=item.form.status.value))
        for finding in item.form.findings:
            data.findings[finding.code.value] += 1
            data.severities[finding.code.value] = finding.severity.value
    return data


def grade_table(points: list[ReportPoint], key: str) -> dict[str, Counter[str]]:
    """Grades counted per year or per department (`key`), forms without a grade as 未评级."""
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for point in points:
        table[getattr(point, key)][point.grade or "未评级"] += 1
    return dict(table)


def mean_score(points: list[ReportPoint]) -> Decimal | None:
    """The mean total score of the forms that have one, to two places."""
    scores = [p.score for p in points if p.score is not None]
    return (sum(scores, Decimal(0)) / len(scores)).quantize(Decimal("0.01")) if scores else None


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a server
    # A CJK font found under another weight is fine; its warning per chart would only be noise.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
    import matplotlib.pyplot as plt

    plt.rcParams["font.sans-serif"] = CJK_FONTS
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["axes.unicode_minus"] = False  # CJK fonts often lack U+2212
    return plt


GRADE_ORDER = [*GRADES, "未评级"]
GRADE_COLOURS = {"优": "#2e7d32", "良": "#7cb342", "中": "#f9a825", "差": "#c62828", "未评级": "#9e9e9e"}


def _stacked(ax: Any, table: dict[str, Counter[str]], labels: list[str], horizontal: bool) -> None:
    base = [0] * len(labels)
    for grade in GRADE_ORDER:
        counts = [table[label][grade] for label in labels]
        if not any(counts):
            continue
        if horizontal:
            ax.barh(labels, counts, left=base, color=GRADE_COLOURS[grade], label=grade)
        else:
            ax.bar(labels, counts, bottom=base, color=GRADE_COLOURS[grade], label=grade)
        base = [b + c for b, c in zip(base, counts, strict=True)]
    ax.legend(title="评分等级", fontsize=8)


def draw(data: ReportData, folder: Path) -> list[Path]:
    """The four charts as PNG files in `folder`."""
    plt = _pyplot()
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    years = sorted({p.year for p in data.points})

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    scored = {y: [float(p.score) for p in data.points if p.year == y and p.score is not None] for y in years}
    shown = [y for y in years if scored[y]]
    if shown:
        left.boxplot([scored[y] for y in shown], tick_labels=shown)
    left.set_title("总分得分分布（按年度）")
    left.set_xlabel("年度")
    left.set_ylabel("总分得分")
    _stacked(right, grade_table(data.points, "year"), years, horizontal=False)
    right.set_title("评分等级（按年度，表单数）")
    fig.tight_layout()
    written.append(_save(fig, folder / "scores-by-year.png", plt))

    by_department = grade_table(data.points, "department")
    departments = sorted(by_department, key=lambda d: (-sum(by_department[d].values()), d))[:TOP_DEPARTMENTS]
    fig, ax = plt.subplots(figsize=(10, max(3.0, 0.45 * len(departments) + 1.5)))
    _stacked(ax, by_department, departments[::-1], horizontal=True)
    ax.set_title(f"评分等级（按主管部门，表单最多的 {len(departments)} 个）")
    ax.set_xlabel("表单数")
    fig.tight_layout()
    written.append(_save(fig, folder / "grades-by-department.png", plt))

    top = data.findings.most_common(TOP_FINDINGS)
    fig, ax = plt.subplots(figsize=(10, max(3.0, 0.4 * len(top) + 1.5)))
    labels = [f"{FINDING_NAMES.get(code, code)}（{code}）" for code, _ in top][::-1]
    colours = {"error": "#c62828", "warning": "#f9a825", "info": "#90a4ae"}
    ax.barh(labels, [n for _, n in top][::-1], color=[colours.get(data.severities[c], "#90a4ae") for c, _ in top][::-1])
    ax.set_title("最常见的检查发现（红：错误，黄：警告，灰：提示）")
    ax.set_xlabel("次数")
    fig.tight_layout()
    written.append(_save(fig, folder / "top-findings.png", plt))

    fig, ax = plt.subplots(figsize=(8, 5.5))
    pairs = [p for p in data.points if p.score is not None and p.execution_rate is not None]
    for status, colour, name in (("ok", "#1565c0", "通过"), ("needs_review", "#c62828", "需复核")):
        chosen = [p for p in pairs if p.status == status]
        ax.scatter([float(p.execution_rate) for p in chosen if p.execution_rate is not None],
                   [float(p.score) for p in chosen if p.score is not None], s=14, alpha=0.7, color=colour,
                   label=f"{name}（{len(chosen)}）")
    ax.set_title("预算执行率与总分得分")
    ax.set_xlabel("年度资金总额·执行率（%）")
    ax.set_ylabel("总分得分")
    ax.legend(fontsize=8)
    fig.tight_layout()
    written.append(_save(fig, folder / "execution-vs-score.png", plt))
    return written


def _save(fig: Any, path: Path, plt: Any) -> Path:
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_html(data: ReportData, images: list[Path], path: Path, title: str) -> Path:
    """One offline HTML page: the charts inline and the counts behind them as tables."""
    years = sorted({p.year for p in data.points})
    by_year = grade_table(data.points, "year")
    year_rows = [[y, sum(by_year[y].values()), mean_score([p for p in data.points if p.year == y]),
                  *(by_year[y][g] for g in GRADE_ORDER)] for y in years]
    by_department = grade_table(data.points, "department")
    department_rows = [[d, sum(c.values()), mean_score([p for p in data.points if p.department == d]),
                        *(c[g] for g in GRADE_ORDER)]
                       for d, c in sorted(by_department.items(), key=lambda i: (-sum(i[1].values()), i[0]))]
    finding_rows = [[FINDING_NAMES.get(code, code), code, SEVERITY_NAMES.get(data.severities[code]), n]
                    for code, n in data.findings.most_common()]
    pictures = "".join(
        f'<figure><img alt="{html.escape(p.stem)}" src="data:image/png;base64,'
        f'{base64.b64encode(p.read_bytes()).decode("ascii")}"></figure>' for p in images)
    review = sum(1 for p in data.points if p.status == "needs_review")
    page = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1200px}}img{{max-width:100%}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}
td:first-child,th:first-child{{text-align:left}}</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{len(data.points)} 张表单，{review} 张需复核；{len(years)} 个年度，{len(by_department)} 个主管部门。</p>
{pictures}
<h2>按年度</h2>{_table(["年度", "表单数", "平均总分", *GRADE_ORDER], year_rows)}
<h2>按主管部门</h2>{_table(["主管部门", "表单数", "平均总分", *GRADE_ORDER], department_rows)}
<h2>检查发现</h2>{_table(["发现", "代码", "级别", "次数"], finding_rows)}
</body></html>
"""
    path.write_text(page, encoding="utf-8")
    return path


def write_report(forms: Iterable[StoredForm], folder: Path, title: str = "绩效自评表分析") -> tuple[ReportData, list[Path]]:
    """The charts and report.html in `folder`; returns the data and the files written."""
    data = report_data(forms)
    images = draw(data, folder)
    return data, [*images, write_html(data, images, folder / "report.html", title)]
