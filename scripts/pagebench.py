"""Measure the PDF/scan paths on a generated corpus (scripts/make_corpus.py): speed, memory, field accuracy.

Used by `scripts/bench.py pdf|ocr`; importable on its own: `measure(corpus_dir, kinds, settings)`.
Field accuracy follows record.md's comparison (extractor.records.compare.diff_records): one error per leaf
field of the gold record that the extracted record does not equal; a form not found costs all its fields.
"""

from __future__ import annotations

import json
import resource
import statistics
import time
from pathlib import Path
from typing import Any

from extractor.pipeline import extract_bytes
from extractor.records.compare import diff_records
from extractor.records.models import Record
from extractor.records.paths import iter_values
from extractor.settings import Settings


def peak_rss_mb() -> float:
    """Peak resident memory of this process, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def documents(corpus: Path, kinds: set[str], limit: int | None = None) -> list[dict[str, Any]]:
    """Manifest entries of the given manifest kinds (pdf, scan, image), broken files left out."""
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    docs = [d for d in manifest["documents"] if d["kind"] in kinds and not d.get("broken") and d["forms"]]
    return docs[:limit] if limit else docs


def measure(corpus: Path, kinds: set[str], settings: Settings, limit: int | None = None) -> dict[str, Any]:
    """Run every document of those kinds through the pipeline and compare with gold."""
    per_page: list[float] = []
    stages: dict[str, float] = {}
    fields = errors = forms = pages = invented = 0
    missed_findings: list[dict[str, Any]] = []
    diffs: list[dict[str, Any]] = []
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    docs = documents(corpus, kinds, limit)
    for doc in docs:
        data = (corpus / doc["path"]).read_bytes()
        start = time.perf_counter()
        result = extract_bytes(data, doc["path"], settings)
        seconds = time.perf_counter() - start
        n_pages = result.pages or doc.get("pages") or 1
        pages += n_pages
        per_page.append(seconds / n_pages)
        for k, v in result.timings.items():
            stages[k] = stages.get(k, 0.0) + v
        golds = [json.loads((corpus / g).read_text(encoding="utf-8")) for g in doc["forms"]]
        forms += len(golds)
        invented += max(0, len(result.forms) - len(golds))
        for i, gold in enumerate(golds):
            record = Record.model_validate(gold["record"])
            n_fields = len(dict(iter_values(record)))
            fields += n_fields
            if i >= len(result.forms):
                errors += n_fields
                diffs.append({"doc": doc["path"], "form": i + 1, "path": "*", "got": None, "expected": "whole form",
                              "error": result.error})
                continue
            form = result.forms[i]
            got_rows, want_rows = len(form.record.indicators), len(record.indicators)
            invented += max(0, got_rows - want_rows)
            d = diff_records(form.record, record)
            errors += len(d)
            diffs += [{"doc": doc["path"], "form": i + 1, "path": x.path, "got": str(x.got), "expected": str(x.expected)}
                      for x in d]
            reported = {f.code.value for f in form.findings}
            missing = set(gold.get("expected_findings", [])) - reported
            if missing:
                missed_findings.append({"doc": doc["path"], "form": i + 1, "missing": sorted(missing)})
    if "pages" in stages:
        stages.pop("ingest", None)  # ingest = pages + grid, already split
    total = sum(stages.values()) or 1.0
    return {
        "documents": len(docs), "forms": forms, "pages": pages, "fields": fields, "field_errors": errors,
        "field_accuracy": round(1 - errors / fields, 5) if fields else None,
        "invented_rows_or_forms": invented, "missed_expected_findings": missed_findings,
        "s_per_page_median": round(statistics.median(per_page), 3) if per_page else None,
        "s_per_page_mean": round(statistics.fmean(per_page), 3) if per_page else None,
        "cpu_s_per_page": round((time.process_time() - cpu_start) / max(1, pages), 3),
        "wall_s_total": round(time.perf_counter() - wall_start, 1),
        "stage_share": {k: round(v / total, 3) for k, v in sorted(stages.items())},
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "diffs": diffs,
    }
