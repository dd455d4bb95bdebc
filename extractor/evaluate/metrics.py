"""Scores of extracted documents against gold: fields by group, rows, label repairs, hallucinations, findings, cost."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, Field, computed_field

from extractor.domain.text import norm_key
from extractor.evaluate.datasets import DocumentEntry, GoldForm
from extractor.records.compare import (
    FieldComparison,
    Outcome,
    align_rows,
    align_sequences,
    compare_records,
    same_value,
)
from extractor.records.cost import llm_usage as form_llm_usage
from extractor.records.models import (
    DocumentResult,
    Finding,
    FindingCode,
    FormResult,
    FormStatus,
    MapMethod,
    Provenance,
    Record,
    Severity,
    needs_review,
)
from extractor.records.paths import iter_values

FIELD_GROUPS = ("header", "funds", "goals", "indicator_label", "indicator_name", "indicator_value",
                "indicator_score", "totals", "evaluation")
_INDICATOR_GROUP = {"level1": "indicator_label", "level2": "indicator_label", "name": "indicator_name",
                    "target": "indicator_value", "actual": "indicator_value", "deviation": "indicator_value",
                    "nature": "indicator_value", "unit": "indicator_value", "method": "indicator_value",
                    "weight": "indicator_score", "score": "indicator_score"}
_TOP_GROUP = {"year": "header", "project_name": "header", "project_code": "header", "department": "header",
              "implementing_unit": "header", "money_unit": "funds", "funds": "funds", "goals": "goals",
              "total_weight": "totals", "total_score": "totals", "reviewed_score": "totals", "grade": "totals",
              "evaluation": "evaluation"}
# Label restorations the mappers record in provenance (MapMethod); each is scored against the gold label.
_RESTORED = (MapMethod.REPAIRED, MapMethod.SYNONYM, MapMethod.INFERRED)
_LABEL_PATH = re.compile(r"^indicators\[\d+\]\.level[12]$")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
# Outcomes that leave a wrong value in the record. A value left null where the form prints one is wrong too:
# a form called ok must hold every printed value (issue "silent forms").
_WRONG_VALUE = (Outcome.WRONG, Outcome.EXTRA, Outcome.INVENTED, Outcome.OMITTED)


def field_group(path: str) -> str:
    """The field group a record path belongs to (README 'Evaluation')."""
    if path.startswith("indicators["):
        return _INDICATOR_GROUP[path.rsplit(".", 1)[1]]
    return _TOP_GROUP[path.split(".", 1)[0]]


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 6) if den else None


class FieldTally(BaseModel):
    """Gold fields of one group and how they fared."""

    total: int = 0
    correct: int = 0
    wrong: int = 0
    omitted: int = 0
    extra: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def accuracy(self) -> float | None:
        """correct / total (None when the group is empty)."""
        return _ratio(self.correct, self.total)


class Tally(BaseModel):
    """Of n cases, how many were right."""

    total: int = 0
    correct: int = 0

    @computed_field  # type: ignore[prop-decorator]
    @property
    def accuracy(self) -> float | None:
        """correct / total."""
        return _ratio(self.correct, self.total)


class Cost(BaseModel):
    """What the run cost: time, pages, LLM requests and tokens (peak memory is per configuration)."""

    pages: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    llm_requests: int = Field(default=0, description="requests sent to the endpoint in this run")
    llm_prompt_tokens: int = Field(default=0, description="as recorded per form, answers from the cache included")
    llm_completion_tokens: int = 0
    llm_cached_forms: int = Field(default=0, description="forms whose answer came from the LLM cache")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def seconds_per_page(self) -> float | None:
        """Wall seconds per page (a text export counts one page per form)."""
        return round(self.seconds / self.pages, 4) if self.pages else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cpu_seconds_per_page(self) -> float | None:
        """CPU seconds (all threads of the process) per page."""
        return round(self.cpu_seconds / self.pages, 4) if self.pages else None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def llm_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.llm_prompt_tokens + self.llm_completion_tokens


class Scores(BaseModel):
    """Every measure for a set of documents; counts add up, ratios are computed from them."""

    documents: int = 0
    documents_failed: int = Field(default=0, description="documents that failed and were not expected to")
    failures: dict[str, int] = Field(default_factory=dict, description="error code → documents (all failures)")
    expectations: Tally = Field(default_factory=Tally, description="documents with an `expect` that met it")
    forms: int = Field(default=0, description="gold forms")
    forms_matched: int = 0
    forms_missed: int = 0
    forms_extra: int = Field(default=0, description="forms extracted that no gold form matches")
    forms_exact: int = Field(default=0, description="matched forms with every field correct")
    fields: FieldTally = Field(default_factory=FieldTally)
    groups: dict[str, FieldTally] = Field(default_factory=lambda: {g: FieldTally() for g in FIELD_GROUPS})
    invented_fields: int = Field(default=0, description="values in rows or forms that have no gold")
    rows_gold: int = 0
    rows_output: int = 0
    rows_matched: int = 0
    label_repairs: dict[str, Tally] = Field(default_factory=dict, description="restoration method → tally")
    hallucinations: int = Field(default=0, description="mapped values absent from gold and from the source")
    hallucinations_caught: int = Field(default=0, description="of those, rejected by the checker (UNGROUNDED_VALUE)")
    false_rejections: int = Field(default=0, description="UNGROUNDED_VALUE on a value that equals gold")
    silent_wrong_fields: int = Field(default=0, description="wrong or missing values in forms the checker passed "
                                     "as ok")
    silent_wrong_forms: int = Field(default=0, description="forms passed as ok holding a wrong or missing value")
    findings_expected: int = 0
    findings_found: int = 0
    false_errors: int = Field(default=0, description="error codes reported that expected_findings does not list")
    false_error_codes: dict[str, int] = Field(default_factory=dict)
    forms_false_review: int = Field(default=0, description="forms sent to review only by false errors")
    false_alarms: int = Field(default=0, description="forms sent to review with every value right and no finding "
                              "in their gold that needs review (the scan-trust issue's false alarms)")
    review_forms: int = Field(default=0, description="forms the checker sent to review")
    cost: Cost = Field(default_factory=Cost)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def field_accuracy(self) -> float | None:
        """Correct gold fields / gold fields (missed rows and forms count as omitted)."""
        return self.fields.accuracy

    @computed_field  # type: ignore[prop-decorator]
    @property
    def row_recall(self) -> float | None:
        """Gold indicator rows matched by an output row."""
        return _ratio(self.rows_matched, self.rows_gold)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def row_precision(self) -> float | None:
        """Output indicator rows that match a gold row (the rest are invented)."""
        return _ratio(self.rows_matched, self.rows_output)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def label_repair_accuracy(self) -> float | None:
        """Restored labels (repaired, synonym, inferred) equal to gold."""
        return _ratio(sum(t.correct for t in self.label_repairs.values()),
                      sum(t.total for t in self.label_repairs.values()))

    @computed_field  # type: ignore[prop-decorator]
    @property
    def finding_recall(self) -> float | None:
        """Expected finding codes that were reported."""
        return _ratio(self.findings_found, self.findings_expected)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def hallucinations_slipped(self) -> int:
        """Hallucinated values the checker let through."""
        return self.hallucinations - self.hallucinations_caught

    def add(self, other: Scores) -> Scores:
        """The sum of two score sets (counts add; ratios follow)."""
        def merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
            out = dict(a)
            for k, v in b.items():
                out[k] = _sum(out[k], v) if k in out else v
            return out

        def _sum(a: Any, b: Any) -> Any:
            if isinstance(a, BaseModel):
                return type(a)(**merge(_counts(a), _counts(b)))
            if isinstance(a, dict):
                return merge(a, b)
            return a + b

        return Scores(**merge(_counts(self), _counts(other)))

    def flat(self) -> dict[str, float | int | None]:
        """Named figures for thresholds and tables: ratios, counts, group accuracies as 'group.NAME'."""
        out: dict[str, float | int | None] = {
            "field_accuracy": self.field_accuracy, "row_recall": self.row_recall, "row_precision": self.row_precision,
            "label_repair_accuracy": self.label_repair_accuracy, "finding_recall": self.finding_recall,
            "false_errors": self.false_errors, "forms_false_review": self.forms_false_review,
            "hallucinations": self.hallucinations, "hallucinations_slipped": self.hallucinations_slipped,
            "false_rejections": self.false_rejections, "silent_wrong_fields": self.silent_wrong_fields,
            "silent_forms": self.silent_wrong_forms, "false_alarms": self.false_alarms,
            "documents_failed": self.documents_failed, "forms_missed": self.forms_missed,
            "expectations_failed": self.expectations.total - self.expectations.correct,
            "forms_extra": self.forms_extra, "invented_fields": self.invented_fields,
            "seconds_per_page": self.cost.seconds_per_page, "llm_tokens": self.cost.llm_tokens,
        }
        out |= {f"group.{g}": t.accuracy for g, t in self.groups.items()}
        return out


def _counts(model: BaseModel) -> dict[str, Any]:
    """A model's stored fields (not its computed ones), nested models kept as models."""
    return {name: getattr(model, name) for name in type(model).model_fields}


class SourceIndex:
    """What a document prints, as a normalised text and a set of numbers: the 'source' of a hallucination test.

    Built from the document itself where it can be read without the pipeline (a text export, a PDF text layer,
    a transcript named in the manifest) plus every gold value of the document (a scan prints its gold).
    """

    def __init__(self, texts: list[str]) -> None:
        normalised = [norm_key(t) for t in texts if t]
        self.text = "\n".join(normalised)
        self.numbers: set[Decimal] = set()
        for t in normalised:
            for m in _NUMBER.finditer(t):
                try:
                    self.numbers.add(Decimal(m.group()))
                except InvalidOperation:
                    continue

    @classmethod
    def of(cls, entry: DocumentEntry) -> SourceIndex:
        """The index of a dataset document."""
        texts = [_readable_text(entry)]
        for gold in entry.gold:
            texts += [str(v) for _, v in iter_values(gold.record) if v is not None]
        return cls([t for t in texts if t])

    def contains(self, value: Any) -> bool:
        """True when the value is printed somewhere in the source."""
        if isinstance(value, Decimal):
            return value in self.numbers
        key = norm_key(str(value))
        if not key:
            return True
        if _NUMBER.fullmatch(key):
            return Decimal(key) in self.numbers or key in self.text
        return key in self.text


def _readable_text(entry: DocumentEntry) -> str:
    """The document's own text when it can be had without OCR: transcript, text export or PDF text layer."""
    if entry.transcript is not None and entry.transcript.is_file():
        return entry.transcript.read_text(encoding="utf-8", errors="replace")
    from extractor.errors import DocumentLoadError
    from extractor.ingest.files import read_document
    from extractor.settings import get_settings

    try:  # the reader every command uses: a FIFO or a device in a dataset folder is skipped, not read for ever
        data = read_document(entry.path, get_settings().max_file_bytes).data
    except DocumentLoadError:
        return ""
    if data.startswith(b"%PDF"):
        try:
            import pymupdf
        except ImportError:
            return ""
        try:
            with pymupdf.open(stream=data, filetype="pdf") as doc:
                return "\n".join(page.get_text() for page in doc)
        except Exception:  # a broken PDF has no readable source; gold values still count
            return ""
    from extractor.ingest.loader import DocumentKind, sniff

    if sniff(data) is not DocumentKind.TEXT_EXPORT:
        return ""
    from extractor.ingest.text_export import decode_bytes

    try:
        return decode_bytes(data)[0]
    except DocumentLoadError:
        return ""


_FORM_KEYS = ("year", "project_name", "department", "implementing_unit", "total_weight", "total_score", "grade")
_FUND_KEYS = ("initial_budget", "annual_budget", "executed", "weight", "execution_rate", "score")
# Forms of one document are paired within this distance of their printed order (keeps big exports linear).
_FORM_BAND = 50


def _form_key(record: Record) -> list[Any]:
    return [getattr(record, k) for k in _FORM_KEYS] + [getattr(record.funds.total, k) for k in _FUND_KEYS]


def _form_similarity(got: list[Any], gold: list[Any]) -> float | None:
    """Header, totals and fund-total fields two forms share; None when too few agree to be the same form."""
    present = [(a, b) for a, b in zip(got, gold, strict=True) if b is not None]
    same = sum(1 for a, b in present if same_value(a, b))
    name_same = gold[1] is not None and same_value(got[1], gold[1])
    return float(same) if name_same or same * 2 >= len(present) > 0 else None


def llm_usage(provenance: Provenance) -> tuple[int, int, int, bool]:
    """(requests, prompt tokens, completion tokens, from cache) the mapper recorded for a form; zeros for rules."""
    usage = form_llm_usage(provenance.llm)
    return usage.requests, usage.prompt_tokens, usage.completion_tokens, usage.cached


def _rejected(form: FormResult) -> dict[str, str]:
    """Output path → value the checker rejected as ungrounded."""
    return {f.fields[0]: str((f.data or {}).get("value")) for f in form.findings
            if f.code is FindingCode.UNGROUNDED_VALUE and f.fields}


def _tally_fields(scores: Scores, comparisons: list[FieldComparison]) -> None:
    for c in comparisons:
        if c.outcome is Outcome.INVENTED:
            scores.invented_fields += 1
            continue
        for tally in (scores.fields, scores.groups[field_group(c.path)]):
            tally.total += 1
            setattr(tally, c.outcome.value, getattr(tally, c.outcome.value) + 1)


def _score_form(scores: Scores, form: FormResult | None, gold: GoldForm | None, source: SourceIndex,
                differences: list[dict[str, Any]] | None, where: dict[str, Any]) -> None:
    record = form.record if form is not None else None
    comparisons = compare_records(record, gold.record if gold is not None else None,
                                  gold.skip_null if gold is not None else ())
    _tally_fields(scores, comparisons)
    if differences is not None:
        at = {**where, "form": gold.form_index if gold is not None else None,
              "output_form": form.index if form is not None else None}
        differences += [{**at, "path": c.path, "outcome": c.outcome.value, "got": _plain(c.got),
                         "expected": _plain(c.expected)} for c in comparisons if c.outcome is not Outcome.CORRECT]
    got_rows = record.indicators if record is not None else []
    gold_rows = gold.record.indicators if gold is not None else []
    scores.rows_gold += len(gold_rows)
    scores.rows_output += len(got_rows)
    scores.rows_matched += sum(1 for a, b in align_rows(got_rows, gold_rows) if a is not None and b is not None)
    if gold is not None:
        scores.forms += 1
        scores.findings_expected += len(set(gold.expected_findings))
    if form is None:
        scores.forms_missed += 1
        return
    if gold is None:
        scores.forms_extra += 1
    else:
        scores.forms_matched += 1
        scores.forms_exact += all(c.outcome is Outcome.CORRECT for c in comparisons)
        expected = {c.value for c in gold.expected_findings}
        reported = {f.code.value for f in form.findings}
        scores.findings_found += len(expected & reported)
        false = {f.code.value for f in form.findings if f.severity is Severity.ERROR} - expected
        scores.false_errors += len(false)
        scores.false_error_codes = dict(Counter(scores.false_error_codes) + Counter(false))
        has_true_error = any(f.severity is Severity.ERROR and f.code in gold.expected_findings for f in form.findings)
        scores.forms_false_review += bool(false) and not has_true_error
    by_got_path = {c.got_path: c for c in comparisons if c.got_path is not None}
    _score_repairs(scores, form.provenance, by_got_path)
    _score_hallucinations(scores, form, by_got_path, source)
    if form.status is FormStatus.OK:
        wrong = sum(1 for c in comparisons if c.outcome in _WRONG_VALUE)
        scores.silent_wrong_fields += wrong
        scores.silent_wrong_forms += wrong > 0
    elif gold is not None:
        scores.review_forms += 1
        gold_review = needs_review([Finding.of(code, "", []) for code in gold.expected_findings])
        right = all(c.outcome is Outcome.CORRECT for c in comparisons)
        scores.false_alarms += right and not gold_review
    requests, prompt, completion, cached = llm_usage(form.provenance)
    scores.cost.llm_cached_forms += cached
    scores.cost.llm_requests += requests
    scores.cost.llm_prompt_tokens += prompt
    scores.cost.llm_completion_tokens += completion


def _score_repairs(scores: Scores, provenance: Provenance, by_got_path: dict[str, FieldComparison]) -> None:
    for path, src in provenance.fields.items():
        if not _LABEL_PATH.match(path) or src.method not in _RESTORED:
            continue
        tally = scores.label_repairs.setdefault(src.method.value, Tally())
        tally.total += 1
        c = by_got_path.get(path)
        tally.correct += c is not None and c.outcome is Outcome.CORRECT


def _score_hallucinations(scores: Scores, form: FormResult, by_got_path: dict[str, FieldComparison],
                          source: SourceIndex) -> None:
    rejected = _rejected(form)
    for path in by_got_path.keys() | rejected.keys():
        c = by_got_path.get(path)
        expected = c.expected if c is not None and c.outcome is not Outcome.INVENTED else None
        # What the mapper produced: the kept value, or the one grounding took out.
        value = rejected.get(path, c.got if c is not None else None)
        if value is None:
            continue
        if path in rejected and _same(value, expected):
            scores.false_rejections += 1
            continue
        if _same(value, expected) or source.contains(value):
            continue
        scores.hallucinations += 1
        scores.hallucinations_caught += path in rejected


def _same(value: Any, expected: Any) -> bool:
    return expected is not None and same_value(value, expected)


def _plain(value: Any) -> Any:
    return format(value, "f") if isinstance(value, Decimal) else value


def score_document(entry: DocumentEntry, result: DocumentResult, seconds: float = 0.0, cpu_seconds: float = 0.0,
                   source: SourceIndex | None = None, differences: list[dict[str, Any]] | None = None) -> Scores:
    """Scores of one extracted document against its gold forms (forms paired by content).

    When `differences` is given, every field that is not correct is appended to it (for the JSON report).
    """
    scores = Scores(documents=1)
    source = source or SourceIndex.of(entry)
    expect = entry.expect or {}
    if result.status.value == "failed":
        scores.documents_failed = int(expect.get("status") != "failed")
        scores.failures = {str((result.error or {}).get("code", "UNKNOWN")): 1}
    if entry.expect is not None:
        unmet = unmet_expectations(entry.expect, result)
        scores.expectations = Tally(total=1, correct=int(not unmet))
        if unmet and differences is not None:
            differences.append({"document": entry.name, "expectation": unmet, "status": result.status.value,
                                "error": result.error})
    elif result.status.value == "failed" and differences is not None:
        differences.append({"document": entry.name, "error": result.error})
    scores.cost.pages = result.pages or max(len(entry.gold), len(result.forms), 1)
    scores.cost.seconds = seconds
    scores.cost.cpu_seconds = cpu_seconds
    if not entry.gold and entry.expect is not None:
        return scores  # a broken input: its expectation is the whole score, its forms have no gold to meet
    forms = result.forms
    got_keys = [_form_key(f.record) for f in forms]
    gold_keys = [_form_key(g.record) for g in entry.gold]
    pairs = align_sequences(len(forms), len(entry.gold), lambda i, j: _form_similarity(got_keys[i], gold_keys[j])
                            if abs(i - j) <= _FORM_BAND else None)
    for fi, gi in pairs:
        if gi is None and entry.partial:
            continue  # a form the partial gold says nothing about (not reviewed), neither right nor invented
        _score_form(scores, forms[fi] if fi is not None else None, entry.gold[gi] if gi is not None else None,
                    source, differences, {"document": entry.name})
    return scores


def unmet_expectations(expect: dict[str, Any], result: DocumentResult) -> list[str]:
    """What a document's `expect` asked for and did not get (empty when met); the corpus generator's semantics."""
    unmet = []
    status = expect.get("status", "ok")
    if result.status.value != status:
        unmet.append(f"status {result.status.value}, expected {status}")
    codes = expect.get("error_code")
    if codes is not None:
        codes = [codes] if isinstance(codes, str) else list(codes)
        got = (result.error or {}).get("code")
        if got not in codes:
            unmet.append(f"error {got}, expected one of {codes}")
    if "forms" in expect and len(result.forms) != expect["forms"]:
        unmet.append(f"{len(result.forms)} form(s), expected {expect['forms']}")
    form_status = expect.get("form_status")
    statuses = [f.status.value for f in result.forms]
    if form_status is not None and (not statuses or any(s != form_status for s in statuses)):
        unmet.append(f"form status {statuses}, expected {form_status}")
    missing = {p for form in result.forms for f in form.findings if f.code is FindingCode.MISSING_FIELD
               for p in f.fields}
    unmet += [f"no MISSING_FIELD for {path}" for path in expect.get("missing_fields", []) if path not in missing]
    return unmet
