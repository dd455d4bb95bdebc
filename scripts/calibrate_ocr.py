"""Calibration data for scan trust: every OCR value of a dataset with gold, its reading's evidence and whether it is right.

    python scripts/calibrate_ocr.py -d /tmp/scans -o eval/results/calibration/values.jsonl

One JSON line per record value read from an OCR cell: the field class (domain/shapes.py), the weakest character's
probability inside the value, the doubts, whether a second reading agreed, the value, its gold, right or wrong.
`--summary` prints, per class, how many values were right and wrong at each probability and the lowest threshold
that would have kept no wrong value unreviewed: the figures behind the thresholds in
extractor/checking/doubts.py.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Annotated, Any

import typer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extractor.evaluate.datasets import load_dataset  # noqa: E402
from extractor.layout import Cell, Grid  # noqa: E402
from extractor.pipeline import extract_bytes  # noqa: E402
from extractor.records.compare import Outcome, compare_records  # noqa: E402
from extractor.records.models import FindingCode  # noqa: E402
from extractor.settings import Settings  # noqa: E402

app = typer.Typer(add_completion=False)


def _cells(grids: list[Grid]) -> dict[str, Cell]:
    return {c.id: c for g in grids for c in g.cells()}


def values(dataset: str) -> list[dict[str, Any]]:
    """One entry per OCR-read value of every form with gold."""
    from extractor.domain.shapes import field_class

    data = load_dataset(dataset)
    settings = Settings()
    out: list[dict[str, Any]] = []
    for entry in data.documents:
        if entry.kind not in ("scan", "image") or not entry.gold:
            continue
        grids: list[Grid] = []
        result = extract_bytes((data.root / entry.path).read_bytes(), str(entry.path), settings,
                               on_loaded=lambda doc, grids=grids: grids.extend(doc.grids))
        cells = _cells(grids)
        for gold in entry.gold:
            form = next((f for f in result.forms if f.index == gold.form_index), None)
            if form is None:
                continue
            flagged = {p for f in form.findings if f.code is FindingCode.LOW_CONFIDENCE for p in f.fields}
            for comparison in compare_records(form.record, gold.record, gold.skip_null):
                path = comparison.got_path or comparison.path
                src = form.provenance.fields.get(path)
                if src is None or not src.cells:
                    continue
                cited = [cells[ref.id.split("#", 1)[0]] for ref in src.cells if ref.id.split("#", 1)[0] in cells]
                if not cited or all(c.confidence is None for c in cited):
                    continue
                out.append({
                    "document": str(entry.path), "form": gold.form_index, "path": path,
                    "class": field_class(path).value, "got": comparison.got, "expected": comparison.expected,
                    "right": comparison.outcome is Outcome.CORRECT, "flagged": path in flagged,
                    "printed": src.printed, "confidence": min(c.confidence or 0.0 for c in cited),
                    "doubts": [d.model_dump() for c in cited for d in c.doubts],
                    "agreed": [c.agreed for c in cited], "second": [c.second for c in cited if c.second],
                })
    return out


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per class: values, wrong ones, and the lowest probability a wrong value was read with."""
    by: dict[str, dict[str, Any]] = defaultdict(lambda: {"values": 0, "wrong": 0, "wrong_unflagged": 0,
                                                          "wrong_max_prob": None, "right_below": {}})
    for row in rows:
        entry = by[row["class"]]
        entry["values"] += 1
        probs = [d["prob"] for d in row["doubts"] if d["char"]] or [row["confidence"]]
        weakest = min(probs)
        if not row["right"]:
            entry["wrong"] += 1
            entry["wrong_unflagged"] += not row["flagged"]
            entry["wrong_max_prob"] = max(entry["wrong_max_prob"] or 0.0, weakest)
        for cut in (0.5, 0.7, 0.8, 0.9, 0.95, 0.98):
            if row["right"] and weakest < cut:
                entry["right_below"][str(cut)] = entry["right_below"].get(str(cut), 0) + 1
    return dict(by)


@app.command()
def main(dataset: Annotated[str, typer.Option("-d", "--dataset", help="a dataset folder with scans and gold")],
         output: Annotated[Path | None, typer.Option("-o", "--output", help="JSON lines file to write")] = None,
         show: Annotated[bool, typer.Option("--summary", help="print the per-class summary")] = True) -> None:
    """Write the calibration values of DATASET and print their summary."""
    rows = values(dataset)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text("".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in rows), encoding="utf-8")
    if show:
        typer.echo(json.dumps(summary(rows), ensure_ascii=False, indent=1))


if __name__ == "__main__":
    app()
