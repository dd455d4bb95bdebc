"""The `extractor eval` command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from extractor.errors import ExtractorError
from extractor.evaluate.datasets import load_dataset
from extractor.evaluate.gate import check_gate, load_thresholds
from extractor.evaluate.report import render_markdown, write_report
from extractor.evaluate.results import evaluate
from extractor.evaluate.runner import Configuration, parse_grid

err = Console(stderr=True)


def eval_cmd(
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="a dataset folder, or a name under eval/datasets/ "
                                                                  "or tests/data/ (seed, corpus-small)")],
    ocr: Annotated[str | None, typer.Option(help="OCR engines, comma-separated: rapid,tesseract,paddle")] = None,
    mapper: Annotated[str | None, typer.Option(help="mappers, comma-separated: rules,llm,hybrid or module:callable "
                                                    "(called with the Settings, returns a mapper)")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="report folder "
                                                                      "(default: eval/results/DATASET)")] = None,
    gate: Annotated[Path | None, typer.Option(help="thresholds TOML: exit 1 when a configuration falls short")] = None,
    in_process: Annotated[bool, typer.Option("--in-process", help="run here instead of one subprocess per "
                                                                  "configuration (memory: tracemalloc)")] = False,
    chart: Annotated[bool, typer.Option(help="draw accuracy-vs-speed.png (needs the eval extra)")] = True,
) -> None:
    """Score OCR engines × mappers on a dataset with gold: accuracy, trust and cost, side by side."""
    try:
        data = load_dataset(dataset)
        configurations: list[Configuration] = parse_grid(ocr, mapper)
        thresholds = load_thresholds(gate) if gate is not None else None
    except ExtractorError as exc:
        err.print(f"[red]{escape(exc.message)}[/]")
        raise typer.Exit(2) from exc
    err.print(f"evaluating {len(configurations)} configuration(s) on {data.name}: "
              f"{len(data.documents)} document(s), {data.forms} form(s) ({', '.join(data.kinds)})", markup=False)
    report = evaluate(data, configurations, isolate=not in_process, progress=err.is_terminal,
                      on_start=lambda c: err.print(f"  running {escape(c.label)} …"))
    out_dir = output or Path("eval") / "results" / data.name
    written = write_report(report, out_dir, chart=chart)
    sys.stdout.write(render_markdown(report))
    err.print("wrote " + ", ".join(str(p) for p in written.values()), markup=False)
    if chart and "chart" not in written:
        err.print(escape("no chart: matplotlib is missing (pip install 'perf-form-extractor[eval]')"), style="yellow")
    failed = [r for r in report.results if r.error]
    for r in failed:
        err.print(f"[red]{escape(r.label)} could not run: {escape(str((r.error or {}).get('message')))}[/]")
    if thresholds is not None:
        try:
            violations = check_gate(report, thresholds)
        except ExtractorError as exc:
            err.print(f"[red]{escape(exc.message)}[/]")
            raise typer.Exit(2) from exc
        for v in violations:
            err.print(f"[red]gate: {escape(str(v))}[/]")
        if violations:
            raise typer.Exit(1)
        err.print(f"gate passed ({gate})", style="green", markup=False)
    raise typer.Exit(1 if failed else 0)


def register(app: typer.Typer) -> None:
    """Add `eval` to the extractor command."""
    app.command("eval")(eval_cmd)
