"""The storage commands: `backfill`, `export`, `report` and `db` (upgrade, status, failures); registered by cli.py."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from extractor.errors import ExtractorError
from extractor.settings import MapperName, OcrEngineName, Settings, get_settings

if TYPE_CHECKING:  # the storage extra is imported only when a storage command runs
    from extractor.runner.backfill import Counts
    from extractor.storage import Repository


class Engine(StrEnum):
    """Where backfill runs its workers."""

    LOCAL = "local"
    RAY = "ray"


class Format(StrEnum):
    """What export writes."""

    XLSX = "xlsx"
    CSV = "csv"
    JSONL = "jsonl"


class Status(StrEnum):
    """The form statuses export can select."""

    OK = "ok"
    NEEDS_REVIEW = "needs_review"


class Encoding(StrEnum):
    """The CSV encodings: UTF-8 with a BOM (Excel reads it as UTF-8), or GB18030 for old Excel and WPS set-ups."""

    UTF8 = "utf-8"
    GB18030 = "gb18030"


out = Console()
err = Console(stderr=True)
FAILURES_SHOWN = 200

DbOption = Annotated[str | None, typer.Option("--db", metavar="URL", help=(
    "database URL, e.g. sqlite:///forms.db or postgresql://user@host/db (default: EXTRACTOR_DATABASE_URL, else "
    "extractor.db in the data directory: EXTRACTOR_DATA_DIR, else the per-user data directory)"))]


def show_database(db: str | None, settings: Settings | None = None) -> str:
    """Say on stderr which database a command uses (password hidden), so a wrong one is seen; returns the URL."""
    from sqlalchemy.engine import make_url

    from extractor.storage import database_url

    url = database_url(db, settings)
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: opening it says so
        shown = url
    err.print(f"[dim]database: {escape(shown)}[/]", soft_wrap=True, highlight=False)
    return url


def _open(db: str | None, settings: Settings | None = None, must_exist: bool = False) -> Repository:
    """The repository, or exit 3 when it cannot be opened; with must_exist, exit 2 when there is no database."""
    # Reading commands pass must_exist: a typo in --db must not create an empty database and report nothing.
    from extractor.storage import Repository, database_exists

    url = show_database(db, settings)
    try:
        if must_exist and not database_exists(url):
            err.print("[red]no database there: run `extractor backfill` first, or pass the --db (or "
                      "EXTRACTOR_DATA_DIR) the back-fill used[/]", soft_wrap=True)
            raise typer.Exit(2)
        return Repository.open(url, settings)
    except ExtractorError as exc:
        err.print(f"[red]cannot open the database: {escape(exc.message)}[/]", soft_wrap=True)
        raise typer.Exit(3) from exc


def backfill(
    paths: Annotated[list[Path], typer.Argument(
        help="folders (searched recursively) or files",
        readable=False)],  # an unreadable file is stored as a failure with its reason, not a usage error
    db: DbOption = None,
    workers: Annotated[int | None, typer.Option(min=1, help="worker processes (default: CPU count)")] = None,
    mapper: Annotated[MapperName | None, typer.Option(help="rows to record: rules, an LLM, or rules with the LLM "
                                                           "for unknown layouts (default: EXTRACTOR_MAPPER, rules)")] = None,
    ocr: Annotated[OcrEngineName | None, typer.Option(help="OCR engine for scans (default: EXTRACTOR_OCR, rapid)")] = None,
    engine: Annotated[Engine, typer.Option(help="a local process pool, or a Ray cluster")] = Engine.LOCAL,
    address: Annotated[str | None, typer.Option(help="Ray cluster address (default: start a local Ray)")] = None,
    timeout: Annotated[float | None, typer.Option(min=0.01, help="seconds per document before its worker is "
                                                                  "killed (default: EXTRACTOR_DOCUMENT_TIMEOUT_S)")] = None,
    retry_failed: Annotated[bool, typer.Option(help="re-process documents that failed in earlier runs")] = False,
    rehash: Annotated[bool, typer.Option(help="re-read files already recorded with the same size and mtime")] = False,
    progress: Annotated[bool | None, typer.Option(help="show a progress bar (default: on a terminal)")] = None,
    reread_awaiting: Annotated[bool, typer.Option(
        help="re-read documents whose forms waited for an induced definition's approval (after approving it)")]
        = False,
    trust_induced: Annotated[bool | None, typer.Option(
        help="hybrid: read an unknown layout with its induced definition before a reviewer approves it "
             "(recorded in provenance; default: EXTRACTOR_TRUST_INDUCED)")] = None,
) -> None:
    """Extract every document under the folders into the database: resumable, nothing stored twice.

    With --mapper hybrid, forms of a layout no family knows are grouped by layout fingerprint: one LLM
    induction per layout, the rest of its forms wait for that definition and are read by rules."""
    from extractor.ingest.files import discover, path_text
    from extractor.runner.backfill import Backfill, BackfillOptions

    settings = get_settings(mapper=mapper, ocr=ocr, trust_induced=trust_induced)
    files = discover(paths)
    if not files:
        err.print("[red]no input files found[/]")
        raise typer.Exit(2)
    options = BackfillOptions(engine=engine.value, address=address, timeout_s=timeout or settings.document_timeout_s,
                              retry_failed=retry_failed, rehash=rehash, reread_awaiting=reread_awaiting,
                              **({"workers": workers} if workers else {}))
    repo = _open(db, settings)
    show = err.is_terminal if progress is None else progress
    columns = (TextColumn("backfill"), BarColumn(), MofNCompleteColumn(),
               # Forms and documents are counted apart: a document holds many forms, and only documents fail.
               TextColumn("forms [green]{task.fields[ok]} ok[/] [yellow]{task.fields[review]} review[/] · "
                          "documents [red]{task.fields[failed]} failed[/] [dim]{task.fields[skipped]} skipped[/]"),
               TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn())
    try:
        with Progress(*columns, console=err, disable=not show) as bar:
            task = bar.add_task("backfill", total=len(files), ok=0, review=0, failed=0, skipped=0)

            def on_progress(c: Counts) -> None:
                bar.update(task, completed=c.done, ok=c.forms_ok, review=c.forms_review,
                           failed=c.documents_failed, skipped=c.skipped)

            report = Backfill(repo, settings, options, on_progress=on_progress).run(
                files, [path_text(p.absolute()) for p in paths])
    finally:
        repo.close()
    c = report.counts
    summary = Table(title=f"back-fill run {report.run_id}: {report.status}", title_justify="left", show_header=False)
    summary.add_column(style="bold")
    summary.add_column()
    unlisted = f", [red]{c.folders_failed} folder(s) could not be listed[/]" if c.folders_failed else ""
    summary.add_row("files", f"{c.files} found, {c.skipped} already stored, {c.new_paths} new path(s) of stored "
                             f"documents{unlisted}")
    summary.add_row("documents", f"{c.processed} processed: [green]{c.documents_ok} ok[/], "
                                 f"[yellow]{c.documents_partial} partial[/], [red]{c.documents_failed} failed[/]")
    summary.add_row("forms", f"{c.forms}: [green]{c.forms_ok} ok[/], [yellow]{c.forms_review} needs_review[/]")
    if c.llm_requests or c.llm_prompt_tokens:
        summary.add_row("LLM", f"{c.llm_requests} request(s), {c.llm_requests_per_form:.3f} per form; "
                               f"{c.llm_prompt_tokens + c.llm_completion_tokens} tokens")
    summary.add_row("pages", str(c.pages) if c.pages else "— (none: text exports have no pages)")
    pages_rate = f", {c.pages_per_minute:.1f} pages/min" if c.pages else ""
    summary.add_row("time", f"{c.seconds:.1f} s, {c.documents_per_minute:.1f} documents/min{pages_rate}")
    out.print(summary)
    for failure in c.failures[:FAILURES_SHOWN]:
        out.print(f"[red]failed[/] {escape(str(failure['path']))}: {failure['code']} — {escape(str(failure['message']))}",
                  soft_wrap=True)
    if len(c.failures) > FAILURES_SHOWN:
        out.print(f"… and {len(c.failures) - FAILURES_SHOWN} more: extractor db failures --run {report.run_id}")
    if report.message:
        err.print(f"[{'red' if report.status == 'aborted' else 'yellow'}]{escape(report.message)}[/]", soft_wrap=True)
    if report.status == "interrupted":
        raise typer.Exit(130)
    if report.status == "aborted":
        raise typer.Exit(4 if report.error_code == "ENGINE_UNAVAILABLE" else 3)
    raise typer.Exit(1 if c.failures else 0)


def export_cmd(
    output: Annotated[Path, typer.Option("--output", "-o", help="file (xlsx, jsonl) or folder (csv)")],
    fmt: Annotated[Format, typer.Option("--format", "-f", help="XLSX sheets, a folder of CSV files, or JSON "
                                                               "Lines")] = Format.XLSX,
    db: DbOption = None,
    year: Annotated[int | None, typer.Option(help="only forms of this year")] = None,
    status: Annotated[Status | None, typer.Option(help="only forms with this status")] = None,
    encoding: Annotated[Encoding, typer.Option(help="CSV only: UTF-8 with a BOM, or GB18030 for Excel set-ups "
                                                    "that read CSV in the local code page")] = Encoding.UTF8,
) -> None:
    """Export stored forms, indicators and findings (XLSX sheets with Chinese headers, CSV files, JSON Lines)."""
    from extractor.export import ExportFormat, export
    from extractor.storage import FormQuery

    export_format = ExportFormat(fmt.value)
    from extractor.ingest.files import output_problem

    problem = output_problem(output, folder=export_format is ExportFormat.CSV)
    if problem is not None:  # before the database is opened or a row read
        err.print(f"[red]cannot write the output: {escape(problem)}[/]", soft_wrap=True)
        raise typer.Exit(2)
    repo = _open(db, must_exist=True)
    try:
        counts = export(repo, export_format, output, FormQuery(year=year, status=status.value if status else None),
                        encoding=encoding.value)
    except ExtractorError as exc:
        err.print(f"[red]export failed: {escape(exc.message)}[/]")
        raise typer.Exit(3) from exc
    except OSError as exc:
        err.print(f"[red]cannot write {output}: {exc.strerror or exc}[/]")
        raise typer.Exit(3) from exc
    finally:
        repo.close()
    err.print(f"wrote {output}: " + ", ".join(f"{n} {name}" for name, n in counts.items()))


def report_cmd(
    output: Annotated[Path, typer.Option("--output", "-o", help="folder for report.html and the charts (PNG)")],
    db: DbOption = None,
    year: Annotated[int | None, typer.Option(help="only forms of this year")] = None,
    status: Annotated[Status | None, typer.Option(help="only forms with this status")] = None,
) -> None:
    """Draw scores and grades per year and department, frequent findings, execution rate vs score (PNG, HTML)."""
    from extractor.ingest.files import output_problem
    from extractor.storage import FormQuery

    try:
        import matplotlib  # noqa: F401 - the eval extra; said plainly when missing

        from extractor.export.report import write_report
    except ImportError:
        err.print("[red]the report needs matplotlib: pip install 'perf-form-extractor[eval]'[/]")
        raise typer.Exit(2) from None
    problem = output_problem(output, folder=True)
    if problem is not None:
        err.print(f"[red]cannot write the output: {escape(problem)}[/]", soft_wrap=True)
        raise typer.Exit(2)
    repo = _open(db, must_exist=True)
    try:
        data, written = write_report(repo.iter_forms(FormQuery(year=year, status=status.value if status else None)),
                                     output)
    except ExtractorError as exc:
        err.print(f"[red]report failed: {escape(exc.message)}[/]")
        raise typer.Exit(3) from exc
    except OSError as exc:
        err.print(f"[red]cannot write {output}: {exc.strerror or exc}[/]")
        raise typer.Exit(3) from exc
    finally:
        repo.close()
    err.print(f"wrote {output / 'report.html'} and {len(written) - 1} chart(s): {len(data.points)} forms",
              soft_wrap=True)


db_app = typer.Typer(help="Database maintenance: migrations, counts, failures.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Create the tables or migrate them to this version (also done on first use)."""
    from extractor.storage.database import head_revision, schema_revision

    repo = _open(db)
    try:
        out.print(f"database at revision {schema_revision(repo.engine)} (head {head_revision()})")
    finally:
        repo.close()


@db_app.command("status")
def db_status(db: DbOption = None) -> None:
    """Counts of documents and forms, and the latest runs."""
    repo = _open(db, must_exist=True)
    try:
        totals = repo.totals()
        out.print(f"documents: {totals.documents} {totals.documents_by_status}; forms: {totals.forms} "
                  f"{totals.forms_by_status}; paths: {totals.paths}; pages: {totals.pages}")
        for run in repo.list_runs(limit=10):
            out.print(f"run {run.id}: {run.status} started {run.started_at:%Y-%m-%d %H:%M:%S} "
                      f"{run.engine}×{run.workers} {run.counts.get('processed', 0)} processed")
    finally:
        repo.close()


@db_app.command("failures")
def db_failures(db: DbOption = None, run: Annotated[int | None, typer.Option(help="only this run's")] = None) -> None:
    """Every failed document with its reason (and the run's unstored failures when --run is given)."""
    repo = _open(db, must_exist=True)
    try:
        if run is not None:
            info = repo.get_run(run)
            if info is None:
                err.print(f"[red]no run {run}[/]")
                raise typer.Exit(2)
            for failure in info.failures:
                out.print(escape(f"{failure['path']}\t{failure['code']}\t{failure['message']}"), soft_wrap=True)
            return
        for doc in repo.list_documents(status="failed", limit=None):
            for path in doc.paths:
                out.print(escape(f"{path}\t{doc.error_code}\t{(doc.error or {}).get('message')}"), soft_wrap=True)
    finally:
        repo.close()


def register(app: typer.Typer) -> None:
    """Add backfill, export and db to the `extractor` command."""
    app.command("backfill")(backfill)
    app.command("export")(export_cmd)
    app.command("report")(report_cmd)
    app.add_typer(db_app, name="db")
