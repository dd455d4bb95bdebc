"""How an export's text lays out its cells: tabs, pipes, one cell per line, spaces, or nothing at all.

templates.md lists the ways a form's text reaches us. Each layout is turned into the same thing: source lines,
each a list of cell texts. What the lines mean differs (a row of a table, or one cell of a stream), and the
layout says so, so the reader knows how far to trust row boundaries and column positions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from extractor.domain.text import simplified

Record = tuple[int, list[str]]  # (1-based first line, cell texts)


class TextLayout(StrEnum):
    """The shape of an export's text (templates.md 'How the text reaches a reader')."""

    TSV = "tsv"  # the seed's system export: a line is a row, a tab separates cells, blank cells kept
    CSV = "csv"  # a spreadsheet's CSV (comma, semicolon), quotes honoured only where the content is quoted CSV
    PIPE = "pipe"  # a table flattened from a web page: `a | b | c`, empty cells often dropped, rows may break
    CELL_PER_LINE_BAR = "cell_per_line_bar"  # one cell per line, each ending in ` |`; a bare `|` is an empty cell
    CELL_PER_LINE = "cell_per_line"  # one cell per line, blank lines between; a lone space is an empty cell
    SPACES = "spaces"  # a row per line, cells separated by spaces; blank cells vanish
    FIXED_WIDTH = "fixed_width"  # a row per line, cells separated by runs of spaces (or one cell per line)
    GLUED = "glued"  # previews and OCR text: no cell boundaries at all

    @property
    def rows_reliable(self) -> bool:
        """A source line is one table row (its cells in column order)."""
        return self in (TextLayout.TSV, TextLayout.CSV)

    @property
    def stream(self) -> bool:
        """The cells come as a stream: rows must be rebuilt from labels and the header."""
        return not self.rows_reliable


_PIPE_SPLIT = re.compile(r"\s*\|\s*")
_WS_SPLIT = re.compile(r"[ \t\u3000\xa0]+")


def _nonempty(lines: list[str]) -> list[str]:
    return [line for line in lines if line.strip()]


@dataclass
class _LineCounts:
    """What detect_layout weighs, counted in one pass (a huge export is never held as a list of lines)."""

    content: int = 0  # lines with something on them
    blank: int = 0
    tabs: int = 0
    piped: int = 0
    piped_inner: int = 0  # piped lines with more than one cell between the bars
    commas: int = 0  # lines with three or more commas
    semicolons: int = 0
    long_lines: int = 0  # over 150 characters
    over_80: bool = False
    token_count: int = 0
    token_chars: int = 0
    multi: int = 0  # lines of more than one space-separated token

    @classmethod
    def of(cls, lines: Iterable[str]) -> _LineCounts:
        """The counts of an export's lines."""
        c = cls()
        for line in lines:
            stripped = line.strip()
            if not stripped:
                c.blank += 1
                continue
            c.content += 1
            c.tabs += "\t" in line
            if "|" in line:
                c.piped += 1
                c.piped_inner += len([x for x in _PIPE_SPLIT.split(stripped.strip("|")) if x]) > 1
            c.commas += line.count(",") >= 3
            c.semicolons += line.count(";") >= 3
            c.long_lines += len(stripped) > 150
            c.over_80 = c.over_80 or len(line) > 80
            words = _WS_SPLIT.split(stripped)
            c.multi += len(words) > 1
            for word in words:
                if word:
                    c.token_count, c.token_chars = c.token_count + 1, c.token_chars + len(word)
        return c


def detect_layout(lines: Iterable[str]) -> TextLayout:
    """The layout of an export's lines, judged on the whole text (the lines may come one at a time)."""
    c = _LineCounts.of(lines)
    if not c.content:
        return TextLayout.TSV
    if c.tabs >= max(2, c.content // 10):
        return TextLayout.TSV
    if c.piped >= 0.5 * c.content:
        return TextLayout.PIPE if c.piped_inner >= 0.2 * c.piped else TextLayout.CELL_PER_LINE_BAR
    for count in (c.commas, c.semicolons):
        if count >= max(3, c.content // 4):
            return TextLayout.CSV
    mean_token = c.token_chars / max(1, c.token_count)
    if (c.content <= 6 and c.long_lines >= 1) or (mean_token > 25 and c.over_80):
        return TextLayout.GLUED  # a preview's run-on text: cells and numbers glued together
    if c.blank >= 0.3 * c.content and c.multi <= 0.5 * c.content:
        return TextLayout.CELL_PER_LINE
    if c.multi >= 0.3 * c.content:
        return TextLayout.SPACES
    return TextLayout.FIXED_WIDTH


# A quoted field may hold line breaks (a spreadsheet cell's), but not many: a stray quote must not pair with one
# far below and swallow the rows between.
_MAX_QUOTED_LINES = 8


def _quoted_field(text: str, start: int, delimiter: str) -> tuple[str, int] | None:
    """The field quoted from `text[start]` (a `"`) and the index after its closing quote, when it is a quoted
    field: `""` inside stands for `"`, the closing quote ends the field (a delimiter, a line end or the end of the
    text follows it) within a few lines. Otherwise (`"两违"整治率`, `"12寸显示屏采购`) None: its quotes are text."""
    out: list[str] = []
    breaks = 0
    k = start + 1
    while k < len(text):
        ch = text[k]
        if ch == '"':
            if text.startswith('""', k):
                out.append('"')
                k += 2
                continue
            if text[k + 1:k + 2] in ("", delimiter, "\n", "\r"):
                return "".join(out), k + 1
            # A bare quote inside a quoted field (`"…确保"工程质量合格率100%。"`) is text; the field still has to
            # close within a few lines, or its opening quote was text too.
        if ch == "\n":
            breaks += 1
            if breaks > _MAX_QUOTED_LINES:
                return None
        out.append(ch)
        k += 1
    return None


def _csv_records(text: str, delimiter: str, lines: list[str]) -> list[Record]:
    """CSV rows with their first line numbers. Quotes are honoured only where a whole field is quoted (`"a,b"`,
    a cell spanning lines, as spreadsheets write them); any other quote mark is text, never a reason to join rows
    (Python's csv reader turned `"两违"整治率` into `两违整治率` and let a stray `"` swallow the rest of a file)."""
    if '"' not in text:
        return [(n, line.split(delimiter)) for n, line in enumerate(lines, start=1)]
    records: list[Record] = []
    fields: list[str] = []
    cell: list[str] = []
    line = start = 1
    k, at_start = 0, True
    while k < len(text):
        ch = text[k]
        if at_start and ch == '"':
            quoted = _quoted_field(text, k, delimiter)
            if quoted is not None:
                cell.append(quoted[0])
                line += text.count("\n", k, quoted[1])
                k, at_start = quoted[1], False
                continue
        if ch == delimiter:
            fields.append("".join(cell))
            cell, at_start = [], True
        elif ch in "\r\n":
            if ch == "\r" and text.startswith("\r\n", k):
                k += 1
            fields.append("".join(cell))
            records.append((start, fields))
            fields, cell, at_start = [], [], True
            line += 1
            start = line
        else:
            cell.append(ch)
            at_start = False
        k += 1
    if cell or fields:
        fields.append("".join(cell))
        records.append((start, fields))
    return records


def _pipe_cells(line: str) -> list[str]:
    body = line.strip()
    if body in ("|", "||"):
        return [""]
    body = body.removeprefix("|").removesuffix("|")
    return [c.strip() for c in body.split("|")]


def _bar_cell(line: str) -> list[str]:
    body = line.strip()
    if body.endswith("|"):
        body = body[:-1]
    return [body.strip()]


def _blocks(lines: list[str]) -> list[Record]:
    """One cell per block of lines between empty lines: a label wrapped over two lines (`年初` / `预算数`) is one
    cell; a line of white space only is an empty cell."""
    records: list[Record] = []
    block: list[str] = []
    start = 0
    for n, line in enumerate([*lines, ""], start=1):
        if line and line.strip():
            if not block:
                start = n
            block.append(line.strip())
            continue
        if block:
            records.append((start, ["\n".join(block)]))
            block = []
        if line:  # white space only: an empty cell
            records.append((n, [""]))
    return records


def iter_lines(text: str, chunk: int = 1 << 20) -> Iterator[str]:
    """text.splitlines(), one line at a time: pieces cut just after a "\\n" split exactly as the whole does
    (a "\\r\\n" is never cut), so a huge export is never held as a list of lines."""
    start, end = 0, len(text)
    while start < end:
        cut = text.find("\n", min(start + chunk, end) - 1)
        stop = end if cut < 0 else cut + 1
        yield from text[start:stop].splitlines()
        start = stop


def iter_records(text: str, layout: TextLayout) -> Iterator[Record]:
    """The export's lines as records of cell texts, for its layout, one at a time (CSV and one-cell-per-line
    texts are read whole: their records span lines)."""
    if layout is TextLayout.CSV:
        lines = text.splitlines()
        delimiter = "," if sum(line.count(",") for line in lines) >= sum(line.count(";") for line in lines) else ";"
        yield from _csv_records(text, delimiter, lines)
        return
    if layout is TextLayout.CELL_PER_LINE:
        yield from _blocks(text.splitlines())
        return
    for n, line in enumerate(iter_lines(text), start=1):
        if layout is TextLayout.TSV:
            yield n, line.split("\t")
        elif not line.strip():
            continue
        elif layout is TextLayout.PIPE:
            yield n, _pipe_cells(line)
        elif layout is TextLayout.CELL_PER_LINE_BAR:
            yield n, _bar_cell(line)
        elif layout is TextLayout.FIXED_WIDTH:
            yield n, re.split(r"\s{2,}|\u3000+", line.strip())
        elif layout is TextLayout.SPACES:
            yield n, _WS_SPLIT.split(line.strip())
        else:
            yield n, [line.strip()]


def split_lines(text: str, layout: TextLayout) -> list[Record]:
    """The export's lines as records of cell texts, for its layout."""
    return list(iter_records(text, layout))


def is_title_text(text: str) -> bool:
    """A form's title line: …绩效自评表 (any script), short."""
    key = simplified("".join(text.split()))
    return "绩效自评表" in key and len(key) <= 48
