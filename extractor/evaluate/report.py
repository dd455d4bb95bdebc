"""Evaluation reports: a Markdown table (configurations side by side), JSON, and an accuracy-vs-speed chart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from extractor.evaluate.metrics import FIELD_GROUPS, FieldTally, Scores
from extractor.evaluate.results import ConfigResult, EvalReport

REPORT_MD = "report.md"
REPORT_JSON = "report.json"
CHART_PNG = "accuracy-vs-speed.png"


def _pct(num: int, den: int) -> str:
    return f"{100 * num / den:.2f} % ({num}/{den})" if den else "—"


def _tally(t: FieldTally) -> str:
    return _pct(t.correct, t.total)


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _repairs(s: Scores) -> str:
    total = sum(t.total for t in s.label_repairs.values())
    if not total:
        return "none made"
    correct = sum(t.correct for t in s.label_repairs.values())
    parts = ", ".join(f"{m} {t.correct}/{t.total}" for m, t in sorted(s.label_repairs.items()))
    return f"{correct}/{total} ({parts})"


def _false_errors(s: Scores) -> str:
    if not s.false_errors:
        return "0"
    codes = ", ".join(f"{c}×{n}" for c, n in sorted(s.false_error_codes.items()))
    return f"{s.false_errors} ({codes}; {s.forms_false_review} form(s) needlessly in review)"


def _failed(s: Scores) -> str:
    failed = sum(s.failures.values())
    if not failed:
        return f"0 of {s.documents}"
    codes = ", ".join(f"{c}×{n}" for c, n in sorted(s.failures.items()))
    expected = f"; {failed - s.documents_failed} as expected" if failed != s.documents_failed else ""
    return f"{failed} of {s.documents} ({codes}{expected})"


def _group(name: str) -> Callable[[Scores], str]:
    return lambda s: _tally(s.groups[name])


Row = tuple[str, Callable[[Scores], str]]
ROWS: list[Row] = [
    ("**field accuracy**", lambda s: f"**{_tally(s.fields)}**" if s.fields.total else "—"),
    *[(f"· {g.replace('_', ' ')}", _group(g)) for g in FIELD_GROUPS],
    ("wrong / omitted / extra fields", lambda s: f"{s.fields.wrong} / {s.fields.omitted} / {s.fields.extra}"),
    ("row recall", lambda s: _pct(s.rows_matched, s.rows_gold)),
    ("row precision", lambda s: _pct(s.rows_matched, s.rows_output)),
    ("label repairs correct", _repairs),
    ("hallucinations caught by the checker", lambda s: f"{s.hallucinations_caught} of {s.hallucinations}"),
    ("correct values rejected as ungrounded", lambda s: str(s.false_rejections)),
    ("wrong values in forms passed as ok", lambda s: f"{s.silent_wrong_fields} (in {s.silent_wrong_forms} form(s))"),
    ("finding recall", lambda s: _pct(s.findings_found, s.findings_expected)),
    ("false errors", _false_errors),
    ("forms exact / matched / missed / extra",
     lambda s: f"{s.forms_exact} / {s.forms_matched} / {s.forms_missed} / {s.forms_extra}"),
    ("documents failed", _failed),
    ("documents as expected (`expect`)", lambda s: _pct(s.expectations.correct, s.expectations.total)),
    ("seconds per page (CPU)", lambda s: f"{_seconds(s.cost.seconds_per_page)} ({_seconds(s.cost.cpu_seconds_per_page)})"),
    ("LLM requests / tokens", lambda s: f"{s.cost.llm_requests} / {s.cost.llm_tokens}"
     + (f" ({s.cost.llm_cached_forms} form(s) from cache)" if s.cost.llm_cached_forms else "")),
    ("LLM requests per form", lambda s: f"{s.cost.llm_requests / s.forms:.3f}" if s.forms else "—"),
]


def _table(results: list[ConfigResult], pick: Callable[[ConfigResult], Scores | None], memory: bool) -> list[str]:
    lines = ["| measure | " + " | ".join(f"`{r.label}`" for r in results) + " |",
             "|---|" + "---|" * len(results)]
    for name, cell in ROWS:
        values = []
        for r in results:
            scores = pick(r)
            values.append("not run" if r.error else ("—" if scores is None else cell(scores)))
        if all(v == "—" for v in values):
            continue  # nothing to say (e.g. field rows for broken inputs that have no gold)
        lines.append(f"| {name} | " + " | ".join(values) + " |")
    if memory:
        values = ["not run" if r.error else (f"{r.peak_memory_mb:.0f} MB" if r.peak_memory_mb is not None else "—")
                  for r in results]
        lines.append("| peak memory | " + " | ".join(values) + " |")
    return lines


def _of_kind(kind: str) -> Callable[[ConfigResult], Scores | None]:
    return lambda r: r.by_kind.get(kind)


def _short(num: int, den: int) -> str:
    return f"{100 * num / den:.1f} %" if den else "—"


SUMMARY: list[Row] = [
    ("forms", lambda s: str(s.forms)),
    ("field accuracy", lambda s: f"{100 * s.fields.correct / s.fields.total:.2f} %" if s.fields.total else "—"),
    ("rows R / P", lambda s: f"{_short(s.rows_matched, s.rows_gold)} / {_short(s.rows_matched, s.rows_output)}"),
    ("finding recall", lambda s: _short(s.findings_found, s.findings_expected)),
    ("false errors", lambda s: str(s.false_errors)),
    ("hallucinations caught", lambda s: f"{s.hallucinations_caught}/{s.hallucinations}"),
    ("silent forms (ok but wrong)", lambda s: str(s.silent_wrong_forms)),
    ("false alarms", lambda s: str(s.false_alarms)),
    ("as expected", lambda s: f"{s.expectations.correct}/{s.expectations.total}"),
    ("s/page (CPU)", lambda s: f"{_seconds(s.cost.seconds_per_page)} ({_seconds(s.cost.cpu_seconds_per_page)})"),
]


def render_summary(report: EvalReport, by: str = "kind") -> str:
    """One line per configuration and document kind (or form family): the headline figures, for the README."""
    groups = {"kind": report.kinds, "family": report.families, "layout": report.layouts}[by]
    lines = [f"| configuration | {by} | " + " | ".join(name for name, _ in SUMMARY) + " |",
             "|---|---|" + "---|" * len(SUMMARY)]
    for r in report.results:
        if r.error:
            lines.append(f"| `{r.label}` | — | not run: {(r.error or {}).get('code')} |" + " |" * (len(SUMMARY) - 1))
            continue
        for group in groups:
            scores = {"kind": r.by_kind, "family": r.by_family, "layout": r.by_layout}[by].get(group)
            if scores is not None:
                lines.append(f"| `{r.label}` | {group} | " + " | ".join(cell(scores) for _, cell in SUMMARY) + " |")
        if by != "kind" and r.overall is not None:
            lines.append(f"| `{r.label}` | **all** | " + " | ".join(cell(r.overall) for _, cell in SUMMARY) + " |")
    return "\n".join(lines) + "\n"


def render_markdown(report: EvalReport) -> str:
    """The report as Markdown: one table for all documents, one per document kind when there are several."""
    m = report.machine
    load = m.get("load_average")
    lines = [f"## Evaluation: {report.dataset}", "",
             f"{report.forms} gold form(s) in {report.documents} document(s) ({', '.join(report.kinds)}); "
             f"{report.created}; {m.get('machine')}, {m.get('cpus')} CPUs, {m.get('python')}"
             + (f", load {load[0]:.2f}" if load else "") + ".", ""]
    if len(report.kinds) > 1:
        lines += render_summary(report).splitlines() + [""]
    if report.families:
        lines += ["Per form family (templates.md):", ""] + render_summary(report, by="family").splitlines() + [""]
    if len(report.layouts) > 1:
        lines += ["Per text layout:", ""] + render_summary(report, by="layout").splitlines() + [""]
    lines += _table(report.results, lambda r: r.overall, memory=True)
    if len(report.kinds) > 1:
        for kind in report.kinds:
            lines += ["", f"### {kind}", ""]
            lines += _table(report.results, _of_kind(kind), memory=False)
    memory_methods = sorted({r.memory_method for r in report.results if r.memory_method})
    notes = [f"Peak memory: {method}." for method in memory_methods]
    if set(report.kinds) == {"text_export"} and len({r.ocr for r in report.results}) > 1:
        notes.append("Text exports are not OCR'd: configurations that differ only in the OCR engine read them alike.")
    notes += [f"`{r.label}` could not run: {(r.error or {}).get('code')}: {(r.error or {}).get('message')}"
              for r in report.results if r.error]
    if notes:
        lines += [""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def render_chart(report: EvalReport, path: Path) -> Path | None:
    """Field accuracy against seconds per page, one point per configuration (and kind); None without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    kinds = report.kinds if len(report.kinds) > 1 else [None]
    markers = "os^Dvx*P"
    lowest = 100.0
    for k, kind in enumerate(kinds):
        for r in report.results:
            scores = r.overall if kind is None else r.by_kind.get(kind)
            if r.error or scores is None or scores.field_accuracy is None or not scores.cost.seconds_per_page:
                continue
            x, y = scores.cost.seconds_per_page, 100 * scores.field_accuracy
            ax.scatter([x], [y], marker=markers[k % len(markers)], s=60, alpha=0.8,
                       label=r.label if kind is None else f"{r.label} · {kind}")
            lowest = min(lowest, y)
    ax.set_xscale("log")
    ax.set_ylim(max(0.0, lowest - max(2.0, (100 - lowest) * 0.2)), 100.5)
    ax.set_xlabel("seconds per page (log scale)")
    ax.set_ylabel("field accuracy (%)")
    ax.set_title(f"{report.dataset}: accuracy against speed")
    ax.grid(True, which="both", alpha=0.3)
    if ax.collections:
        ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def write_report(report: EvalReport, out_dir: Path, chart: bool = True) -> dict[str, Path]:
    """Write report.md, report.json and the chart into a folder; returns what was written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {"markdown": out_dir / REPORT_MD, "json": out_dir / REPORT_JSON}
    written["markdown"].write_text(render_markdown(report), encoding="utf-8")
    written["json"].write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    if chart and (png := render_chart(report, out_dir / CHART_PNG)) is not None:
        written["chart"] = png
    return written
