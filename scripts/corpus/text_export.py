"""Text exports in the seed's messy style: the form's table flattened to tab-separated rows, then spoiled.

Flattening puts each cell's text in its first column and leaves the columns it spans empty: the seed export is
exactly the `seed` layout flattened. The spoiling repeats what the seed shows: rows shifted by a cell, a dropped
一级指标 cell, truncated labels, spaces inside words, `—`/`-` for empty, a missing 项目名称 label, footers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from scripts.corpus import content
from scripts.corpus.layouts import FormLayout

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
