"""An evaluation: every configuration's run scored against the dataset's gold, overall and per document kind."""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from extractor.evaluate.datasets import Dataset
from extractor.evaluate.metrics import Scores, SourceIndex, score_document
from extractor.evaluate.runner import ConfigRun, Configuration, run_grid

MAX_DIFFERENCES = 200


class ConfigResult(BaseModel):
    """One configuration's scores."""

    label: str
    ocr: str
    mapper: str
    error: dict[str, Any] | None = None
    overall: Scores | None = None
    by_kind: dict[str, Scores] = Field(default_factory=dict)
    by_family: dict[str, Scores] = Field(default_factory=dict)
    by_layout: dict[str, Scores] = Field(default_factory=dict)
    peak_memory_mb: float | None = None
    memory_method: str | None = None
    differences: list[dict[str, Any]] = Field(default_factory=list,
                                              description=f"the first {MAX_DIFFERENCES} fields that differ from gold")


class EvalReport(BaseModel):
    """The whole evaluation, as written to report.json."""

    dataset: str
    root: str
    description: str | None = None
    kinds: list[str]
    families: list[str] = Field(default_factory=list)
    layouts: list[str] = Field(default_factory=list)
    documents: int
    forms: int
    created: str
    machine: dict[str, Any]
    results: list[ConfigResult]


def machine() -> dict[str, Any]:
    """Where the figures were taken (the load average matters on a shared machine)."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"platform": platform.platform(terse=True), "machine": platform.machine(), "cpus": os.cpu_count(),
            "python": f"{platform.python_implementation()} {platform.python_version()}",
            "load_average": [round(x, 2) for x in load] if load else None}


def score_run(dataset: Dataset, run: ConfigRun, sources: dict[int, SourceIndex] | None = None) -> ConfigResult:
    """Score one configuration's run, overall and per document kind."""
    result = ConfigResult(label=run.label, ocr=run.ocr, mapper=run.mapper, error=run.error,
                          peak_memory_mb=run.peak_memory_mb, memory_method=run.memory_method)
    if run.error is not None:
        return result
    overall = Scores()
    differences: list[dict[str, Any]] = []
    for doc in run.documents:
        entry = dataset.documents[doc.index]
        source = sources.get(doc.index) if sources is not None else None
        scores = score_document(entry, doc.result, doc.seconds, doc.cpu_seconds, source, differences)
        overall = overall.add(scores)
        result.by_kind[entry.kind] = result.by_kind[entry.kind].add(scores) if entry.kind in result.by_kind else scores
        for group, key in ((result.by_family, entry.family), (result.by_layout, entry.layout)):
            if key:
                group[key] = group[key].add(scores) if key in group else scores
    result.overall = overall
    result.differences = differences[:MAX_DIFFERENCES]
    return result


def evaluate(dataset: Dataset, configurations: list[Configuration], isolate: bool = True, progress: bool = False,
             on_start: Callable[[Configuration], None] | None = None) -> EvalReport:
    """Run every configuration over the dataset and score it."""
    load_before = machine()
    runs = run_grid(dataset, configurations, isolate=isolate, progress=progress, on_start=on_start)
    sources = {i: SourceIndex.of(entry) for i, entry in enumerate(dataset.documents)}
    results = [score_run(dataset, run, sources) for run in runs]
    info = machine()
    info["load_average_before"] = load_before["load_average"]
    return EvalReport(dataset=dataset.name, root=str(dataset.root), description=dataset.description,
                      kinds=dataset.kinds, families=dataset.families, layouts=dataset.layouts,
                      documents=len(dataset.documents),
                      forms=dataset.forms,
                      created=datetime.now(UTC).isoformat(timespec="seconds"), machine=info, results=results)
