"""The `extractor` command: run, check (and, as they land, serve, backfill, export, eval)."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import Annotated, Any, TextIO, cast

import click
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from typer.core import TyperArgument, TyperGroup, TyperOption

from extractor import __version__
from extractor.checking import check
from extractor.checking.context import context_for
from extractor.errors import ExtractorError, RecordFileError
from extractor.ingest.files import Found, discover, output_problem, path_text
from extractor.ingest.loader import load_path
from extractor.output import WRITERS, DocumentHead, ResultWriter, TableWriter
from extractor.pipeline import DocumentStream, shared_mapper, stream_path
from extractor.records.models import (
    DocumentResult,
    FormResult,
    Provenance,
    Record,
    ResultEnvelope,
)
from extractor.settings import MapperName, OcrEngineName, Settings, get_settings

EXIT_CODES = "0 ok · 1 a document failed (or a form has an error, for check) · 2 usage · 3 internal error"
HELP = f"""财政项目支出绩效自评表 → checked, grounded records.

Exit codes: {EXIT_CODES}; 130 interrupted. -v/-q may also follow the command (`extractor run -v …`)."""

_TYPE_WORDS = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "path": "PATH", "file": "FILE",
               "directory": "FOLDER", "datetime": "DATETIME"}


def help_type(label: str) -> str | None:
    """typer's help type (`<list[Path]>`, `<bool>`, `<a|b>`) in a user's words: PATH, [a|b], none for a flag."""
    inner = label[1:-1] if label.startswith("<") and label.endswith(">") else label
    if inner.startswith("list[") and inner.endswith("]"):
        inner = inner[len("list["):-1]
    inner = inner.removesuffix(" range")
    if inner == "bool":
        return None
    if "|" in inner:
        return f"[{inner}]"
    return _TYPE_WORDS.get(inner.lower(), inner.upper())


def _plain_help_types() -> None:
    """Help that shows no Python: typer ≥ 0.2x prints annotations as types (`<list[Path]>`, `<bool>`, `{paths}`)."""
    # Patched on typer's parameter classes because typer has no setting for it; the help test fails if an upgrade
    # brings the Python names back.
    for cls in (TyperArgument, TyperOption):
        original = cls.display_type

        def display_type(self: Any, ctx: click.Context, _original: Any = original) -> Any:
            return help_type(_original(self, ctx))

        cls.display_type = display_type  # type: ignore[method-assign]

    def usage_name(self: TyperArgument) -> str:
        name = self.display_name_raw if self.metavar is not None else self.display_name_raw.upper()
        name = name if self.required else f"[{name}]"
        return name + ("..." if self.nargs != 1 and self.metavar is None else "")

    TyperArgument._usage_display_name = usage_name  # type: ignore[method-assign]


_plain_help_types()
ANYWHERE = {"-v", "--verbose", "-q", "--quiet"}  # the root's options a user may put after the command


class Root(TyperGroup):
    """The `extractor` group: -v/-q are taken wherever they stand, so `extractor run -v` means `extractor -v run`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Move -v/-q (before any `--`) in front of the command, where the root's callback reads them."""
        end = args.index("--") if "--" in args else len(args)
        moved = [a for a in args[:end] if a in ANYWHERE]
        rest = [a for a in args[:end] if a not in ANYWHERE] + args[end:]
        return super().parse_args(ctx, moved + rest)


class App(typer.Typer):
    """The `extractor` app: an unexpected exception is an internal error, exit 3, not 1 ("a document failed")."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the command line; a crash prints its traceback and exits 3."""
        try:
            return super().__call__(*args, **kwargs)
        except Exception:
            err.print_exception()
            err.print("[red]internal error (exit 3): please report it with the traceback above[/]")
            raise SystemExit(3) from None


app = App(name="extractor", cls=Root, help=HELP, no_args_is_help=True, add_completion=False,
          pretty_exceptions_enable=False)
err = Console(stderr=True)


class OutputFormat(StrEnum):
    """How `run` prints its results."""

    TABLE = "table"
    TEXT = "text"
    JSON = "json"
    JSONL = "jsonl"


class StopRequests:
    """Ctrl-C (SIGINT) and SIGTERM raise KeyboardInterrupt where the work is, except while a result is being
    written: then they wait until the write is whole, so the output stays valid up to the last result."""

    def __init__(self) -> None:
        self.writing = 0  # nested atomic blocks open
        self.pending: int | None = None
        self.received: int | None = None
        self._previous: dict[int, Any] = {}

    def _handler(self, signum: int, _frame: FrameType | None) -> None:
        self.received = signum
        if self.writing:
            self.pending = signum
            return
        raise KeyboardInterrupt

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """A write that a signal does not cut (blocks may nest; the signal acts when the outermost ends)."""
        self.writing += 1
        try:
            yield
        finally:
            self.writing -= 1
            if not self.writing and self.pending is not None:
                self.pending = None
                raise KeyboardInterrupt

    def __enter__(self) -> StopRequests:
        if threading.current_thread() is threading.main_thread():
            self._previous = {sig: signal.signal(sig, self._handler) for sig in (signal.SIGINT, signal.SIGTERM)}
        return self

    def __exit__(self, *_: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def check(self) -> None:
        """Raise the KeyboardInterrupt of a signal that library code swallowed (pydantic makes an exception raised
        inside its serialiser a PydanticSerializationError; the pipeline records that on the form and goes on)."""
        if self.received is not None:
            raise KeyboardInterrupt

    @property
    def exit_code(self) -> int:
        """128 + the signal, as shells report it."""
        return 128 + (self.received or signal.SIGINT)


class RunProgress:
    """Progress on stderr, never on stdout: files done, and within a file its pages (OCR) or forms (an export).

    A rich bar on a terminal; with --progress elsewhere (a log), a plain line per file and every so many forms.
    """

    FORMS_EVERY = 200  # plain lines: one per this many forms

    def __init__(self, files: int, enabled: bool) -> None:
        self.enabled = enabled
        self.live = enabled and err.is_terminal
        self.files = files
        self._name = ""
        self._bar: Progress | None = None
        if self.live:
            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[detail]}"), TimeElapsedColumn(), console=err)
            self._files = self._bar.add_task("files", total=files, detail="")
            self._doc = self._bar.add_task("", total=None, detail="", visible=False)

    def __enter__(self) -> RunProgress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def file(self, name: str) -> None:
        """A file starts."""
        self._name = name
        if self._bar is not None:
            self._bar.reset(self._doc, total=None, description=escape(_short(name)), detail="reading", visible=True)
        elif self.enabled:
            err.print(f"reading {escape(name)}", soft_wrap=True, highlight=False)

    def page(self, done: int, total: int | None) -> None:
        """OCR progress within the file."""
        if self._bar is not None:
            self._bar.update(self._doc, completed=done, total=total, detail="pages")
        elif self.enabled:
            err.print(f"  {escape(self._name)}: page {done}{f'/{total}' if total else ''}", soft_wrap=True,
                      highlight=False)

    def form(self, done: int) -> None:
        """Forms checked so far in the file."""
        if self._bar is not None:
            self._bar.update(self._doc, completed=done, detail="forms")
        elif self.enabled and done % self.FORMS_EVERY == 0:
            err.print(f"  {escape(self._name)}: {done} forms", soft_wrap=True, highlight=False)

    def file_done(self) -> None:
        """The file is written."""
        if self._bar is not None:
            self._bar.advance(self._files)


def _short(name: str, width: int = 40) -> str:
    return name if len(name) <= width else "…" + name[-(width - 1):]


def _output_or_exit(output: Path | None, folder: bool = False) -> None:
    """A usage error (exit 2) for an -o that cannot be written, before any work."""
    if output is None:
        return
    problem = output_problem(output, folder=folder)
    if problem is not None:
        err.print(f"[red]cannot write the output: {escape(problem)}[/]", soft_wrap=True)
        raise typer.Exit(2)


class _Stdout:
    """sys.stdout as it is at each write: a progress bar on the terminal replaces it to print above itself."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(sys.stdout, name)


def _not_an_input(output: Path | None, files: list[Found]) -> None:
    """A usage error when -o names one of the inputs: it is opened (emptied) before the inputs are read."""
    if output is None or not output.exists():
        return
    for found in files:
        try:
            same = os.path.samefile(found.path, output)
        except OSError:
            continue
        if same:
            err.print(f"[red]cannot write the output: {escape(path_text(output))} is one of the inputs[/]",
                      soft_wrap=True)
            raise typer.Exit(2)


@contextmanager
def _opened(output: Path | None) -> Iterator[TextIO]:
    if output is None:
        yield cast(TextIO, _Stdout())
        return
    try:
        fh = output.open("w", encoding="utf-8")
    except OSError as exc:
        err.print(f"[red]cannot write the output {escape(path_text(output))}: {exc.strerror or exc}[/]",
                  soft_wrap=True)
        raise typer.Exit(2) from exc
    with fh:
        yield fh


PIPED_WIDTH = 1000  # characters a piped table may take: rich tables are as wide as their content, no wider


def _writer(fmt: OutputFormat, out: TextIO, to_file: bool, atomic: Any = None) -> ResultWriter:
    if fmt is OutputFormat.TABLE:
        if to_file:
            console = Console(file=out, width=160)
        elif sys.stdout.isatty():
            console = Console()  # stdout as it is now: a progress bar may have replaced it to print above itself
        else:  # piped: no wrapping at 80 columns (it broke codes mid-word); tables take the width they need
            console = Console(file=out, width=PIPED_WIDTH, no_color=True)
        return TableWriter(out, atomic, console=console)
    return WRITERS[fmt.value](out, atomic)


def emit(envelope: ResultEnvelope, fmt: OutputFormat, output: Path | None) -> None:
    """Print or write results already in memory in the chosen format."""
    with _opened(output) as out:
        writer = _writer(fmt, out, output is not None)
        writer.start()
        for doc in envelope.documents:
            writer.begin(DocumentHead(doc.source, doc.sha256, doc.kind, doc.pages))
            for form in doc.forms:
                writer.form(form)
            writer.end(doc.model_copy(update={"forms": []}))
        writer.close()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"extractor {__version__}")
        raise typer.Exit(0)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="the extractor's own debugging detail on "
                                                                  "stderr (other libraries stay quiet)")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="the extractor's log: errors only (results, "
                                                              "summaries and progress are still shown)")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="print the version and exit")] = False,
) -> None:
    """Extract, check and store 绩效自评表."""
    # The project's loggers only: -v must not turn on Pillow's PNG-chunk or urllib3's debug lines.
    logging.basicConfig(level=logging.ERROR if quiet else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("extractor").setLevel(logging.DEBUG if verbose else logging.ERROR if quiet else logging.NOTSET)


def _extract_into(writer: ResultWriter, files: list[Found], settings: Settings, progress: RunProgress,
                  failed: list[tuple[str, dict[str, Any]]], stops: StopRequests) -> None:
    """Each file through the pipeline, each result written as soon as it is done."""
    mapper = shared_mapper(settings)
    for found in files:
        stops.check()
        name = found.text
        progress.file(name)
        if found.problem is not None:
            stream = DocumentStream(name, None, settings, mapper, error=found.problem)
        else:
            stream = stream_path(found.path, settings, mapper, on_page=progress.page)
        writer.begin(DocumentHead(stream.source, stream.sha256, stream.kind, stream.pages))
        try:
            for form in stream.forms():
                writer.form(form)
                progress.form(stream.forms_done)
                stops.check()
        except KeyboardInterrupt:  # the forms done are written, closed as a partial document
            writer.end(stream.result(interrupted=True))
            raise
        result = stream.result()
        writer.end(result)
        if result.status.value == "failed":
            failed.append((result.source, result.error or {}))
        progress.file_done()


@app.command()
def run(
    paths: Annotated[list[Path], typer.Argument(
        help="files (text exports, PDFs, images) or folders",
        readable=False)],  # an unreadable file is a failed document with its reason, not a usage error
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="a summary table, a plain line per "
                                                                     "document (tab-separated), one JSON envelope, "
                                                                     "or JSON Lines")] = OutputFormat.TABLE,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write to this file instead of stdout")] = None,
    mapper: Annotated[MapperName | None, typer.Option(help="rows to record: rules, an LLM, or rules with the LLM "
                                                           "for unknown layouts (default: EXTRACTOR_MAPPER, rules)")] = None,
    ocr: Annotated[OcrEngineName | None, typer.Option(help="OCR engine for scans (default: EXTRACTOR_OCR, rapid)")] = None,
    progress: Annotated[bool | None, typer.Option(help="progress on stderr: files, pages, forms (default: on a "
                                                       "terminal)")] = None,
) -> None:
    """Extract every form of the given documents, check it, and write each result as soon as it is done."""
    settings = get_settings(mapper=mapper, ocr=ocr)
    _output_or_exit(output)
    files = discover(paths)
    if not files:
        err.print("[red]no input files found[/]")
        raise typer.Exit(2)
    _not_an_input(output, files)
    failed: list[tuple[str, dict[str, Any]]] = []
    stops = StopRequests()
    interrupted = False
    show = err.is_terminal if progress is None else progress
    with stops, _opened(output) as out, RunProgress(len(files), show) as bar:
        writer = _writer(fmt, out, output is not None, stops.atomic)
        try:
            writer.start()
            _extract_into(writer, files, settings, bar, failed, stops)
        except KeyboardInterrupt:
            interrupted = True
        except BrokenPipeError:  # the reader went away (`| head`): nothing more to say to it
            sys.stderr.close()
            raise typer.Exit(1) from None
        try:
            writer.close()
        except KeyboardInterrupt:  # a second Ctrl-C while closing: the output ends where it ends
            interrupted = True
    for source, error in failed:
        err.print(f"[red]failed[/] {escape(source)}: {error.get('code')} {escape(str(error.get('message')))}",
                  soft_wrap=True, highlight=False)
    if interrupted:
        err.print(f"[yellow]interrupted: {writer.totals.documents} document(s) written[/]")
        raise typer.Exit(stops.exit_code)
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
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="a summary table, a plain line per "
                                                                     "document (tab-separated), one JSON envelope, "
                                                                     "or JSON Lines")] = OutputFormat.TABLE,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write to this file instead of stdout")] = None,
) -> None:
    """Re-run the checker on a record someone edited by hand; values not in the source are rejected."""
    _output_or_exit(output)
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

# One example per command, shown under its help with the exit codes (a test checks every command has one).
EXAMPLES: dict[str, str] = {
    "run": "extractor run 自评表/ -o results.jsonl -f jsonl",
    "check": "extractor check corrected.json --source 自评表.pdf",
    "backfill": "extractor backfill /archive/2023 /archive/2024 --workers 4",
    "export": "extractor export -o 自评表.xlsx --year 2024 --status needs_review",
    "report": "extractor report -o 分析/ --year 2024",
    "db upgrade": "extractor db upgrade --db postgresql://extractor@dbhost/forms",
    "db status": "extractor db status",
    "db failures": "extractor db failures --run 3",
    "serve": "extractor serve --host 0.0.0.0 --port 8000 --workers 2",
    "worker": "extractor worker --drain",
    "export-gold": "extractor export-gold -o reviewed-2024/ --user alice",
    "eval": "extractor eval -d seed --ocr rapid --mapper rules,hybrid",
    "user create": "extractor user create clerk",
    "user password": "extractor user password clerk",
    "user disable": "extractor user disable clerk",
    "user enable": "extractor user enable clerk",
    "token create": "extractor token create uploader --user clerk",
    "token list": "extractor token list --user clerk",
    "token revoke": "extractor token revoke 3",
    "templates list": "extractor templates list",
    "templates show": "extractor templates show city-2021",
    "templates induce": "extractor templates induce samples/新版式.pdf",
    "templates approve": "extractor templates approve candidate-1 --reviewer 王会计",
    "templates export": "extractor templates export city-2021 -o city-2021.toml",
    "templates import": "extractor templates import city-2021.toml",
}


def command_paths(typer_app: typer.Typer, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf command of the app as (`db status`, its CommandInfo)."""
    for info in typer_app.registered_commands:
        name = info.name or (info.callback.__name__.replace("_", "-") if info.callback else "")
        yield f"{prefix}{name}", info
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            yield from command_paths(group.typer_instance, f"{prefix}{group.name} ")


def _add_epilogs() -> None:
    for path, info in command_paths(app):
        example = EXAMPLES.get(path)
        lines = [f"Example: {example}"] if example else []
        info.epilog = "\n\n".join([*lines, f"Exit codes: {EXIT_CODES}.",
                                    "Logging: -v (the extractor's debug log) or -q (its log: errors only), before or "
                                    "after the command."])


_add_epilogs()

if __name__ == "__main__":  # pragma: no cover
    app()
