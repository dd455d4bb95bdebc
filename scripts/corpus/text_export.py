"""Text exports: the form's table flattened to text in one of the text layouts of templates.md.

`tsv` is the seed's messy style: flattening puts each cell's text in its first column and leaves the columns it
spans empty (the seed export is exactly the `seed` layout flattened); the spoiling repeats what the seed shows:
rows shifted by a cell, a dropped 一级指标 cell, truncated labels, spaces inside words, `—`/`-` for empty, a missing
项目名称 label, footers. `pipe`, `cell_per_line`, `cell_per_line_bar` and `spaces` write the same cells the way
the published pages of eval/datasets/realworld give them; `to_traditional` converts a whole export to
Traditional characters (OpenCC s2t), `traditional_record` its gold.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from typing import Any

from scripts.corpus import content
from scripts.corpus.layouts import Cell, FormLayout

_LEVEL2_TRUNCATIONS = {
    "服务对象满意度指标": ("服务对象满意度指", "服务对象 满意度指", "服务对象满意度指标"),
    "经济效益指标": ("经济效益", "经济效益 指标"),
    "社会效益指标": ("社会效益 指标",),
    "生态效益指标": ("生态效益 指标",),
    "可持续影响指标": ("可持续影 响指标", "可持续影响指"),
}
_HEADER_VARIANTS = (
    {},
    {"绩效指标": "绩效 指标", "年度指标值": "年度 指标值", "实际完成值": "实际 完成值", "偏差原因分析及改进措施": "偏差原因分 析及改进措"},
    {"年度指标值": "年度", "实际完成值": "实际", "偏差原因分析及改进措施": "偏差原因分析"},
)
_FUND_ROW_VARIANTS = {"其中：当年财政拨款": ("其中：当年财政拨款", "其中: 当年财政拨款", "其中:当年财政拨款", "其中： 当年财政拨款")}


@dataclass
class Mess:
    """How much to spoil (probabilities per form or per row); `none` gives a clean flattening."""

    missing_project_label: float = 0.1
    spaced_labels: float = 0.3
    truncated_annual: float = 0.3
    header_variant: float = 0.5
    level2_truncation: float = 0.5
    shift_left: float = 0.2
    level1_dropped: float = 0.15
    level2_first: float = 0.05
    spaced_values: float = 0.1
    totals_shift: float = 0.5
    extra_trailing: float = 0.1

    @classmethod
    def none(cls) -> Mess:
        """No spoiling at all."""
        return cls(**{name: 0.0 for name in cls.__dataclass_fields__})


def flatten(layout: FormLayout) -> list[tuple[str, list[str]]]:
    """(row kind, fields) per table row: each cell's text at its first column, spanned columns empty."""
    rows = [[""] * layout.n_cols for _ in range(layout.n_rows)]
    for cell in layout.cells:
        rows[cell.row][cell.col] = cell.text
    return list(zip(layout.row_kinds, rows, strict=True))


def _spaced(rng: random.Random, text: str) -> str:
    """A space dropped inside a word, as exports do (`经济效益 指标`)."""
    if len(text) < 4:
        return text
    at = rng.randint(2, len(text) - 2)
    return text[:at] + " " + text[at:]


def _indicator_fields(rng: random.Random, fields: list[str], mess: Mess, level1_cell: bool, n_cols: int,
                      group_index: int) -> list[str]:
    fields = list(fields)
    level2 = fields[2]
    if level2 in _LEVEL2_TRUNCATIONS and rng.random() < mess.level2_truncation:
        fields[2] = rng.choice(_LEVEL2_TRUNCATIONS[level2])
    if fields[1] and rng.random() < mess.spaced_labels / 3:
        fields[1] = _spaced(rng, fields[1])
    if fields[3] and rng.random() < mess.spaced_values / 2:
        fields[3] = _spaced(rng, fields[3])
    for col in (4, 5):
        if "(%)" in fields[col] and rng.random() < mess.spaced_values:
            fields[col] = fields[col].replace("(%)", " (%)")
    if level1_cell and group_index > 0 and rng.random() < mess.level1_dropped:
        fields[1] = ""  # the 一级指标 cell lost: the row stands under the group above
    if level1_cell and fields[1] and rng.random() < mess.shift_left:
        fields = fields[1:] + [""]
    elif not level1_cell and fields[2] and fields[2] != "成本指标" and rng.random() < mess.level2_first:
        # (成本指标 in the first cell would read as the 2021 一级指标: ambiguous, so never shifted there)
        fields = [fields[2], ""] + fields[3:] + [""]  # seed: 社会效益指标||提高安全意识|…
    if rng.random() < mess.extra_trailing:
        fields.append("")
    return fields[: max(n_cols + 1, len(fields))]


def render_form(layout: FormLayout, rng: random.Random, mess: Mess, first: bool = False) -> str:
    """One form as the export prints it (title, year, rows, footer)."""
    header_map = _HEADER_VARIANTS[rng.randrange(len(_HEADER_VARIANTS))] if rng.random() < mess.header_variant else {}
    spaced = rng.random() < mess.spaced_labels
    truncated_annual = rng.random() < mess.truncated_annual
    # The 填报单位（盖章） line above a printed table is not part of a system export.
    lines = ["", "", layout.title, "", layout.year_line, ""]
    group = -1
    for kind, fields in flatten(layout):
        fields = list(fields)
        if kind == "project" and first and rng.random() < mess.missing_project_label * 5 or \
                kind == "project" and rng.random() < mess.missing_project_label:
            fields[0] = ""
        elif kind == "funds_header":
            fields[0] = fields[0].replace("（", " (").replace("）", ")") if spaced or rng.random() < 0.5 else fields[0]
            if truncated_annual:
                fields = ["全年" if f == "全年预算数" else f for f in fields]
        elif kind == "fund":
            label = fields[1]
            if label in _FUND_ROW_VARIANTS:
                fields[1] = rng.choice(_FUND_ROW_VARIANTS[label])
        elif kind == "goals_header" and spaced:
            fields[0] = "年度 总体 目标"
        elif kind == "ind_header":
            fields = [header_map.get(f, f) for f in fields]
        elif kind == "indicator":
            level1_cell = bool(fields[1])
            group += int(level1_cell)
            fields = _indicator_fields(rng, fields, mess, level1_cell, layout.n_cols, group)
        elif kind in ("total", "grade") and rng.random() < mess.totals_shift:
            fields = fields[:1] + fields[2:] + [""]  # seed: 总分|||||100.0|100.0||
        lines.append("\t".join(fields))
    lines += ["", rng.choice(content.NOTE_LINES)]
    return "\n".join(lines)


def render_export(layouts: list[FormLayout], rng: random.Random, mess: Mess) -> str:
    """A whole export file: the forms one after another."""
    return "\n".join(render_form(layout, rng, mess, first=(i == 0)) for i, layout in enumerate(layouts)) + "\n"


def encode(text: str, rng: random.Random, gbk_share: float = 0.2) -> tuple[bytes, str]:
    """The file's bytes: UTF-8, or GBK when the dice say so and every character fits."""
    if rng.random() < gbk_share:
        try:
            return text.encode("gbk"), "gbk"
        except UnicodeEncodeError:
            pass
    return text.encode("utf-8"), "utf-8"


# --- the text layouts of templates.md ("How the text reaches a reader") ----------------------------------------
# `tsv` is the seed's messy system export above; the others flatten the same table of cells the way web pages,
# previews and PDF text layers give it (realworld/*/*.txt). Each takes the FormLayouts of one document.
TEXT_LAYOUTS = ("tsv", "pipe", "cell_per_line", "cell_per_line_bar", "spaces")
# Header labels a one-cell-per-line text breaks in two (`年初` / `预算数`); others break in the middle.
_HEADER_BREAKS = {
    "年初预算数": ("年初", "预算数"), "全年预算数": ("全年", "预算数"), "全年执行数": ("全年", "执行数"),
    "年度指标值": ("年度", "指标值"), "实际完成值": ("实际", "完成值"), "调整后预算数": ("调整后", "预算数"),
    "预算执行数": ("预算", "执行数"), "预算执行率": ("预算", "执行率"), "全年实际值(B)": ("全年实际值", "(B)"),
    "年初预算数(A)": ("年初预算数", "(A)"), "全年执行数(B)": ("全年执行数", "(B)"), "全年预算数(A)": ("全年预算数", "(A)"),
}
_HEADER_ROLES = ("funds_header", "ind_header", "goals_header")


def _table_rows(layout: FormLayout) -> list[tuple[str, list[Cell]]]:
    """(row kind, the cells that start in that row, left to right): a merged cell is written once, at its top."""
    rows: list[list[Cell]] = [[] for _ in range(layout.n_rows)]
    for cell in layout.cells:
        rows[cell.row].append(cell)
    return [(kind, sorted(cells, key=lambda c: c.col)) for kind, cells in zip(layout.row_kinds, rows, strict=True)]


def _head_lines(layout: FormLayout) -> list[str]:
    return [line for line in (layout.title, layout.year_line, *layout.above) if line]


def _pipe(layouts: list[FormLayout], rng: random.Random, messy: bool) -> str:
    """A web page's table flattened: `| a | b | c |`, empty cells dropped, merged cells once; some rows break
    where an empty cell was (`| 生态效益 指标 |` then bare `|` lines), as realworld/yunnan shows."""
    lines: list[str] = []
    for layout in layouts:
        for line in _head_lines(layout):
            lines.append(f"{line} |" if rng.random() < 0.5 else line)
        for _, cells in _table_rows(layout):
            texts = [c.text.replace("\n", " ").strip() for c in cells]
            if messy and "" in texts and any(texts) and rng.random() < 0.15:
                bare = rng.random() < 0.5  # dayin: `… | 5 |` / `|` / `| |||`; yongde: `| 有效 |` / `| 有效 | 10 |`
                segment: list[str] = []
                for text in texts:
                    if text:
                        segment.append(text)
                        continue
                    if segment:
                        lines.append("| " + " | ".join(segment) + " |")
                    if bare or not segment:
                        lines.append("|")
                    segment = []
                if segment:
                    lines.append("| " + " | ".join(segment) + " |")
                continue
            kept = [t for t in texts if t]
            lines.append("| " + " | ".join(kept) + " |" if kept else "|")
        lines += layout.below
    return "\n".join(lines) + "\n"


def _broken_header(text: str, rng: random.Random) -> str:
    if text in _HEADER_BREAKS:
        return "\n".join(_HEADER_BREAKS[text])
    if len(text) >= 5 and all("\u4e00" <= ch <= "\u9fff" for ch in text) and rng.random() < 0.5:
        at = len(text) // 2
        return text[:at] + "\n" + text[at:]
    return text


def _cell_lines(layouts: list[FormLayout], rng: random.Random, messy: bool, bar: bool) -> str:
    """One cell per line in row-major order. Plain: a blank line between cells, an empty cell a single space,
    header labels sometimes wrapped (`年初` / `预算数`). Bar: every cell ends in ` |`, an empty cell is `|`."""
    out: list[str] = []
    wrap_share = rng.choice((0.0, 0.5, 1.0)) if messy and not bar else 0.0
    for layout in layouts:
        cells = _head_lines(layout)
        cells += [_broken_header(c.text, rng) if c.role in _HEADER_ROLES and rng.random() < wrap_share else c.text
                  for _, row in _table_rows(layout) for c in row]
        cells += layout.below
        for text in cells:
            if bar:  # a page scraped cell by cell: a line break inside a cell is a space (`经济效益 指标 |`)
                out.append(f"{text.replace(chr(10), ' ')} |" if text.strip() else "|")
            else:
                out += [text if text.strip() else " ", ""]
    return "\n".join(out) + "\n"


def _spaces(layouts: list[FormLayout], rng: random.Random, messy: bool) -> str:
    """One table row per line, cells separated by single spaces, empty cells gone, lines indented; the second line
    of a wrapped cell goes on the next line (`经济效益` / `指标`), as realworld/anhui and central/ezhou show."""
    indent = rng.choice(("", "  ", "    "))
    lines: list[str] = []
    for layout in layouts:
        lines += [indent + line for line in _head_lines(layout)]
        for kind, cells in _table_rows(layout):
            parts = [c.text.split("\n") for c in cells if c.text.strip()]
            if not parts:
                lines.append(indent.rstrip() if messy and rng.random() < 0.5 else indent)
                continue
            pad = indent + (" " * rng.randint(1, 8) if messy and kind == "fund" and rng.random() < 0.5 else "")
            depth = max(len(p) for p in parts)
            for k in range(depth):
                line = " ".join(p[k].strip() for p in parts if len(p) > k and p[k].strip())
                if line:
                    lines.append(pad + line)
        lines += [indent + line for line in layout.below]
    return "\n".join(lines) + "\n"


_FAMILY_HEADER_SPACING = {"年度指标值": "年度 指标值", "实际完成值": "实际 完成值", "绩效指标": "绩效 指标"}


def _family_tsv(layouts: list[FormLayout], rng: random.Random, mess: Mess) -> str:
    """The tab-separated export for forms of the other families: each cell at its first column, spanned columns
    empty, a wrapped label joined by a space (`经济效益 指标`), the seed export's milder spoiling."""
    out: list[str] = []
    joiner = rng.choice((" ", " ", ""))
    for i, layout in enumerate(layouts):
        spaced = rng.random() < mess.spaced_labels
        lines = ["", "", layout.title, "", layout.year_line, ""]
        for kind, fields in flatten(layout):
            fields = [f.replace("\n", joiner) for f in fields]
            if kind == "project" and rng.random() < mess.missing_project_label * (5 if i == 0 else 1):
                fields[0] = ""
            elif kind == "ind_header" and spaced:
                fields = [_FAMILY_HEADER_SPACING.get(f, f) for f in fields]
            elif kind == "indicator":
                fields = [rng.choice(_LEVEL2_TRUNCATIONS[f]) if f in _LEVEL2_TRUNCATIONS
                          and rng.random() < mess.level2_truncation else f for f in fields]
            out_fields = fields + ([""] if rng.random() < mess.extra_trailing else [])
            lines.append("\t".join(out_fields))
        lines += ["", rng.choice(content.NOTE_LINES)]
        out.append("\n".join(lines))
    return "\n".join(out) + "\n"


def render_text(layouts: list[FormLayout], rng: random.Random, mess: Mess, text_layout: str = "tsv") -> str:
    """A whole text export of one document in a text layout (`tsv` of central forms is render_export)."""
    messy = mess != Mess.none()
    if text_layout == "tsv":
        if all(layout.family == "central" for layout in layouts):
            return render_export(layouts, rng, mess)
        return _family_tsv(layouts, rng, mess)
    if text_layout == "pipe":
        return _pipe(layouts, rng, messy)
    if text_layout in ("cell_per_line", "cell_per_line_bar"):
        return _cell_lines(layouts, rng, messy, bar=text_layout == "cell_per_line_bar")
    if text_layout == "spaces":
        return _spaces(layouts, rng, messy)
    raise ValueError(f"unknown text layout {text_layout!r}; choose from {TEXT_LAYOUTS}")


# --- Traditional characters (mirrors that converted the page) -------------------------------------------------
_CONVERTER: list[Any] = []
# Record fields printed as free text: stored as printed, so in Traditional characters after the conversion
# (labels in the record stay the canonical Simplified vocabulary: level1, level2, grade, money_unit).
_FREE_TEXT = ("project_name", "project_code", "department", "implementing_unit")
_INDICATOR_TEXT = ("name", "target", "actual", "deviation", "method", "nature", "unit")


def to_traditional(text: str) -> str:
    """The text as a mirror converting to Traditional characters gives it (OpenCC s2t)."""
    if not _CONVERTER:
        import opencc

        _CONVERTER.append(opencc.OpenCC("s2t"))
    return str(_CONVERTER[0].convert(text))


def traditional_record(record: dict[str, Any]) -> dict[str, Any]:
    """The gold record of a form printed in Traditional characters: free text converted, labels canonical."""
    rec = copy.deepcopy(record)

    def conv(value: str | None) -> str | None:
        return None if value is None else to_traditional(value)

    for key in _FREE_TEXT:
        rec[key] = conv(rec.get(key))
    rec["goals"] = {k: conv(v) for k, v in rec["goals"].items()}
    rec["evaluation"] = {k: conv(v) for k, v in rec["evaluation"].items()}
    for extra in rec["funds"]["extra"]:
        extra["label"] = conv(extra["label"])
    for ind in rec["indicators"]:
        for key in _INDICATOR_TEXT:
            ind[key] = conv(ind.get(key))
    return rec
