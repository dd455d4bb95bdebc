"""The `extractor` command: run, check (and, as they land, serve, backfill, export, eval)."""

from __future__ import annotations

import json
import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from extractor.checking import check
from extractor.checking.context import context_for
from extractor.errors import ExtractorError, RecordFileError
from extractor.ingest.loader import load_path
from extractor.pipeline import extract_many
from extractor.records.models import (
    DocumentResult,
    FormResult,
    Provenance,
    Record,
    ResultEnvelope,
    Severity,
)
from extractor.settings import MapperName, OcrEngineName, get_settings

app = typer.Typer(name="extractor", help="财政项目支出绩效自评表 → checked, grounded records.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
err = Console(stderr=True)

SUPPORTED_SUFFIXES = {".txt", ".tsv", ".csv", ".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"}
SUPPORTED_SUFFIXES |= {".html", ".htm", ".shtml", ".docx", ".docm", ".doc", ".wps", ".xlsx", ".xlsm", ".xls", ".et",
                       ".ofd"}  # issue 14 (formats)


class OutputFormat(StrEnum):
    """How `run` prints its results."""

    TABLE = "table"
    JSON = "json"
    JSONL = "jsonl"


_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "dim"}
_STATUS_STYLE = {"ok": "green", "needs_review": "yellow", "partial": "yellow", "failed": "bold red"}


def discover(paths: list[Path]) -> list[Path]:
    """Files named on the command line, and the supported files under named directories (sorted)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES)
        else:
            found.append(path)  # a missing file is reported as a failed document, not skipped
    return found


def render_table(envelope: ResultEnvelope, console: Console) -> None:
    """A readable summary: a table per document (one line per form), then each form's findings."""
    for doc in envelope.documents:
        if doc.status.value == "failed":
            error = doc.error or {}
            console.print(f"[bold red]failed[/] {doc.source}: {error.get('code')} — {error.get('message')}")
            continue
        table = Table(title=f"{doc.source}  [{_STATUS_STYLE.get(doc.status.value, '')}]{doc.status.value}[/]",
                      title_justify="left")
        for column in ("#", "project", "year", "total", "grade", "status", "findings"):
            table.add_column(column, overflow="fold")
        for form in doc.forms:
            r = form.record
            codes = dict.fromkeys(f"[{_STYLE[f.severity]}]{f.code.value}[/]" for f in form.findings
                                  if f.severity is not Severity.INFO)
            style = _STATUS_STYLE.get(form.status.value, "")
            table.add_row(str(form.index), r.project_name or "?", str(r.year or "?"),
                          str(r.total_score if r.total_score is not None else "?"), r.grade or "?",
                          f"[{style}]{form.status.value}[/]", " ".join(codes) or "—")
        console.print(table)
        for form in doc.forms:
            shown = [f for f in form.findings if f.severity is not Severity.INFO]
            if shown:
                console.print(f"  [bold]#{form.index} {form.record.project_name or ''}[/]")
            for f in shown:
                console.print(f"    [{_STYLE[f.severity]}]{f.severity.value:7}[/] {f.code.value}: {f.message}")
    forms = [form for doc in envelope.documents for form in doc.forms]
    ok = sum(1 for f in forms if f.status.value == "ok")
    failed = sum(1 for d in envelope.documents if d.status.value == "failed")
    console.print(f"{len(envelope.documents)} document(s), {len(forms)} form(s): [green]{ok} ok[/], "
                  f"[yellow]{len(forms) - ok} needs review[/], [red]{failed} document(s) failed[/]")


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def emit(envelope: ResultEnvelope, fmt: OutputFormat, output: Path | None) -> None:
    """Print or write results in the chosen format."""
    if fmt is OutputFormat.TABLE:
        if output is None:
            render_table(envelope, Console())
        else:
            with output.open("w", encoding="utf-8") as fh:
                render_table(envelope, Console(file=fh, width=160))
    elif fmt is OutputFormat.JSON:
        _write(envelope.model_dump_json(indent=2), output)
    else:
        _write("\n".join(d.model_dump_json() for d in envelope.documents), output)


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="log progress and debugging detail")] = False) -> None:
    """Extract, check and store 绩效自评表."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@app.command()
def run(
    paths: Annotated[list[Path], typer.Argument(help="files (text exports, PDFs, images) or folders")],
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="table | json | jsonl")] = OutputFormat.TABLE,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write to this file instead of stdout")] = None,
    mapper: Annotated[MapperName | None, typer.Option(help="rules | llm | hybrid")] = None,
    ocr: Annotated[OcrEngineName | None, typer.Option(help="rapid | tesseract | paddle")] = None,
) -> None:
    """Extract every form of the given documents, check it, and print the results."""
    settings = get_settings(mapper=mapper, ocr=ocr)
    files = discover(paths)
    if not files:
        err.print("[red]no input files found[/]")
        raise typer.Exit(2)
    results: list[DocumentResult] = []
    show_progress = len(files) > 1 and err.is_terminal
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, disable=not show_progress) as progress:
        task = progress.add_task("extracting", total=len(files))

        def collect(result: DocumentResult) -> None:
            results.append(result)
            progress.advance(task)

        extract_many(files, settings, on_result=collect)
    envelope = ResultEnvelope(documents=results)
    emit(envelope, fmt, output)
    failed = [d for d in results if d.status.value == "failed"]
    for doc in failed:
        err.print(f"[red]failed[/] {doc.source}: {(doc.error or {}).get('code')} {(doc.error or {}).get('message')}")
    raise typer.Exit(1 if failed else 0)


def _forms_of(data: Any) -> tuple[list[tuple[str | None, FormResult]], str]:
    """Forms in a JSON file: an envelope, a document result, a form result, a gold file or a bare record."""
    try:
        if isinstance(data, dict) and "documents" in data:
            env = ResultEnvelope.model_validate(data)
            return [(d.source, f) for d in env.documents for f in d.forms], "envelope"
        if isinstance(data, dict) and "forms" in data:
            doc = DocumentResult.model_validate(data)
            return [(doc.source, f) for f in doc.forms], "document"
        if isinstance(data, dict) and "record" in data and "status" in data:
            return [(None, FormResult.model_validate(data))], "form"
        if isinstance(data, dict) and "record" in data:
            record = Record.model_validate(data["record"])
            form = FormResult(index=int(data.get("form_index", 1)), status="ok", record=record,
                              provenance=Provenance(mapper="hand"))
            return [(data.get("source"), form)], "gold"
        record = Record.model_validate(data)
        return [(None, FormResult(index=1, status="ok", record=record, provenance=Provenance(mapper="hand")))], "record"
    except ValidationError as exc:
        raise RecordFileError("the file is not a valid record v1 / result envelope", errors=exc.errors(include_url=False)) from exc


def _find_source(name: str | None, json_path: Path, explicit: Path | None) -> Path | None:
    if explicit is not None:
        return explicit
    if not name:
        return None
    candidate = Path(name)
    for base in (Path.cwd(), json_path.parent, json_path.parent.parent):
        path = candidate if candidate.is_absolute() else base / candidate
        if path.is_file():
            return path
    return None


@app.command("check")
def check_cmd(
    file: Annotated[Path, typer.Argument(help="a result JSON (envelope, document, form), a gold file or a bare record")],
    source: Annotated[Path | None, typer.Option(help="the source document to ground values in (default: the file's `source`)")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.TABLE,
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
) -> None:
    """Re-run the checker on a record someone edited by hand; values not in the source are rejected."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        err.print(f"[red]cannot read {file}: {exc}[/]")
        raise typer.Exit(2) from exc
    try:
        forms, _ = _forms_of(data)
    except RecordFileError as exc:
        err.print(f"[red]{exc.message}[/]")
        for e in exc.details.get("errors", [])[:20]:
            err.print(f"  {'.'.join(str(p) for p in e['loc'])}: {e['msg']}")
        raise typer.Exit(2) from exc
    settings = get_settings()
    grids_by_source: dict[Path, list[Any]] = {}
    by_doc: dict[str, DocumentResult] = {}
    for name, form in forms:
        src_path = _find_source(name, file, source)
        grid = None
        if src_path is not None:
            if src_path not in grids_by_source:
                try:
                    grids_by_source[src_path] = load_path(src_path, settings).grids
                except ExtractorError as exc:
                    err.print(f"[red]cannot read source {src_path}: {exc.message}[/]")
                    raise typer.Exit(2) from exc
            grids = grids_by_source[src_path]
            grid = grids[form.index - 1] if 0 < form.index <= len(grids) else None
        if grid is None:
            err.print(f"[yellow]no source for form {form.index} ({name or 'unnamed'}): values are not grounded; "
                      f"pass --source to check them against the document[/]")
        # Values the user changed keep their old citations: grounding catches what the source does not say.
        result = check(form.record, form.provenance, grid, context_for(form.template))
        checked = form.model_copy(update={"record": result.record, "findings": result.report.findings,
                                          "provenance": result.provenance, "status": result.report.status})
        key = str(src_path or name or file)
        doc = by_doc.setdefault(key, DocumentResult(source=key, status="ok"))
        doc.forms.append(checked)
    envelope = ResultEnvelope(documents=list(by_doc.values()))
    emit(envelope, fmt, output)
    raise typer.Exit(1 if any(f.has_errors for d in envelope.documents for f in d.forms) else 0)


def _register_subsystem_commands() -> None:
    """Larger subsystems keep their commands beside them; each module's register(app) adds them here."""
    # One line per subsystem, e.g.:  from extractor.runner.commands import register as _runner; _runner(app)
    from extractor.runner.commands import register as _storage; _storage(app)  # noqa: E702, I001 - backfill, export, db
    from extractor.service.commands import register as _service; _service(app)  # noqa: E702, I001 - serve, worker, user, token, export-gold
    from extractor.evaluate.commands import register as _evaluate; _evaluate(app)  # noqa: E702, I001
    from extractor.mapping.commands import register as _templates; _templates(app)  # noqa: E702, I001 - templates


_register_subsystem_commands()

if __name__ == "__main__":  # pragma: no cover
    app()
