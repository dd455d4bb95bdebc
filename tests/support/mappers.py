"""Deliberately flawed mappers for testing the evaluation harness (loaded as `tests.support.mappers:NAME`).

Each wraps the rules mapper and spoils its output in one known way, so a test can predict the scores exactly.
They are plug-ins through the documented hooks (`--mapper module:callable`, `Configuration(factory=...)`).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from extractor.layout import Grid
from extractor.mapping import MappedForm, RulesMapper
from extractor.records.models import FieldSource, MapMethod
from extractor.settings import Settings
from extractor.tables.rows import RawForm

Spoil = Callable[[MappedForm], None]


class SpoiledMapper:
    """The rules mapper, then one spoiling step."""

    def __init__(self, name: str, spoil: Spoil) -> None:
        self.name = name
        self._rules = RulesMapper()
        self._spoil = spoil

    def __call__(self, form: RawForm, grid: Grid) -> MappedForm:
        mapped = self._rules(form, grid)
        self._spoil(mapped)
        return mapped


def _corrupt_scores(m: MappedForm) -> None:
    # Every indicator score read one row too low: a value that is in the source, in the wrong place.
    rows = m.record.indicators
    scores = [r.score for r in rows]
    for i, row in enumerate(rows):
        row.score = scores[(i + 1) % len(rows)]
        src = m.provenance.fields.get(f"indicators[{(i + 1) % len(rows)}].score")
        if src is not None:
            m.provenance.fields[f"indicators[{i}].score"] = src


def corrupt_scores(settings: Settings) -> SpoiledMapper:
    """Spoils one field group: indicator scores shifted by one row."""
    return SpoiledMapper("corrupt-scores", _corrupt_scores)


def _invent_weight(m: MappedForm) -> None:
    # A number printed nowhere in the export, with a plausible citation: grounding must reject it.
    m.record.indicators[0].weight = Decimal("12.34")


def invent_weight(settings: Settings) -> SpoiledMapper:
    """Invents the first indicator's weight (a hallucination the checker catches)."""
    return SpoiledMapper("invent-weight", _invent_weight)


def _invent_name_as_human(m: MappedForm) -> None:
    # Claims a human typed it: grounding trusts human corrections, so the checker cannot catch this one.
    m.record.indicators[0].name = "虚构的指标名称"
    m.provenance.fields["indicators[0].name"] = FieldSource(method=MapMethod.HUMAN, note="test: unverifiable")


def invent_name_as_human(settings: Settings) -> SpoiledMapper:
    """Invents the first indicator's name and marks it human (a hallucination that slips through)."""
    return SpoiledMapper("invent-name", _invent_name_as_human)


def _miscite_project(m: MappedForm) -> None:
    # The right value, citing the wrong cell: grounding rejects a correct value.
    m.provenance.fields["project_name"] = m.provenance.fields["department"]


def miscite_project(settings: Settings) -> SpoiledMapper:
    """Cites the department's cell for the project name (a false rejection)."""
    return SpoiledMapper("miscite", _miscite_project)


def _drop_third_row(m: MappedForm) -> None:
    rows = m.record.indicators
    if len(rows) < 3:
        return
    del rows[2]
    fields = {}
    for path, src in m.provenance.fields.items():
        if path.startswith("indicators["):
            i = int(path[len("indicators["):path.index("]")])
            if i == 2:
                continue
            if i > 2:
                path = f"indicators[{i - 1}]" + path[path.index("]") + 1:]
        fields[path] = src
    m.provenance.fields = fields


def drop_third_row(settings: Settings) -> SpoiledMapper:
    """Misses the third indicator row of every form."""
    return SpoiledMapper("drop-row", _drop_third_row)


def _duplicate_first_row(m: MappedForm) -> None:
    rows = m.record.indicators
    rows.append(rows[0].model_copy())
    for f in ("level1", "level2", "name", "target", "actual", "weight", "score", "deviation"):
        src = m.provenance.fields.get(f"indicators[0].{f}")
        if src is not None:
            m.provenance.fields[f"indicators[{len(rows) - 1}].{f}"] = src


def duplicate_first_row(settings: Settings) -> SpoiledMapper:
    """Invents a row: the first indicator row printed again at the end."""
    return SpoiledMapper("duplicate-row", _duplicate_first_row)


def _wrong_repair(m: MappedForm) -> None:
    # A repaired label turned into another vocabulary label: the repair is recorded, the result is wrong.
    for path, src in m.provenance.fields.items():
        if path.endswith(".level2") and src.method is MapMethod.REPAIRED:
            i = int(path[len("indicators["):path.index("]")])
            m.record.indicators[i].level2 = "数量指标"
            return


def wrong_repair(settings: Settings) -> SpoiledMapper:
    """Spoils the first repaired level2 label of each form that has one."""
    return SpoiledMapper("wrong-repair", _wrong_repair)


def _with_llm_usage(m: MappedForm) -> None:
    # The shape the LLM mapper records (extractor/mapping/llm.py): even forms answered from its cache.
    cached = m.record.year is not None and len(m.record.indicators) % 2 == 0
    m.provenance.llm = {"model": "scripted", "requests": 0 if cached else 2, "cached": cached,
                        "usage": {"prompt_tokens": 1000, "completion_tokens": 250, "total_tokens": 1250}}


def with_llm_usage(settings: Settings) -> SpoiledMapper:
    """Rules output that reports LLM usage in its provenance, as the LLM mapper does."""
    return SpoiledMapper("usage", _with_llm_usage)


def broken(settings: Settings) -> SpoiledMapper:
    """A factory that fails: the configuration must be reported as not run."""
    raise RuntimeError("this mapper cannot be built")
