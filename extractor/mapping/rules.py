"""The deterministic mapper: raw rows → record v1, each value with the cells it came from."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from extractor.domain.notation import parse_notation
from extractor.domain.numbers import amount_of, money_of, number_of
from extractor.domain.repair import LabelMatch, MatchStatus, label_key
from extractor.domain.text import clean_text, is_blank, norm_key
from extractor.domain.vocabulary import (
    EVALUATION_FIELDS,
    FUND_COLUMNS,
    LEVEL1,
    LEVEL2,
    field_name,
    grade_of,
    parent_of,
)
from extractor.layout import Cell
from extractor.records.models import (
    CellRef,
    Evaluation,
    ExtraFundRow,
    FieldSource,
    Finding,
    FindingCode,
    FundRow,
    Funds,
    Goals,
    Indicator,
    MapMethod,
    Provenance,
    Record,
)
from extractor.tables.rows import RawForm, RawFundRow, RawValue, project_code_of
from extractor.templates.model import TemplateDefinition

_AMOUNTS = ("initial_budget", "annual_budget", "executed")

MAPPER_NAME = "rules"


class MappedForm(BaseModel):
    """A mapper's output: the record and where each of its values came from."""

    record: Record
    provenance: Provenance
    findings: list[Finding] = Field(default_factory=list, description="the mapper's own (values it had to drop)")
    family: TemplateDefinition | None = Field(default=None, description="the family the form was finally read as, "
                                              "when a mapper read it with another than the reader picked")


def cell_ref(cell: Cell) -> CellRef:
    """A provenance reference to one cell."""
    return CellRef(
        id=cell.id,
        line=cell.line,
        column=cell.col + 1 if cell.line is not None else None,
        page=cell.page,
        bbox=cell.bbox,
        text=cell.whole_text or cell.text,
    )


def _source(raw: RawValue, method: MapMethod = MapMethod.RULE, note: str | None = None,
            label: LabelMatch | None = None) -> FieldSource:
    repair: dict[str, Any] | None = None
    if label is not None and label.canonical is not None and label.status is not MatchStatus.EXACT:
        repair = {"canonical": label.canonical, "status": label.status.value, "method": label.method,
                  "distance": label.distance}
    if raw.how == "positional" and method is MapMethod.RULE:
        method = MapMethod.POSITIONAL
    return FieldSource(cells=[cell_ref(c) for c in raw.cells], printed=raw.text, method=method, note=note,
                       repair=repair)


class _Builder:
    """Collects values and their provenance while building a record."""

    def __init__(self) -> None:
        self.fields: dict[str, FieldSource] = {}

        self.units: set[str] = set()
        self.findings: list[Finding] = []

    def blank(self, path: str, raw: RawValue) -> None:
        """Provenance for a cell printed empty (`—`, `/`, nothing): the null was read, not missed."""
        self.fields[path] = FieldSource(cells=[cell_ref(c) for c in raw.cells], printed=raw.text,
                                        method=MapMethod.RULE, note="printed blank")

    def text(self, path: str, raw: RawValue | None, *, blank_is_null: bool = False) -> str | None:
        if raw is None:
            return None
        value = clean_text(raw.text)
        if not value or (blank_is_null and is_blank(value)):
            self.blank(path, raw)
            return None
        self.fields[path] = _source(raw)
        return value

    def decimal(self, path: str, raw: RawValue | None, *, money: bool = False) -> Decimal | None:
        if raw is None:
            return None
        if is_blank(raw.text):
            self.blank(path, raw)
            return None
        value = money_of(raw.text) if money else number_of(raw.text)
        if value is not None:
            self.fields[path] = _source(raw)
            if money and (amount := amount_of(raw.text)) is not None:
                self.units.add(amount[1])  # 150万: the amount carries its own unit
        else:
            # 0.0型0, 1器00.0, 1.67e2: printed where a number belongs, but no number. Never a silent null.
            self.fields[path] = _source(raw, note="printed, not a number")
            self.findings.append(Finding.of(
                FindingCode.MISSING_FIELD, f"未能读取{field_name(path)}（印为「{clean_text(raw.text)}」，不是数字）",
                [path], printed=raw.text, reason="unreadable_number"))
        return value


def _label(b: _Builder, path: str, raw: RawValue | None, allowed: tuple[str, ...]) -> str | None:
    if raw is None or raw.label is None:
        return None
    if raw.label.canonical not in allowed:
        # Kept for the reviewer and the LLM mapper: what was printed, and why it was not taken.
        candidates = ", ".join(raw.label.candidates) or "none"
        b.fields[path] = FieldSource(cells=[cell_ref(c) for c in raw.cells], printed=raw.text, method=MapMethod.RULE,
                                     note=f"not a label of this column ({raw.label.status.value}; candidates: {candidates})")
        return None
    label = raw.label
    method = MapMethod.REPAIRED if label.status is MatchStatus.REPAIRED else (
        MapMethod.SYNONYM if label.status is MatchStatus.SYNONYM else MapMethod.RULE)
    note = "from a merged cell spanning this row" if raw.how == "spanned" else None
    b.fields[path] = _source(raw, method, note=note, label=label)
    return label.canonical


def _indicators(b: _Builder, form: RawForm) -> list[Indicator]:
    result: list[Indicator] = []
    prev_l1: tuple[str, FieldSource] | None = None
    prev_l2: tuple[str, FieldSource] | None = None
    for i, row in enumerate(form.indicators):
        p = f"indicators[{i}]"
        v = dict(row.values)
        if _lone_cost_label(v) and prev_l1 is not None and prev_l1[0] == "产出指标":
            # 成本指标 alone on a row under 产出指标 is the 2020 framework's 二级指标, not the 2021 一级指标.
            v["level2"] = v.pop("level1")
        level2 = _label(b, f"{p}.level2", v.get("level2"), LEVEL2)
        printed_l2 = v.get("level2")
        # A piece of the label above (满意度 of 服务对象满意度指标, cut by a page break), not a garbled whole label
        # (指量指标, one character from both 数量指标 and 质量指标: carrying 数量指标 over it was a silent guess).
        fragment = (printed_l2 is not None and printed_l2.label is not None and prev_l2 is not None
                    and printed_l2.label.status is MatchStatus.AMBIGUOUS and prev_l2[0] in printed_l2.label.candidates
                    and label_key(printed_l2.text) in prev_l2[0])
        merged = any(_starts_with_label(v.get(key)) for key in ("level1", "level2", "name"))
        if level2 is None and prev_l2 is not None and (printed_l2 is None or fragment) and not merged:
            # A merged 二级指标 cell printed once for several rows (or its piece on a page's first row, 满意度 of
            # 服务对象满意度指标): the value above carries down.
            level2 = prev_l2[0]
            b.fields[f"{p}.level2"] = prev_l2[1].model_copy(update={"method": MapMethod.CARRIED})
        weight_note = v.get("level1") if v.get("level1") is not None and v["level1"].how == "weight_note" else None
        level1 = None if weight_note is not None else _label(b, f"{p}.level1", v.get("level1"), LEVEL1)
        if level1 is None:
            parents = (form.family.parents_of(level2) if form.family is not None else parent_of(level2)) if level2 else ()
            printed_l1 = v.get("level1")
            # No level1 printed on the row, or a text that is no level1 at all (a piece of a merged cell cut by a
            # page break): the level1 above carries down when the level2 may stand under it.
            unusable = printed_l1 is not None and weight_note is None and (
                printed_l1.label is None or printed_l1.label.canonical not in LEVEL1)
            carry = prev_l1 is not None and ((printed_l1 is None and (not parents or prev_l1[0] in parents))
                                             or (unusable and prev_l1[0] in parents))
            if carry and prev_l1 is not None and prev_l1[1].method is not MapMethod.INFERRED:
                level1 = prev_l1[0]
                b.fields[f"{p}.level1"] = prev_l1[1].model_copy(update={"method": MapMethod.CARRIED})
            elif parents:
                # The export dropped (or garbled) the 一级指标 cell: the vocabulary says which it is.
                level1 = parents[0]
                l2_cells = b.fields[f"{p}.level2"].cells if f"{p}.level2" in b.fields else []
                note = f"一级指标 inferred from 二级指标 {level2}"
                if weight_note is not None:
                    note += f" (the 一级指标 cell prints only its weight {clean_text(weight_note.text)})"
                b.fields[f"{p}.level1"] = FieldSource(
                    cells=l2_cells,
                    printed=printed_l1.text if printed_l1 is not None else None,
                    method=MapMethod.INFERRED,
                    note=note,
                )
        if level1 is not None:
            prev_l1 = (level1, b.fields[f"{p}.level1"])
        if level2 is not None:
            prev_l2 = (level2, b.fields[f"{p}.level2"])
        target = _target(b, f"{p}.target", v)
        result.append(
            Indicator(
                level1=level1,  # type: ignore[arg-type]
                level2=level2,  # type: ignore[arg-type]
                name=b.text(f"{p}.name", v.get("name")),
                target=target,
                actual=_notation_text(b, f"{p}.actual", v.get("actual")),
                weight=b.decimal(f"{p}.weight", v.get("weight")),
                score=b.decimal(f"{p}.score", v.get("score")),
                deviation=b.text(f"{p}.deviation", v.get("deviation"), blank_is_null=True),
                nature=b.text(f"{p}.nature", v.get("nature"), blank_is_null=True),
                unit=b.text(f"{p}.unit", v.get("unit"), blank_is_null=True),
                method=b.text(f"{p}.method", v.get("method"), blank_is_null=True),
            )
        )
    _pieces_of_the_next_label(b, form, result)
    return result


def _pieces_of_the_next_label(b: _Builder, form: RawForm, result: list[Indicator]) -> None:
    """A label cell cut by a page break: the row above the break prints only its start (服务对 / 满意), the row
    below the whole label. The start of exactly the label below is that label, cited where it is printed."""
    for i in range(len(result) - 1):
        for key in ("level2", "level1"):
            printed = form.indicators[i].values.get(key)
            below = getattr(result[i + 1], key)
            if getattr(result[i], key) is not None or printed is None or below is None:
                continue
            start = label_key(printed.text)
            if len(start) >= 2 and below.startswith(start) and start != below:
                setattr(result[i], key, below)
                b.fields[f"indicators[{i}].{key}"] = _source(printed, MapMethod.REPAIRED, note=(
                    f"the start of 「{below}」, the label of the row below: a cell cut by a page break"))
        if result[i].level2 is not None and result[i].level1 is None:
            parents = form.family.parents_of(result[i].level2) if form.family is not None else parent_of(
                result[i].level2)
            if parents and result[i + 1].level1 in parents:
                result[i].level1 = result[i + 1].level1
                b.fields[f"indicators[{i}].level1"] = b.fields[f"indicators[{i + 1}].level1"].model_copy(
                    update={"method": MapMethod.CARRIED, "note": "the level1 of the row below (a page break)"})


def _starts_with_label(raw: RawValue | None) -> bool:
    """A name cell that begins with a whole 二级指标 (服务对象满意度指标群众满意度: a tab lost between two cells): the
    label above must not be carried over the one this row prints."""
    if raw is None:
        return False
    key = label_key(raw.text)
    # Only the …指标 labels: 项目立项 or 绩效目标 also start ordinary names (绩效目标明确性).
    for label in (lab for lab in (*LEVEL1, *LEVEL2) if lab.endswith("指标")):
        # The label may be cut short too (服务对象满意度指群众满意): most of it, then at least two more characters.
        for size in range(len(label), max(3, -(-len(label) * 4 // 5)) - 1, -1):
            if key.startswith(label[:size]) and len(key) >= size + 2 and key[:size] == label[:size]:
                return True
    return False


def _lone_cost_label(v: dict[str, RawValue]) -> bool:
    raw = v.get("level1")
    return raw is not None and "level2" not in v and raw.label is not None and raw.label.canonical == "成本指标"


def _notation_text(b: _Builder, path: str, raw: RawValue | None) -> str | None:
    # Notation is printed without inner spaces in the canonical export ("=100.00 (%)" → "=100.00(%)").
    if raw is None:
        return None
    value = clean_text(raw.text)
    if parse_notation(value).is_numeric:
        value = "".join(value.split())
    if not value:
        return None
    b.fields[path] = _source(raw)
    return value


def _target(b: _Builder, path: str, v: dict[str, RawValue]) -> str | None:
    if "target" in v:
        return _notation_text(b, path, v["target"])
    parts = [v[k] for k in ("target_value", "unit") if k in v and not is_blank(v[k].text)]
    kind = v.get("nature")
    # 指标性质 holds an operator (≥, ≤, =) or a descriptor (正向, 定性): only an operator is part of the value.
    if kind is not None and parse_notation(norm_key(kind.text) + "1").operator is not None:
        parts.insert(0, kind)
    if not parts:
        return None
    # Split columns (指标性质 | 指标值 | 度量单位): the target is their concatenation, citing all three cells.
    text = "".join(norm_key(p.text) for p in parts)
    b.fields[path] = FieldSource(cells=[cell_ref(c) for p in parts for c in p.cells], printed=text,
                                 method=MapMethod.RULE, note="joined from split target columns")
    return text


def _fund_values(b: _Builder, prefix: str, raw: RawFundRow) -> dict[str, Decimal | None]:
    return {col: b.decimal(f"{prefix}.{col}", cell, money=col in _AMOUNTS) for col, cell in raw.values.items()
            if col in FUND_COLUMNS}


def _funds(b: _Builder, form: RawForm) -> tuple[Funds, list[Finding]]:
    rows: dict[str, FundRow] = {}
    extra: list[ExtraFundRow] = []
    findings: list[Finding] = []
    for raw in form.fund_rows:
        if raw.key is None:
            continue
        if raw.key == "extra":
            prefix = f"funds.extra[{len(extra)}]"
            label = clean_text(raw.label.text)
            label = label.split("：", 1)[-1].split(":", 1)[-1] if label.startswith("其中") else label
            extra.append(ExtraFundRow(label=label, **_fund_values(b, prefix, raw)))
            b.fields[f"{prefix}.label"] = _source(raw.label)
        else:
            prefix = f"funds.{raw.key}"
            rows[raw.key] = FundRow(**_fund_values(b, prefix, raw))
            if raw.label.label is not None and raw.label.label.status is MatchStatus.REPAIRED:
                b.fields[prefix] = _source(raw.label, MapMethod.REPAIRED, label=raw.label.label)
        for col, candidates in raw.ambiguous.items():
            if col not in FUND_COLUMNS:
                continue
            path = f"{prefix}.{col}"
            shown = "、".join(candidates)
            findings.append(Finding.of(
                FindingCode.MISSING_FIELD,
                f"{field_name(path)}：空格被略去，数字可放在不同的栏，算术也不能确定（候选：{shown}），留空待复核",
                [path], candidates=candidates, reason="placement_ambiguous"))
    return Funds(**rows, extra=extra), findings


def _evaluation(b: _Builder, form: RawForm) -> Evaluation:
    return Evaluation(**{key: b.text(f"evaluation.{key}", form.evaluation.get(key), blank_is_null=True)
                         for key in EVALUATION_FIELDS})


def _money_unit(b: _Builder, form: RawForm) -> str | None:
    if form.unit is not None and form.unit_cell is not None:
        b.fields["money_unit"] = _source(form.unit_cell, note="from the funds block's header")
        return form.unit
    if len(b.units) == 1:
        unit = next(iter(b.units))
        b.fields["money_unit"] = FieldSource(printed=unit, method=MapMethod.RULE, note="from amounts printed with "
                                             "their unit (150万)", cells=b.fields.get("funds.total.annual_budget",
                                                                                     FieldSource()).cells)
        return unit
    if form.family is not None and form.family.layout.money_unit is not None:
        return None  # the family's default is documentation, not a printed value
    return None


def map_rules(form: RawForm) -> MappedForm:
    """Map a form's raw rows to a record by the deterministic rules."""
    b = _Builder()
    year = None
    if form.year is not None:
        year = int(form.year.text)
        b.fields["year"] = _source(form.year)
    grade = None
    if form.grade is not None:
        grade = grade_of(form.grade.text)
        if grade is not None:
            b.fields["grade"] = _source(form.grade)
    project_name = b.text("project_name", form.fields.get("project_name"))
    project_code = project_code_of(project_name) if project_name else None
    if project_code is not None:
        b.fields["project_code"] = b.fields["project_name"].model_copy(update={"note": "code before the name"})
    funds, findings = _funds(b, form)
    record = Record(
        year=year,
        project_name=project_name,
        project_code=project_code,
        department=b.text("department", form.fields.get("department")),
        implementing_unit=b.text("implementing_unit", form.fields.get("implementing_unit")),
        funds=funds,
        goals=Goals(
            expected=b.text("goals.expected", form.goals.get("expected")),
            actual=b.text("goals.actual", form.goals.get("actual")),
        ),
        indicators=_indicators(b, form),
        total_weight=b.decimal("total_weight", form.total_weight),
        total_score=b.decimal("total_score", form.total_score),
        reviewed_score=b.decimal("reviewed_score", form.reviewed_score),
        grade=grade,  # type: ignore[arg-type]
        evaluation=_evaluation(b, form),
    )
    record.money_unit = _money_unit(b, form)  # type: ignore[assignment]
    layout: dict[str, Any] = {
        "template": form.template.model_dump() if form.template is not None else None,
        "text_layout": form.text_layout,
        "notes": list(form.notes),
        "placeholders_dropped": form.placeholders,
        "sections": form.sections_seen,
        "unit": form.unit,
        "fund_header": [h.model_dump(exclude_none=True) for h in form.fund_header],
        "indicator_header": [h.model_dump(exclude_none=True) for h in form.indicator_header],
        "unmapped_columns": [h.printed for h in (*form.fund_header, *form.indicator_header)
                             if h.key is None and not is_blank(h.printed)],
    }
    provenance = Provenance(
        mapper=MAPPER_NAME,
        fields=b.fields,
        layout=layout,
        unmapped_rows=[[c.text for c in row] for row in form.unmapped],
    )
    findings += _unmapped_columns(form) + b.findings + _conflicts(form) + _headerless(form, record)
    return MappedForm(record=record, provenance=provenance, findings=findings)


def _headerless(form: RawForm, record: Record) -> list[Finding]:
    """Fund figures with no header to say which column is which were placed in the central form's order: a guess
    a person must confirm."""
    if not form.funds_headerless:
        return []
    paths = [f"funds.{row}.{col}" for row in ("total", "current_year", "carryover", "other") for col in FUND_COLUMNS
             if getattr(getattr(record.funds, row), col) is not None]
    return [Finding.of(FindingCode.LOW_CONFIDENCE, "项目资金没有表头（年初预算数、全年预算数…），数字按通常的列序放置，请核对",
                       paths, reason="no_funds_header")] if paths else []


def _conflicts(form: RawForm) -> list[Finding]:
    """What the form prints twice, differently (a 年度总体目标 row, a fund row): which one is the form's is for a
    person to say, not for the reader to pick."""
    return [Finding.of(FindingCode.LOW_CONFIDENCE,
                       f"{field_name(path)}：原件印了两次且不相同（「{clean_text(a)}」／「{clean_text(b)}」），请确认",
                       [path], candidates=[a, b], reason="printed_twice")
            for path, (a, b) in form.conflicts.items()]


def _unmapped_columns(form: RawForm) -> list[Finding]:
    """Header cells no label table knows: their column's values were not read, so the form needs a person
    (or the LLM, with --mapper hybrid), never a confident record that silently lacks a column."""
    findings = []
    for block, header in (("项目资金", form.fund_header), ("绩效指标", form.indicator_header)):
        unknown = [h for h in header if h.key is None and not is_blank(h.printed)]
        if unknown:
            printed = "、".join(f"「{clean_text(h.printed)}」" for h in unknown)
            findings.append(Finding.of(
                FindingCode.MISSING_FIELD, f"{block}表头中的{printed}未能识别，该栏的值未读取",
                [], unmapped_columns=[h.printed for h in unknown], cells=[h.cell_id for h in unknown]))
    return findings
