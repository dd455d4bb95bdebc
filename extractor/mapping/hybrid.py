"""Rules first; the LLM only for forms the rules could not map cleanly. A clean form costs no LLM call."""

from __future__ import annotations

import logging
import threading
from typing import Any

from extractor.checking import check
from extractor.checking.context import CheckContext
from extractor.errors import LLMError
from extractor.layout import Grid
from extractor.mapping.induction import InductionError, TemplateInducer, fingerprint, with_candidate
from extractor.mapping.llm import LLMMapper
from extractor.mapping.rules import MappedForm, map_rules
from extractor.records.models import Finding, FindingCode, Severity
from extractor.settings import Settings
from extractor.tables.rows import RawForm, read_rows
from extractor.templates.model import TemplateDefinition, TemplateError
from extractor.templates.store import TemplateStore, sample_rows

log = logging.getLogger(__name__)

# Findings of the rules result that say the rules did not read the form (not that the form is wrong).
_UNREAD = (FindingCode.MISSING_FIELD, FindingCode.UNGROUNDED_VALUE)
_SECTIONS = ("funds", "indicators")


def _errors(findings: list[Finding]) -> int:
    return sum(1 for f in findings if f.severity is Severity.ERROR)


def llm_reasons(form: RawForm, grid: Grid, mapped: MappedForm) -> list[str]:
    """Why the rules result is not clean enough to keep without asking the LLM ([] when it is)."""
    reasons = []
    if mapped.provenance.unmapped_rows:
        reasons.append(f"{len(mapped.provenance.unmapped_rows)} row(s) no rule understood")
    missing = [s for s in _SECTIONS if s not in form.sections_seen]
    if missing or not form.indicator_header:
        reasons.append(f"unknown layout (missing: {', '.join(missing) or 'indicator header'})")
    report = check(mapped.record, mapped.provenance, grid, CheckContext.of(form.family)).report
    unread = sorted({f.code.value for f in report.findings if f.code in _UNREAD})
    if unread:
        reasons.append(f"rules result has {', '.join(unread)}")
    return reasons


class HybridMapper:
    """The rules mapper, with the LLM mapper as the second reader of forms the rules could not map cleanly."""

    name = "hybrid"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.llm = LLMMapper(settings)  # ConfigurationError when no endpoint is configured
        self.inducer = TemplateInducer(settings, attempts=settings.induction_attempts)
        self.store = TemplateStore(settings.data_dir)
        self._failed: dict[str, str] = {}  # layout fingerprint → why no definition could be had (asked once)
        self._lock = threading.Lock()

    def prefetch(self, pairs: list[tuple[RawForm, Grid]]) -> None:
        """Send only the forms that need the LLM form by form, concurrently (unknown layouts go to induction)."""
        self.llm.prefetch([(form, grid) for form, grid in pairs
                           if llm_reasons(form, grid, map_rules(form)) and not unknown_layout(form, map_rules(form))])

    def __call__(self, form: RawForm, grid: Grid) -> MappedForm:
        """The rules result when it is clean; an unknown layout is learnt once (template induction) and read by
        rules; else the LLM's answer for the form, unless that has more errors (or cannot be had)."""
        rules = map_rules(form)
        reasons = llm_reasons(form, grid, rules)
        if not reasons:
            return rules
        if unknown_layout(form, rules):
            return self._by_induction(form, grid, rules, reasons)
        try:
            llm = self.llm(form, grid)
        except LLMError as exc:
            # The rules result stays, with its own findings; provenance says the second reading could not be had.
            log.warning("LLM unavailable for a form the rules could not map cleanly: %s", exc.message)
            rules.provenance.llm = {"status": "unavailable", "error": exc.to_dict(), "hybrid": {
                "reasons": reasons, "chosen": "rules"}}
            return rules
        context = CheckContext.of(form.family)
        errors = {"rules": _errors(check(rules.record, rules.provenance, grid, context).report.findings),
                  "llm": _errors([*llm.findings, *check(llm.record, llm.provenance, grid, context).report.findings])}
        chosen = "llm" if errors["llm"] <= errors["rules"] else "rules"
        decision: dict[str, Any] = {"reasons": reasons, "chosen": chosen, "errors": errors}
        if chosen == "llm":
            llm.provenance.llm = {**(llm.provenance.llm or {}), "hybrid": decision}
            return llm
        rules.provenance.llm = {**(llm.provenance.llm or {}), "hybrid": decision}
        return rules

    def _definition(self, grid: Grid) -> tuple[TemplateDefinition | None, dict[str, Any]]:
        """The definition of this grid's layout: approved, a stored candidate, or induced now (once per layout,
        across threads and the processes sharing the data directory)."""
        print_ = fingerprint(grid)
        with self._lock:  # one induction per layout, however many forms of it arrive at once
            known = self.store.by_fingerprint(print_)
            if known is not None:
                return known, {"fingerprint": print_, "induced": False}
            if print_ in self._failed:
                return None, {"fingerprint": print_, "error": self._failed[print_]}
            with self.store.layout_lock(print_):
                known = self.store.by_fingerprint(print_)  # induced by another worker while this one waited
                if known is not None:
                    return known, {"fingerprint": print_, "induced": False, "waited": True}
                before, spent = self.inducer.requests, dict(self.inducer.usage)
                try:
                    definition = self.inducer.induce([grid])
                    self.store.propose(definition, sample=sample_rows(grid))
                except (InductionError, LLMError, TemplateError) as exc:
                    self._failed[print_] = exc.message
                    return None, {"fingerprint": print_, "error": exc.message, "code": exc.code,
                                  "requests": self.inducer.requests - before, "usage": self._spent(spent)}
            return definition, {"fingerprint": print_, "induced": True, "requests": self.inducer.requests - before,
                                "usage": self._spent(spent)}

    def _spent(self, before: dict[str, int]) -> dict[str, int]:
        return {k: v - before.get(k, 0) for k, v in self.inducer.usage.items()}

    def _by_induction(self, form: RawForm, grid: Grid, rules: MappedForm, reasons: list[str]) -> MappedForm:
        definition, info = self._definition(grid)
        info["reasons"] = reasons
        if definition is None:
            # No definition could be had (endpoint down, no proof): the form stays as the rules read it, for review.
            rules.provenance.llm = {"status": "induction_failed", "induction": info}
            return rules
        approved = "approved_by" in definition.provenance
        if not (approved or self.settings.trust_induced):
            # A candidate awaits its reviewer: nothing read with it is kept unreviewed.
            rules.provenance.llm = {"status": "candidate_awaits_approval", "template": definition.id,
                                    "induction": info}
            return rules
        raw = read_rows(grid, with_candidate(definition))
        mapped = map_rules(raw)
        mapped.family = definition
        mapped.provenance.llm = {"status": "read_by_induced_template", "template": definition.id,
                                 "trusted": "approved" if approved else "trust_induced", "induction": info}
        return mapped


def unknown_layout(form: RawForm, rules: MappedForm) -> bool:
    """The rules could not place a header's columns, or no family's cues were found: a layout to learn."""
    return bool(rules.provenance.layout.get("unmapped_columns")) or bool(
        form.template is not None and form.template.fallback)
