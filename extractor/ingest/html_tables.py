"""Web pages (政府信息公开 pages): the page's tables with rowspan/colspan placed, and the lines around them.

Parsed with lxml's HTML parser (libxml2; no network, no DTD entities) — chosen over selectolax by measurement
(scripts/bench_html.py; README "Formats"). The encoding is the one the page declares (BOM, `<meta charset>`,
`http-equiv`), checked by decoding; an undeclared page is tried as UTF-8, then GB18030 (GBK pages are common).
"""

from __future__ import annotations

import re
from typing import Any

from extractor.errors import CorruptDocumentError, EmptyDocumentError, EncodingError
from extractor.ingest.structured import (
    MAX_COLSPAN,
    SourceCell,
    SourceRow,
    SpanGrid,
    clean_text,
    form_grids,
    line_cells,
)
from extractor.layout import Grid, SourceKind
from extractor.settings import Settings

_HTML_START = re.compile(rb"<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>]|table[\s>]|meta\s|title>)", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,300}?charset\s*=\s*["']?\s*([-\w.:]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]{0,100}encoding\s*=\s*["']([-\w.:]+)""", re.I)
# Declared names that mean a superset in practice: pages labelled gb2312 carry GBK characters.
_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030", "chinese": "gb18030",
            "iso-8859-1": "cp1252", "latin1": "cp1252", "us-ascii": "utf-8", "ascii": "utf-8", "unicode": "utf-16"}
_SKIP = frozenset({"script", "style", "head", "noscript", "template", "iframe", "object", "svg", "button", "select",
                   "textarea", "option"})
_BLOCK = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "section", "article", "header",
                    "footer", "center", "blockquote", "pre", "address", "dd", "dt", "dl", "form", "hr", "main", "nav",
                    "aside", "caption", "figure", "figcaption", "tr"})


def looks_like_html(data: bytes) -> bool:
    """True when the first bytes are a web page (a tag an HTML page starts with, after a BOM and white space)."""
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            head = head[: len(head) // 2 * 2].decode("utf-16").encode("utf-8", errors="ignore")
        except UnicodeDecodeError:
            return False
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if not head.startswith(b"<"):
        return False
    return bool(_HTML_START.search(head[:2048]))


def _codec(name: bytes | str) -> str | None:
    import codecs

    label = (name.decode("ascii", errors="ignore") if isinstance(name, bytes) else name).strip().lower()
    label = _ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_html(data: bytes) -> tuple[str, str, list[str]]:
    """The page's text, the encoding used, and notes (a declared encoding that did not decode)."""
    notes: list[str] = []
    if not data.strip():
        raise EmptyDocumentError("the page is empty")
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom):].decode(codec, errors="replace"), codec, notes
    declared = None
    head = data[:4096]
    found = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    if found:
        declared = _codec(found.group(1))
    tried = [c for c in (declared, "utf-8", "gb18030") if c]
    for codec in dict.fromkeys(tried):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            if codec == declared:
                notes.append(f"the page declares {found.group(1).decode('ascii', 'ignore')} but is not in it")  # type: ignore[union-attr]
            continue
        return text, codec, notes
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise EncodingError("the page's text encoding could not be determined")
    notes.append(f"encoding guessed as {best.encoding}")
    return str(best), best.encoding, notes


def _parse(text: str) -> Any:
    from lxml import etree, html

    # An XML declaration inside a str makes lxml refuse the text; the encoding was already applied.
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text, count=1)
    parser = html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True, huge_tree=False,
                             default_doctype=False, recover=True)
    try:
        root = html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise CorruptDocumentError(f"the page cannot be parsed: {exc}") from exc
    return root


def _tag(el: Any) -> str:
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""


def _text_of(el: Any, out: list[str]) -> None:
    """A cell's text with `<br>` and block elements as line breaks (joined later, as a PDF cell's lines)."""
    tag = _tag(el)
    if tag in _SKIP or tag == "table":
        return
    if tag == "br" or tag in _BLOCK:
        out.append("\n")
    if el.text and tag:
        out.append(el.text)
    for child in el:
        _text_of(child, out)
        if child.tail:
            out.append(child.tail)
    if tag in _BLOCK:
        out.append("\n")


def _own_rows(table: Any) -> list[Any]:
    return [tr for tr in table.iter("tr") if _closest_table(tr) is table]


def _closest_table(el: Any) -> Any:
    parent = el.getparent()
    while parent is not None and _tag(parent) != "table":
        parent = parent.getparent()
    return parent


def _span(value: str | None, default: int = 1) -> int:
    try:
        n = int(re.match(r"\s*(\d+)", value or "").group(1))  # type: ignore[union-attr]
    except (AttributeError, ValueError):
        return default
    return n


class _Walker:
    """Collects the page's rows in reading order: table rows and the lines between tables."""

    def __init__(self, settings: Settings) -> None:
        self.rows: list[SourceRow] = []
        self.buffer: list[str] = []
        self.tables = 0
        self.lines = 0
        self.spans = SpanGrid(settings.max_table_cells, "page")

    def flush(self) -> None:
        text = "".join(self.buffer)
        self.buffer = []
        for line in text.split("\n"):
            if line.strip():
                self.lines += 1
                cells = line_cells(line, f"para{self.lines}")
                if cells:
                    self.rows.append(SourceRow(cells, tabular=False))

    def walk(self, el: Any) -> None:
        tag = _tag(el)
        if tag in _SKIP:
            return
        if tag == "table":
            rows = _own_rows(el)
            if any(_closest_table(t) is el for t in el.iter("table") if t is not el) or not rows:
                # A layout table (tables inside its cells): its cells are page regions, read in order.
                self.flush()
                for child in el:
                    self.walk(child)
                    self.buffer.append("\n")
                self.flush()
                return
            self.flush()
            self.table(rows)
            return
        if tag == "br" or tag in _BLOCK:
            self.buffer.append("\n")
        if el.text and tag:
            self.buffer.append(el.text)
        for child in el:
            self.walk(child)
            if child.tail:
                self.buffer.append(child.tail)
        if tag in _BLOCK or tag in ("td", "th"):
            self.buffer.append("\n")

    def table(self, trs: list[Any]) -> None:
        self.tables += 1
        t = self.tables
        n = len(trs)
        for r, tr in enumerate(trs):
            cells: list[SourceCell] = []
            col = 0
            for td in tr:
                if _tag(td) not in ("td", "th"):
                    continue
                col = self.spans.free_col(r, col)
                col_span = max(1, min(_span(td.get("colspan")), MAX_COLSPAN))
                row_span = _span(td.get("rowspan"))
                row_span = n - r if row_span == 0 else max(1, min(row_span, n - r))  # 0: to the table's end
                self.spans.take(r, col, row_span, col_span)
                parts: list[str] = []
                _text_of(td, parts)
                cells.append(SourceCell(id=f"t{t}r{r + 1}c{col + 1}", text=clean_text("".join(parts)), row=r, col=col,
                                        row_span=row_span, col_span=col_span))
                col += col_span
            self.rows.append(SourceRow(cells, tabular=True))
        self.spans.next_table()


def page_rows(data: bytes, settings: Settings) -> tuple[list[SourceRow], str, list[str]]:
    """The page's rows in reading order, the encoding it was read in, and notes."""
    text, encoding, notes = decode_html(data)
    root = _parse(text)
    walker = _Walker(settings)
    body = root.find("body")
    walker.walk(body if body is not None else root)
    walker.flush()
    return walker.rows, encoding, notes


def read_html(data: bytes, settings: Settings) -> list[Grid]:
    """A web page's forms, one grid each (tables with their spans; title and year lines from around them)."""
    rows, encoding, notes = page_rows(data, settings)
    grids = form_grids(rows, SourceKind.HTML, "page")
    for grid in grids:
        grid.notes += [f"page encoding {encoding}", *notes]
    return grids
