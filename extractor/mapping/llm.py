"""The LLM mapper: one structured-output call per form (instructor over any OpenAI-compatible endpoint), grounded.

The model sees the form's cells with their ids and answers with every value citing its cell(s). Validators
refuse what the cells do not hold and instructor re-asks; what still fails is dropped and reported as
UNGROUNDED_VALUE. The deterministic checker then grounds the record again, independently, like any other.
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pydantic import ValidationError

from extractor.checking import check
from extractor.checking.context import CheckContext
from extractor.checking.grounding import SourceCells
from extractor.domain.vocabulary import LEVEL1, LEVEL2, parent_of, vocabulary
from extractor.domain.vocabulary import VocabKind as _VocabKind
from extractor.errors import ExtractorError, LLMError, LLMResponseError
from extractor.layout import Grid, SourceKind
from extractor.mapping.answers import CitedNumber, FormAnswer, Rereading, read_leniently
from extractor.mapping.llm_cache import AnswerCache, digest
from extractor.mapping.llm_client import Exchange, LLMClient
from extractor.mapping.llm_record import apply_readings, to_mapped
from extractor.mapping.prompts import Prompt, grid_rows, id_hint, listing, load_prompt
from extractor.mapping.rereading import ARITHMETIC_RULES, row_of, row_paths, suspects
from extractor.mapping.rules import MappedForm
from extractor.records.models import FindingCode, Severity
from extractor.records.paths import get_path
from extractor.settings import Settings
from extractor.tables.rows import RawForm

log = logging.getLogger(__name__)

PROMPT, PROMPT_VERSION = "map_rows", "v2"
REREAD_PROMPT, REREAD_VERSION = "reread_rows", "v1"


def _example(prompt: Prompt) -> dict[str, str]:
    data = prompt.data("example")
    rows = [[(cid, text) for cid, text in row] for row in data["rows"]]
    return {"listing": listing(rows), "answer": json.dumps(data["answer"], ensure_ascii=False)}


def _synonyms() -> list[tuple[str, str]]:
    return [(printed, canonical) for printed, canonical in vocabulary(_VocabKind.INDICATOR_LABEL).items()
            if printed != canonical]


class LLMMapper:
    """Maps a form's cells to a record through an LLM; callable like every mapper, plus `prefetch` for a batch."""

    name = "llm"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.client = LLMClient(settings)  # ConfigurationError when the endpoint is not configured
        self.prompt = load_prompt(PROMPT, PROMPT_VERSION)
        self.reread_prompt = load_prompt(REREAD_PROMPT, REREAD_VERSION)
        self.cache = AnswerCache(settings.llm_cache_path() if settings.llm_cache else None)
        self._systems: dict[SourceKind, str] = {}
        self._prompt_keys: dict[tuple[str, str, str], str] = {}
        self._ready: dict[str, MappedForm | BaseException] = {}
        self._lock = threading.Lock()

    # -- the prompt ---------------------------------------------------------------------------------------------
    def system(self, kind: SourceKind) -> str:
        """The system message: rules, vocabulary and the worked example."""
        if kind not in self._systems:
            self._systems[kind] = self.prompt.render(
                "system", id_hint=id_hint(kind), level1=list(LEVEL1),
                level2=[(label, list(parent_of(label))) for label in LEVEL2], synonyms=_synonyms(),
                example=_example(self.prompt))
        return self._systems[kind]

    def messages(self, grid: Grid) -> list[dict[str, Any]]:
        """The chat messages of one form."""
        user = self.prompt.render("user", kind=grid.kind.value, listing=listing(grid_rows(grid)))
        return [{"role": "system", "content": self.system(grid.kind)}, {"role": "user", "content": user}]

    def _prompt_key(self, system: str, schema: type[Any], prompt: Prompt) -> str:
        # The answer depends on the prompt files, the schema the model fills in and how it is asked for.
        memo = (system, schema.__name__, prompt.hash)
        if memo not in self._prompt_keys:
            self._prompt_keys[memo] = digest({"prompt": prompt.hash, "system": system,
                                              "schema": schema.model_json_schema(), "mode": self.client.mode.value})
        return self._prompt_keys[memo]

    def _key(self, messages: list[dict[str, Any]], schema: type[Any], prompt: Prompt) -> tuple[str, str]:
        prompt_key = self._prompt_key(messages[0]["content"], schema, prompt)
        input_hash = digest([m["content"] for m in messages[1:]])
        return AnswerCache.key(self.client.model, prompt_key, input_hash), input_hash

    # -- asking -------------------------------------------------------------------------------------------------
    def _ask(self, messages: list[dict[str, Any]], schema: type[Any], prompt: Prompt,
             context: dict[str, Any]) -> tuple[Exchange, bool]:
        """The answer to one question, from the cache or the endpoint (then cached); True when it was cached."""
        key, input_hash = self._key(messages, schema, prompt)
        entry = self.cache.get(key)
        if entry is not None:
            exchange = Exchange(answer=None, raw=entry.get("answer"), validated=bool(entry.get("validated")),
                                responses=0, usage=dict(entry.get("usage") or {}),
                                reask_errors=list(entry.get("reask_errors") or []))
            if exchange.validated:
                try:
                    exchange.answer = schema.model_validate(exchange.raw, context=context)
                except ValidationError:
                    exchange.validated = False  # the cells changed under the same key: read it like a failed answer
            return exchange, True
        exchange = self.client.ask(messages, schema, context, self.settings.llm_reasks)
        self.cache.put(key, {"kind": prompt.name, "model": self.client.model, "prompt": prompt.describe(),
                             "input_hash": input_hash, "validated": exchange.validated, "answer": exchange.raw,
                             "usage": exchange.usage, "requests": exchange.responses,
                             "reask_errors": exchange.reask_errors})
        return exchange, False

    def _read(self, exchange: Exchange, schema: type[Any]) -> tuple[Any, list[Any]]:
        if exchange.validated and exchange.answer is not None:
            return exchange.answer, []
        try:
            return read_leniently(exchange.raw, schema)
        except (ValueError, ValidationError) as exc:
            raise LLMResponseError(f"the answer of {self.client.model} is not a record: {exc}"[:400],
                                   model=self.client.model, base_url=self.client.base_url) from None

    # -- mapping ------------------------------------------------------------------------------------------------
    def map(self, form: RawForm, grid: Grid) -> MappedForm:
        """Map one form (no prefetch involved)."""
        source = SourceCells.of(grid)
        messages = self.messages(grid)
        exchange, cached = self._ask(messages, FormAnswer, self.prompt, {"source": source})
        answer, dropped = self._read(exchange, FormAnswer)
        mapped = to_mapped(answer, source, dropped)
        llm: dict[str, Any] = {
            "model": self.client.model,
            "mode": self.client.mode.value,
            "prompt": self.prompt.describe(),
            "usage": exchange.usage,
            "requests": exchange.responses,
            "cached": cached,
            "validated": exchange.validated,
            "reasks": exchange.reask_errors,
        }
        if self.settings.llm_arithmetic_reask:
            mapped, reread = self._reread(mapped, form, grid, source)
            if reread is not None:
                llm["reread"] = reread
                llm["requests"] += reread.get("requests", 0)
                for k, v in reread.get("usage", {}).items():
                    llm["usage"][k] = llm["usage"].get(k, 0) + v
        mapped.provenance.llm = llm
        return mapped

    def _reread(self, mapped: MappedForm, form: RawForm, grid: Grid,
                source: SourceCells) -> tuple[MappedForm, dict[str, Any] | None]:
        """One targeted re-ask when the checker's arithmetic looks like a misreading (rereading.py says when)."""
        if not any(rule(mapped.record) for rule in ARITHMETIC_RULES.values()):
            return mapped, None  # the arithmetic holds on what the model cited: nothing to read again
        first = check(mapped.record, mapped.provenance, grid, CheckContext.of(form.family)).report
        suspected = suspects(mapped.record, mapped.provenance, grid, first.findings)
        if not suspected:
            return mapped, None
        rows = list(dict.fromkeys(row_of(s.path) for s in suspected))
        paths = [p for row in rows for p in row_paths(row)]
        by_path = {s.path: s for s in suspected}
        fields = []
        for path in paths:
            src = mapped.provenance.fields.get(path)
            value = get_path(mapped.record, path)
            fields.append({"path": path, "value": "null" if value is None else format(value, "f"),
                           "cells": [r.id for r in src.cells] if src else ["none"],
                           "unused": by_path[path].unused if path in by_path else []})
        table_rows = self._reread_rows(mapped, form, grid, rows)
        findings = [f.message for f in first.findings if f.code in ARITHMETIC_RULES and f.severity is Severity.ERROR]
        user = self.reread_prompt.render("user", findings=findings, listing=listing(grid_rows(grid, table_rows)),
                                         fields=fields)
        messages = [{"role": "system", "content": self.system(grid.kind)}, {"role": "user", "content": user}]
        info: dict[str, Any] = {"prompt": self.reread_prompt.describe(), "paths": paths,
                                "suspects": [s.model_dump() for s in suspected]}
        try:
            exchange, cached = self._ask(messages, Rereading, self.reread_prompt, {"source": source, "paths": paths})
            answer, _ = self._read(exchange, Rereading)
        except LLMError as exc:
            log.warning("re-read of %s failed: %s", paths, exc.message)
            return mapped, {**info, "accepted": False, "error": exc.to_dict()}
        info.update(requests=exchange.responses, usage=exchange.usage, cached=cached)
        readings = {r.path: CitedNumber(value=r.value, cells=r.cells) for r in answer.readings
                    if r.path in paths and r.value is not None}
        codes = ", ".join(dict.fromkeys(c for s in suspected for c in s.codes))
        candidate = apply_readings(mapped, readings, source, note=f"read again after the checker's {codes}")
        second = check(candidate.record, candidate.provenance, grid, CheckContext.of(form.family)).report
        before, after = _arithmetic_errors(first.findings), _arithmetic_errors(second.findings)
        new_ungrounded = _count(second.findings, FindingCode.UNGROUNDED_VALUE) > _count(first.findings,
                                                                                       FindingCode.UNGROUNDED_VALUE)
        accepted = after < before and not new_ungrounded and not candidate.findings[len(mapped.findings):]
        info.update(accepted=accepted, arithmetic_errors={"before": before, "after": after},
                    readings={p: {"value": c.value, "cells": c.cells} for p, c in readings.items()})
        return (candidate if accepted else mapped), info

    def _reread_rows(self, mapped: MappedForm, form: RawForm, grid: Grid, rows: list[str]) -> set[int]:
        by_id = grid.by_id()
        header_ids = [h.cell_id for h in (*form.fund_header, *form.indicator_header)]
        wanted = {by_id[i].row for i in header_ids if i in by_id}
        for path, src in mapped.provenance.fields.items():
            if row_of(path) in rows:
                wanted |= {by_id[r.id].row for r in src.cells if r.id in by_id}
        return wanted

    # -- the mapper interface -------------------------------------------------------------------------------------
    def _memo_key(self, grid: Grid) -> str:
        return digest([m["content"] for m in self.messages(grid)[1:]])

    def prefetch(self, pairs: list[tuple[RawForm, Grid]]) -> None:
        """Map many forms at once, at most llm_concurrency at a time; each result waits for its __call__."""
        with self._lock:
            self._ready.clear()  # results of an earlier document whose forms were never asked for
        if self.settings.llm_concurrency < 2 or len(pairs) < 2:
            return

        def one(pair: tuple[RawForm, Grid]) -> tuple[str, MappedForm | BaseException]:
            key = self._memo_key(pair[1])
            try:
                return key, self.map(*pair)
            except ExtractorError as exc:
                return key, exc
            except Exception as exc:  # recorded against its form by the pipeline, like any mapper bug
                log.exception("LLM mapping failed")
                return key, exc

        with ThreadPoolExecutor(max_workers=min(self.settings.llm_concurrency, len(pairs)),
                                thread_name_prefix="llm") as pool:
            for key, result in pool.map(one, pairs):
                with self._lock:
                    self._ready[key] = result

    def __call__(self, form: RawForm, grid: Grid) -> MappedForm:
        """Map one form (taking a prefetched result when there is one)."""
        with self._lock:
            ready = self._ready.pop(self._memo_key(grid), None)
        if isinstance(ready, BaseException):
            raise ready
        if ready is not None:
            return ready
        return self.map(form, grid)


def _count(findings: list[Any], code: FindingCode) -> int:
    return sum(1 for f in findings if f.code is code)


def _arithmetic_errors(findings: list[Any]) -> int:
    return sum(1 for f in findings if f.code in ARITHMETIC_RULES and f.severity is Severity.ERROR)
