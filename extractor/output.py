"""Writing results as they come: the JSON envelope, JSON Lines and the table, one document (or one form) at a time.

A document's forms are held until it ends, up to FORMS_HELD; a document with more (a huge export) is written
form by form from there on, so memory stays bounded whatever the input:

- JSON: the envelope is opened at once, each document is written when done; a streamed document's `forms`
  array is written as its forms come and its status, error and timings follow the array.
- JSON Lines: one line per document (a DocumentResult). A streamed document gives one line per form,
  `{"source", "sha256", "kind", "form": {…}}`, then its closing line: the DocumentResult with `"forms": []`
  and `"forms_streamed": N`.
- table: a table per document; a streamed document is printed a line per form.

Every write is flushed, so a reader sees each result as soon as it is done, and an interrupted run leaves valid
output up to its last finished document (the one in progress is closed as partial, INTERRUPTED).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TextIO

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from extractor.records.models import RECORD_VERSION, DocumentResult, FormResult, Severity

FORMS_HELD = 100  # forms of one document held before it is written form by form

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "dim"}
_STATUS_STYLE = {"ok": "green", "needs_review": "yellow", "partial": "yellow", "failed": "bold red"}


@dataclass(frozen=True)
class DocumentHead:
    """What is known of a document before its forms: enough for a form line to stand alone."""

    source: str
    sha256: str | None
    kind: str | None
    pages: int | None = None


class StreamedDocument(DocumentResult):
    """The closing JSON line of a document whose forms were written as lines of their own."""

    forms_streamed: int


@dataclass
class Totals:
    """What was written, for the summary and the exit code."""

    documents: int = 0
    forms: int = 0
    forms_ok: int = 0
    failed: int = 0


class ResultWriter:
    """Receives documents and forms as they are done; holds a document's forms up to FORMS_HELD."""

    def __init__(self, out: TextIO, atomic: Callable[[], AbstractContextManager[object]] | None = None,
                 forms_held: int = FORMS_HELD) -> None:
        self.out = out
        self.totals = Totals()
        self._atomic = atomic or contextlib.nullcontext
        self._held: list[FormResult] = []
        self._head: DocumentHead | None = None
        self._streamed = 0
        self._limit = forms_held

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        # A write is never cut by Ctrl-C half-way (the run's handler waits for it), and is flushed at once.
        # Serialising goes inside too: pydantic turns an exception raised in its serialiser (as a signal
        # handler's KeyboardInterrupt would be) into a PydanticSerializationError.
        with self._atomic():
            yield
            self.out.flush()

    def start(self) -> None:
        """Before the first document."""

    def begin(self, head: DocumentHead) -> None:
        """A document's forms are about to come."""
        self._head, self._held, self._streamed = head, [], 0

    def form(self, form: FormResult) -> None:
        """One checked form of the current document."""
        self.totals.forms += 1
        self.totals.forms_ok += form.status.value == "ok"
        if self._streamed:
            with self._atomic():  # written and counted together: the closing line's count is the lines written
                self._stream_form(form)
                self._streamed += 1
            return
        self._held.append(form)
        if len(self._held) > self._limit:  # a huge document: write what is held and go on form by form
            assert self._head is not None
            with self._atomic():  # all of it or none: an interruption half-way would lose held forms
                self._open_stream(self._head)
                for held in self._held:
                    self._stream_form(held)
                self._streamed, self._held = len(self._held), []

    def end(self, result: DocumentResult) -> None:
        """The current document's outcome (its `forms` empty: they came through form())."""
        with self._atomic():
            self.totals.documents += 1
            self.totals.failed += result.status.value == "failed"
            if self._streamed:
                self._close_stream(result, self._streamed)
            else:
                self._whole(result.model_copy(update={"forms": self._held}))
            self._head, self._held, self._streamed = None, [], 0

    def close(self) -> None:
        """After the last document (also when the run was interrupted)."""

    # What each format does.
    def _whole(self, result: DocumentResult) -> None:
        raise NotImplementedError

    def _open_stream(self, head: DocumentHead) -> None:
        raise NotImplementedError

    def _stream_form(self, form: FormResult) -> None:
        raise NotImplementedError

    def _close_stream(self, result: DocumentResult, count: int) -> None:
        raise NotImplementedError


class JsonLinesWriter(ResultWriter):
    """One line per document; a huge document's forms a line each, then its closing line."""

    def _whole(self, result: DocumentResult) -> None:
        with self._writing():
            self.out.write(result.model_dump_json() + "\n")

    def _open_stream(self, head: DocumentHead) -> None:
        self._prefix = json.dumps({"source": head.source, "sha256": head.sha256, "kind": head.kind},
                                  ensure_ascii=False)[:-1]

    def _stream_form(self, form: FormResult) -> None:
        with self._writing():
            self.out.write(f'{self._prefix}, "form": {form.model_dump_json()}}}\n')

    def _close_stream(self, result: DocumentResult, count: int) -> None:
        with self._writing():
            closing = StreamedDocument(**result.model_dump(exclude={"forms"}), forms_streamed=count)
            self.out.write(closing.model_dump_json() + "\n")


def _indented(text: str, prefix: str) -> str:
    # JSON strings hold no raw newline, so indenting every line of pretty JSON keeps it valid.
    return text.replace("\n", "\n" + prefix)


class JsonWriter(ResultWriter):
    """The result envelope, opened at once, closed at the end; a document written when done (or form by form)."""

    _documents = 0  # documents written so far
    _forms_written = 0  # forms of the streamed document written so far

    def start(self) -> None:
        """Open the envelope."""
        with self._writing():
            self.out.write(f'{{\n  "version": {json.dumps(RECORD_VERSION)},\n  "documents": [')

    def _separator(self) -> str:
        self._documents += 1
        return "\n    " if self._documents == 1 else ",\n    "

    def _whole(self, result: DocumentResult) -> None:
        with self._writing():
            self.out.write(self._separator() + _indented(result.model_dump_json(indent=2), "    "))

    def _open_stream(self, head: DocumentHead) -> None:
        fields = json.dumps({"source": head.source, "sha256": head.sha256, "kind": head.kind}, ensure_ascii=False,
                            indent=2)[:-2]
        self._forms_written = 0
        with self._writing():
            self.out.write(self._separator() + _indented(fields, "    ") + ',\n      "forms": [')

    def _stream_form(self, form: FormResult) -> None:
        self._forms_written += 1
        lead = "\n        " if self._forms_written == 1 else ",\n        "
        with self._writing():
            self.out.write(lead + _indented(form.model_dump_json(indent=2), "        "))

    def _close_stream(self, result: DocumentResult, count: int) -> None:
        with self._writing():
            rest = result.model_dump_json(indent=2, exclude={"source", "sha256", "kind", "forms"})
            self.out.write("\n      ],\n      " + _indented(rest[1:-1].strip(), "    ") + "\n    }")

    def close(self) -> None:
        """Close the envelope: valid JSON up to the last finished document."""
        with self._writing():
            self.out.write("\n  ]\n}\n" if self._documents else "]\n}\n")


class TableWriter(ResultWriter):
    """A readable summary: a table per document (a line per form for a huge one), each form's findings, totals."""

    def __init__(self, out: TextIO, atomic: Callable[[], AbstractContextManager[object]] | None = None,
                 forms_held: int = FORMS_HELD, console: Console | None = None) -> None:
        super().__init__(out, atomic, forms_held)
        self.console = console or Console(file=out)

    def _print(self, *parts: object) -> None:
        with self._writing():
            self.console.print(*parts)

    def _findings(self, form: FormResult) -> None:
        shown = [f for f in form.findings if f.severity is not Severity.INFO]
        if shown:
            self._print(f"  [bold]#{form.index} {escape(form.record.project_name or '')}[/]")
        for f in shown:
            self._print(f"    [{_STYLE[f.severity]}]{f.severity.value:7}[/] {f.code.value}: {escape(f.message)}")

    @staticmethod
    def _cells(form: FormResult) -> list[str]:
        r = form.record
        codes = dict.fromkeys(f"[{_STYLE[f.severity]}]{f.code.value}[/]" for f in form.findings
                              if f.severity is not Severity.INFO)
        style = _STATUS_STYLE.get(form.status.value, "")
        return [str(form.index), escape(r.project_name or "?"), str(r.year or "?"),
                str(r.total_score if r.total_score is not None else "?"), escape(r.grade or "?"),
                f"[{style}]{form.status.value}[/]", " ".join(codes) or "—"]

    def _failed(self, result: DocumentResult) -> None:
        error = result.error or {}
        self._print(f"[bold red]failed[/] {escape(result.source)}: {error.get('code')} — "
                    f"{escape(str(error.get('message')))}")

    def _whole(self, result: DocumentResult) -> None:
        if result.status.value == "failed" and not result.forms:
            self._failed(result)
            return
        style = _STATUS_STYLE.get(result.status.value, "")
        table = Table(title=f"{escape(result.source)}  [{style}]{result.status.value}[/]", title_justify="left")
        for column in ("#", "project", "year", "total", "grade", "status", "findings"):
            table.add_column(column, overflow="fold")
        for form in result.forms:
            table.add_row(*self._cells(form))
        self._print(table)
        for form in result.forms:
            self._findings(form)
        if result.error:
            self._print(f"  [yellow]{result.error.get('code')}[/]: {escape(str(result.error.get('message')))}")

    def _open_stream(self, head: DocumentHead) -> None:
        self._print(f"[bold]{escape(head.source)}[/] (many forms: one line each as they are read)")

    def _stream_form(self, form: FormResult) -> None:
        self._print("  " + "  ".join(self._cells(form)))
        self._findings(form)

    def _close_stream(self, result: DocumentResult, count: int) -> None:
        style = _STATUS_STYLE.get(result.status.value, "")
        note = f" — {result.error.get('code')}: {escape(str(result.error.get('message')))}" if result.error else ""
        self._print(f"{escape(result.source)}: {count} form(s), [{style}]{result.status.value}[/]{note}")

    def close(self) -> None:
        """The totals line."""
        t = self.totals
        self._print(f"{t.documents} document(s), {t.forms} form(s): [green]{t.forms_ok} ok[/], "
                    f"[yellow]{t.forms - t.forms_ok} needs review[/], [red]{t.failed} document(s) failed[/]")


class TextWriter(ResultWriter):
    """One plain line per document, tab-separated, for grep, cut and logs: no colour, no wrapping, no table.

    `SOURCE<TAB>ok<TAB>10 forms<TAB>7 ok<TAB>3 needs_review<TAB>WEIGHT_SUM SCORE_SUM` (codes of warnings and
    errors, `-` when none), or `SOURCE<TAB>failed<TAB>CODE<TAB>message` for a document that could not be read.
    """

    def __init__(self, out: TextIO, atomic: Callable[[], AbstractContextManager[object]] | None = None,
                 forms_held: int = FORMS_HELD) -> None:
        super().__init__(out, atomic, forms_held)
        self._count(reset=True)

    def _count(self, form: FormResult | None = None, reset: bool = False) -> None:
        # A streamed document's forms are counted, not kept: a huge export stays in bounded memory.
        if reset:
            self._forms, self._ok, self._codes = 0, 0, dict[str, None]()
        if form is not None:
            self._forms += 1
            self._ok += form.status.value == "ok"
            self._codes.update(dict.fromkeys(f.code.value for f in form.findings if f.severity is not Severity.INFO))

    @staticmethod
    def _flat(text: object) -> str:
        return " ".join(str(text).split())  # a message's line breaks and tabs would split the line

    def _line(self, result: DocumentResult) -> None:
        if result.status.value == "failed" and not self._forms:
            error = result.error or {}
            fields = [result.source, "failed", str(error.get("code")), self._flat(error.get("message"))]
        else:
            fields = [result.source, result.status.value, f"{self._forms} forms", f"{self._ok} ok",
                      f"{self._forms - self._ok} needs_review", " ".join(self._codes) or "-"]
            if result.error:
                fields.append(f"{result.error.get('code')}: {self._flat(result.error.get('message'))}")
        with self._writing():
            self.out.write("\t".join(field.replace("\t", " ").replace("\n", " ") for field in fields) + "\n")
        self._count(reset=True)

    def _whole(self, result: DocumentResult) -> None:
        for form in result.forms:
            self._count(form)
        self._line(result)

    def _open_stream(self, head: DocumentHead) -> None:
        self._count(reset=True)

    def _stream_form(self, form: FormResult) -> None:
        self._count(form)

    def _close_stream(self, result: DocumentResult, count: int) -> None:
        self._line(result)


WRITERS: dict[str, type[ResultWriter]] = {"json": JsonWriter, "jsonl": JsonLinesWriter, "table": TableWriter,
                                          "text": TextWriter}
