"""Rules first; the LLM only for forms the rules could not map cleanly. A clean form costs no LLM call."""

from __future__ import annotations

import logging
from typing import Any

from extractor.checking import check
from extractor.checking.context import CheckContext
from extractor.errors import LLMError
from extractor.layout import Grid
from extractor.mapping.llm import LLMMapper
from extractor.mapping.rules import MappedForm, map_rules
from extractor.records.models import Finding, FindingCode, Severity
from extractor.settings import Settings
from extractor.tables.rows import RawForm

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
        self.llm = LLMMapper(settings)  # ConfigurationError when no endpoint is configured

    def prefetch(self, pairs: list[tuple[RawForm, Grid]]) -> None:
        """Send only the forms that need the LLM, concurrently."""
        self.llm.prefetch([(form, grid) for form, grid in pairs if llm_reasons(form, grid, map_rules(form))])

    def __call__(self, form: RawForm, grid: Grid) -> MappedForm:
        """The rules result when it is clean; else the LLM's, unless that has more errors (or cannot be had)."""
        rules = map_rules(form)
        reasons = llm_reasons(form, grid, rules)
        if not reasons:
            return rules
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
