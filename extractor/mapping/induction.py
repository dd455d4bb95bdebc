"""Template induction: the LLM reads a layout once and writes its family definition; the rules prove it.

The model is shown the cells of one or a few sample forms and answers a definition in the project's own format
(cues, the layout's labels mapped onto the canonical vocabulary, where totals and grade sit, what it prints).
Every label it names must be printed in a cell it cites and map onto the vocabulary (checked while it answers,
instructor re-asks); the definition is then **proved**: the rules reader, using it, reads the samples and every
value must be grounded, the arithmetic must hold and no column may stay unmapped. A definition that fails is
asked again with its failures, at most `attempts` times. A proved definition is a candidate until a reviewer
approves it (templates/store.py); forms of the layout are then read by rules, with no further LLM call.
"""

from __future__ import annotations

import logging
import re
from typing import Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from extractor.checking.context import CheckContext
from extractor.checking.grounding import SourceCells
from extractor.checking.report import check
from extractor.domain.repair import label_key
from extractor.domain.vocabulary import VocabKind, vocabulary
from extractor.errors import ExtractorError, LLMError
from extractor.layout import Grid
from extractor.mapping.llm_cache import AnswerCache, digest
from extractor.mapping.llm_client import LLMClient
from extractor.mapping.prompts import Prompt, grid_rows, id_hint, listing, load_prompt
from extractor.mapping.rules import map_rules
from extractor.records.models import FindingCode, Severity
from extractor.settings import Settings
from extractor.tables.rows import read_rows
from extractor.templates.model import RECORD_PATHS, Labels, TemplateDefinition, TemplateError
from extractor.templates.registry import TemplateRegistry, default_registry, with_candidate
from extractor.templates.store import fingerprint

log = logging.getLogger(__name__)

PROMPT, PROMPT_VERSION = "induce_template", "v1"
# The checker's arithmetic: a definition that makes it fail on a sample has placed a column wrongly.
_ARITHMETIC = {FindingCode.WEIGHT_SUM, FindingCode.SCORE_SUM, FindingCode.FUND_COMPONENTS, FindingCode.EXECUTION_RATE,
               FindingCode.BUDGET_SCORE, FindingCode.SCORE_EXCEEDS_WEIGHT, FindingCode.GRADE_MISMATCH}
_KINDS = {"form_field": VocabKind.FORM_FIELD, "fund_row": VocabKind.FUND_ROW, "fund_column": VocabKind.FUNDS_HEADER,
          "goals": VocabKind.GOALS_HEADER, "indicator_column": VocabKind.INDICATOR_HEADER,
          "indicator_label": VocabKind.INDICATOR_LABEL, "section": VocabKind.SECTION,
          "evaluation": VocabKind.EVALUATION}
_LABEL_FIELDS = {"form_field": "form_fields", "fund_row": "fund_rows", "fund_column": "fund_columns", "goals": "goals",
                 "indicator_column": "indicator_columns", "indicator_label": "indicator_labels",
                 "section": "sections", "evaluation": "evaluation"}
_ANNOTATION = re.compile(r"[(（][^()（）]{0,8}[)）]|[:：]+$")


class InductionError(ExtractorError):
    """No definition that reads the samples could be had; carries every attempt's failures."""

    code = "INDUCTION_FAILED"


class InducedLabel(BaseModel):
    """One label of the layout: as printed, the canonical label it means, and a cell printing it."""

    model_config = ConfigDict(extra="ignore")
    kind: Literal["form_field", "fund_row", "fund_column", "goals", "indicator_column", "indicator_label", "section",
                  "evaluation"]
    printed: str
    canonical: str
    cells: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _grounded(self, info: ValidationInfo) -> InducedLabel:
        canon = set(vocabulary(_KINDS[self.kind]).values())
        if self.canonical not in canon:
            raise ValueError(f"「{self.canonical}」 is no canonical {self.kind} label; choose one of "
                             f"{'、'.join(sorted(canon))}")
        source = (info.context or {}).get("source") if isinstance(info.context, dict) else None
        if isinstance(source, SourceCells):
            key = label_key(self.printed)
            if not self.cells or not any(c in source.by_id and key and key in label_key(source.by_id[c].text)
                                         for c in self.cells):
                raise ValueError(f"the label 「{self.printed}」 is not printed in the cell(s) {self.cells}: cite the "
                                 f"cell that prints it, as printed")
        return self


class InducedTemplate(BaseModel):
    """The definition the model answers (turned into a TemplateDefinition and proved)."""

    model_config = ConfigDict(extra="ignore")
    id: str = Field(pattern=r"^[a-z][a-z0-9_-]{1,39}$")
    name: str
    titles: list[str] = Field(default_factory=list)
    cue_labels: list[str] = Field(default_factory=list)
    labels: list[InducedLabel] = Field(default_factory=list)
    rate_basis: Literal["annual_budget", "initial_budget"] = "annual_budget"
    total_score_from: list[Literal["total_row", "sum_row", "header_line"]] = Field(
        default_factory=lambda: ["total_row"])
    grade_on: Literal["grade_row", "total_line", "none"] = "grade_row"
    printed: list[str] = Field(default_factory=list)

    paths: ClassVar[frozenset[str]] = RECORD_PATHS

    @field_validator("printed")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        unknown = [p for p in value if p not in RECORD_PATHS]
        if unknown:
            raise ValueError(f"not record paths: {', '.join(unknown)}; choose from {', '.join(sorted(RECORD_PATHS))}")
        return value

    def definition(self, provenance: dict[str, Any]) -> TemplateDefinition:
        """The project's own definition (TemplateError when the labels contradict each other)."""
        tables: dict[str, dict[str, str]] = {field: {} for field in _LABEL_FIELDS.values()}
        for label in self.labels:
            printed = _ANNOTATION.sub("", "".join(label.printed.split())) or label.printed
            tables[_LABEL_FIELDS[label.kind]][printed] = label.canonical
        try:
            return TemplateDefinition(
                id=self.id, name=self.name, origin="induced", supported=True,
                cues={"titles": self.titles, "labels": {c: 2.0 for c in self.cue_labels}},
                labels=Labels(**tables),
                layout={"rate_basis": self.rate_basis, "total_score_from": self.total_score_from,
                        "grade_on": self.grade_on},
                printed=self.printed, provenance=provenance)
        except ValidationError as exc:
            raise TemplateError(f"the induced definition is not valid: {exc.errors(include_url=False)[0]['msg']}",
                                family=self.id) from exc


def prove(definition: TemplateDefinition, samples: list[Grid], base: TemplateRegistry | None = None) -> list[str]:
    """What goes wrong when the rules read the samples with a definition ([] when it reads them cleanly)."""
    registry = TemplateRegistry([*[d for d in (base or default_registry()).definitions.values()
                                   if d.id != definition.id], definition])
    failures: list[str] = []
    for n, grid in enumerate(samples, start=1):
        try:
            raw = read_rows(grid, registry)
        except ExtractorError as exc:
            failures.append(f"sample {n}: {exc.message}")
            continue
        if raw.template is None or raw.template.id != definition.id:
            picked = raw.template.id if raw.template else None
            failures.append(f"sample {n} is picked as family {picked!r}, not {definition.id!r}: give cues that "
                            f"only this layout prints (its own column names, its title)")
            continue
        mapped = map_rules(raw)
        checked = check(mapped.record, mapped.provenance, grid, CheckContext.of(definition))
        for finding in [*mapped.findings, *checked.report.findings]:
            if finding.severity is not Severity.ERROR:
                continue
            if finding.code is FindingCode.MISSING_FIELD or finding.code is FindingCode.UNGROUNDED_VALUE \
                    or finding.code in _ARITHMETIC:
                failures.append(f"sample {n}: {finding.code.value} {', '.join(finding.fields)}: {finding.message}")
    return list(dict.fromkeys(failures))[:40]


class TemplateInducer:
    """Asks the configured LLM endpoint for definitions and proves them."""

    def __init__(self, settings: Settings, attempts: int = 3) -> None:
        self.settings = settings
        self.client = LLMClient(settings)
        self.prompt: Prompt = load_prompt(PROMPT, PROMPT_VERSION)
        self.cache = AnswerCache(settings.llm_cache_path() if settings.llm_cache else None)
        self.attempts = attempts
        self.requests = 0
        self.usage: dict[str, int] = {}  # tokens spent so far, as the endpoint counted them

    def _system(self, samples: list[Grid]) -> str:
        canonical = [(kind, sorted(set(vocabulary(vk).values()))) for kind, vk in _KINDS.items()]
        return self.prompt.render("system", id_hint=id_hint(samples[0].kind), canonical=canonical,
                                  paths=sorted(RECORD_PATHS))

    def induce(self, samples: list[Grid], base: TemplateRegistry | None = None) -> TemplateDefinition:
        """A proved definition for the samples' layout (InductionError with every attempt's failures if none)."""
        if not samples:
            raise InductionError("no sample form to induce a definition from")
        source = SourceCells([c for grid in samples for c in grid.cells()])
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": self._system(samples)},
            {"role": "user", "content": self.prompt.render(
                "user", kind=samples[0].kind.value, samples=[listing(grid_rows(g)) for g in samples])}]
        history: list[list[str]] = []
        print_ = fingerprint(samples[0])
        for attempt in range(1, self.attempts + 1):
            answer = self._ask(messages, source)
            provenance = {"fingerprint": print_, "model": self.client.model, "prompt": self.prompt.describe(),
                          "attempt": attempt, "samples": len(samples)}
            try:
                definition = answer.definition(provenance)
                failures = prove(definition, samples, base)
            except TemplateError as exc:
                failures = [exc.message]
                definition = None
            if not failures and definition is not None:
                return definition.model_copy(update={"provenance": {**provenance, "proved_on": len(samples)}})
            history.append(failures)
            log.info("induced definition %s failed its proof (attempt %d): %s", answer.id, attempt, failures[:3])
            messages += [{"role": "assistant", "content": answer.model_dump_json()},
                         {"role": "user", "content": self.prompt.render("retry", failures=failures)}]
        raise InductionError(f"no definition read the samples after {self.attempts} attempts: "
                             f"{'; '.join(history[-1][:3])}", attempts=history, requests=self.requests)

    def _ask(self, messages: list[dict[str, Any]], source: SourceCells) -> InducedTemplate:
        key = AnswerCache.key(self.client.model, self.prompt.hash, digest([m["content"] for m in messages]))
        entry = self.cache.get(key)
        if entry is not None and entry.get("validated"):
            try:
                return InducedTemplate.model_validate(entry["answer"], context={"source": source})
            except ValidationError:
                pass  # cells changed under the same key: ask again
        try:
            exchange = self.client.ask(messages, InducedTemplate, {"source": source}, self.settings.llm_reasks)
        except LLMError as exc:
            self.requests += int((exc.details or {}).get("responses") or 1)
            raise
        self.requests += exchange.responses
        for key, value in exchange.usage.items():
            self.usage[key] = self.usage.get(key, 0) + value
        if not exchange.validated or exchange.answer is None:
            raise InductionError(f"{self.client.model} gave no valid definition: "
                                 f"{(exchange.reask_errors or ['no answer'])[-1][:300]}",
                                 reasks=exchange.reask_errors)
        self.cache.put(key, {"kind": PROMPT, "model": self.client.model, "prompt": self.prompt.describe(),
                             "validated": True, "answer": exchange.raw, "usage": exchange.usage})
        assert isinstance(exchange.answer, InducedTemplate)
        return exchange.answer


__all__ = ["InductionError", "TemplateInducer", "fingerprint", "prove", "with_candidate"]

