"""Mappers: raw rows of a form → record v1 with provenance (rules, LLM, hybrid)."""

from __future__ import annotations

from typing import Protocol

from extractor.errors import ConfigurationError
from extractor.layout import Grid
from extractor.mapping.rules import MappedForm, map_rules
from extractor.settings import MapperName, Settings
from extractor.tables.rows import RawForm


class Mapper(Protocol):
    """Anything that maps one form's rows (and its grid, for cell ids) to a record."""

    name: str

    def __call__(self, form: RawForm, grid: Grid) -> MappedForm: ...


class RulesMapper:
    """The deterministic mapper."""

    name = "rules"

    def __call__(self, form: RawForm, grid: Grid) -> MappedForm:
        """Map by the rules."""
        return map_rules(form)


def get_mapper(name: MapperName | str, settings: Settings) -> Mapper:
    """The mapper for a name; LLM mappers need the llm extra and an endpoint."""
    name = MapperName(name)
    if name is MapperName.RULES:
        return RulesMapper()
    try:
        from extractor.mapping import hybrid, llm
    except ImportError as exc:
        raise ConfigurationError(
            f"the {name.value} mapper needs the llm extra: pip install 'perf-form-extractor[llm]'"
        ) from exc
    if name is MapperName.LLM:
        return llm.LLMMapper(settings)
    return hybrid.HybridMapper(settings)


__all__ = ["MappedForm", "Mapper", "RulesMapper", "get_mapper"]
