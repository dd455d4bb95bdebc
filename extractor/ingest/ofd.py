"""OFD (GB/T 33190, the national electronic-document format): text objects and ruling lines with positions,
read by the same positional machinery as a PDF's text layer (tables/grid.py, tables/forms.py).

`easyofd` (PyPI) was examined and not used: it writes the archive into the working directory and extracts every
member without limits, parses all XML with xmltodict, swallows errors with bare excepts and can run a shell
command built from names inside the archive (jbig2dec via os.system). The package is small and regular, so it is
read here: OFD.xml → DocRoot (Document.xml) → each Page's Content.xml (and its TemplatePage), TextObjects with
their TextCode positions (X, Y, DeltaX with the `g N v` repeat notation, Boundary and CTM) and PathObjects
(AbbreviatedData `M x y L x y … Z`). Units are millimetres; they are turned into points so the PDF tolerances hold.
"""

from __future__ import annotations

import contextlib
import posixpath
import re
from typing import Any

from extractor.errors import (
    CorruptDocumentError,
    EmptyDocumentError,
    EncryptedDocumentError,
    NoFormFoundError,
)
from extractor.ingest.containers import Package, open_package
from extractor.layout import SourceKind
from extractor.settings import Settings
from extractor.tables.forms import PageLayout, assemble, with_glyphs
from extractor.tables.grid import Glyph, find_tables
from extractor.tables.lines import Segment, merge_segments

MM = 72 / 25.4  # points per millimetre
_NUM = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_TOKENS = re.compile(r"[A-Za-z]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_ARGS = {"M": 2, "L": 2, "Q": 4, "B": 6, "C": 0, "Z": 0, "S": 2, "A": 7}
Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _parse_xml(raw: bytes, name: str) -> Any:
    from lxml import etree

    # The package passed open_package: no DTD in any part. The parser still resolves nothing and fetches nothing.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=True, remove_pis=True)
    try:
        return etree.fromstring(raw, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise CorruptDocumentError(f"OFD part {name} is not well-formed XML: {exc}", member=name) from exc


def _child(el: Any, name: str) -> Any:
    for child in el:
        if _local(child.tag) == name:
            return child
    return None


def _descendants(el: Any, name: str) -> list[Any]:
    return [x for x in el.iter() if _local(x.tag) == name]


def _numbers(text: str | None) -> list[float]:
    return [float(x) for x in _NUM.findall(text or "")]


def _deltas(text: str | None) -> list[float]:
    """DeltaX/DeltaY: numbers, where `g N v` stands for N times v."""
    out: list[float] = []
    tokens = (text or "").split()
    i = 0
    while i < len(tokens):
        if tokens[i] == "g" and i + 2 < len(tokens):
            with contextlib.suppress(ValueError):
                out += [float(tokens[i + 2])] * min(int(float(tokens[i + 1])), 100_000)
            i += 3
            continue
        with contextlib.suppress(ValueError):
            out.append(float(tokens[i]))
        i += 1
    return out


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def _compose(outer: Matrix, inner: Matrix) -> Matrix:
    """The matrix applying `inner` first, then `outer`."""
    a1, b1, c1, d1, e1, f1 = inner
    a2, b2, c2, d2, e2, f2 = outer
    return (a1 * a2 + b1 * c2, a1 * b2 + b1 * d2, c1 * a2 + d1 * c2, c1 * b2 + d1 * d2,
            e1 * a2 + f1 * c2 + e2, e1 * b2 + f1 * d2 + f2)


def _object_matrix(obj: Any, outer: Matrix) -> Matrix:
    box = _numbers(obj.get("Boundary"))
    x0, y0 = (box[0], box[1]) if len(box) >= 2 else (0.0, 0.0)
    ctm = _numbers(obj.get("CTM"))
    inner: Matrix = tuple(ctm[:6]) if len(ctm) >= 6 else _IDENTITY  # type: ignore[assignment]
    return _compose(outer, _compose((1.0, 0.0, 0.0, 1.0, x0, y0), inner))


class _Page:
    def __init__(self) -> None:
        self.glyphs: list[Glyph] = []
        self.segments: list[Segment] = []

    def text(self, obj: Any, outer: Matrix) -> None:
        m = _object_matrix(obj, outer)
        size = (_numbers(obj.get("Size")) or [3.5])[0]
        x = y = 0.0
        for code in obj:
            if _local(code.tag) != "TextCode":
                continue
            text = code.text or ""
            x = float(code.get("X", x)) if code.get("X") is not None else x
            y = float(code.get("Y", y)) if code.get("Y") is not None else y
            dx, dy = _deltas(code.get("DeltaX")), _deltas(code.get("DeltaY"))
            cx, cy = x, y
            for k, ch in enumerate(text):
                step = dx[k] if k < len(dx) else (size if ord(ch) > 0x2000 else size * 0.5)
                if not ch.isspace():
                    width = step if k < len(dx) else (size if ord(ch) > 0x2000 else size * 0.5)
                    width = min(width, size * 1.2)
                    px0, py0 = _apply(m, cx, cy - size * 0.85)
                    px1, py1 = _apply(m, cx + width, cy + size * 0.15)
                    self.glyphs.append(Glyph(ch, (min(px0, px1) * MM, min(py0, py1) * MM, max(px0, px1) * MM,
                                                  max(py0, py1) * MM)))
                cx += step
                if k < len(dy):
                    cy += dy[k]
            x, y = cx, cy

    def path(self, obj: Any, outer: Matrix) -> None:
        if obj.get("Stroke", "true").lower() == "false" and obj.get("Fill", "false").lower() != "true":
            return
        data = _child(obj, "AbbreviatedData")
        if data is None or not data.text:
            return
        m = _object_matrix(obj, outer)
        tokens = _TOKENS.findall(data.text)
        if len(tokens) > 200_000:
            return  # a drawing, not ruling lines
        points: list[tuple[float, float]] = []
        start: tuple[float, float] | None = None
        i, op = 0, "M"
        while i < len(tokens):
            if tokens[i].isalpha():
                op = tokens[i].upper()
                i += 1
                if op in ("Z", "C") and start is not None and points:
                    self._line(points[-1], start)
                    points.append(start)
                    continue
            n = _ARGS.get(op, 0)
            if n == 0 or i + n > len(tokens):
                i += 1 if n == 0 else n
                continue
            try:
                args = [float(t) for t in tokens[i:i + n]]
            except ValueError:
                i += n
                continue
            i += n
            end = _apply(m, args[-2], args[-1]) if op != "A" else _apply(m, args[5], args[6])
            if op == "M" or op == "S":
                start = end
            elif op == "L" and points:
                self._line(points[-1], end)
            points.append(end)

    def _line(self, p: tuple[float, float], q: tuple[float, float]) -> None:
        (x0, y0), (x1, y1) = (p[0] * MM, p[1] * MM), (q[0] * MM, q[1] * MM)
        if abs(y0 - y1) < 1.0 and abs(x0 - x1) > 3.0:
            self.segments.append(Segment(True, (y0 + y1) / 2, min(x0, x1), max(x0, x1)))
        elif abs(x0 - x1) < 1.0 and abs(y0 - y1) > 3.0:
            self.segments.append(Segment(False, (x0 + x1) / 2, min(y0, y1), max(y0, y1)))

    def walk(self, el: Any, outer: Matrix, depth: int = 0) -> None:
        if depth > 32:
            return
        for obj in el:
            name = _local(obj.tag)
            if name == "TextObject":
                self.text(obj, outer)
            elif name == "PathObject":
                self.path(obj, outer)
            elif name in ("PageBlock", "Layer", "CompositeObject"):
                self.walk(obj, _object_matrix(obj, outer) if name == "PageBlock" and obj.get("Boundary") else outer,
                          depth + 1)


def _resolve(base: str, loc: str) -> str:
    loc = loc.strip().replace("\\", "/")
    path = loc.lstrip("/") if loc.startswith("/") else posixpath.join(posixpath.dirname(base), loc)
    return posixpath.normpath(path)


def _page_layout(package: Package, number: int, content: str, templates: dict[str, str], base: str) -> PageLayout:
    root = _parse_xml(package.read(content), content)
    page = _Page()
    for tpl in [x for x in root if _local(x.tag) == "Template"]:
        loc = templates.get(tpl.get("TemplateID", ""))
        if loc and package.has(loc):
            page.walk(_child(_parse_xml(package.read(loc), loc), "Content") or [], _IDENTITY)
    body = _child(root, "Content")
    if body is not None:
        page.walk(body, _IDENTITY)
    box = _numbers(getattr(_descendants(root, "PhysicalBox")[0] if _descendants(root, "PhysicalBox") else None,
                           "text", None))
    width, height = (box[2] * MM, box[3] * MM) if len(box) >= 4 else (595.0, 842.0)
    layout = PageLayout(number=number, width=width, height=height, kind=SourceKind.OFD)
    tables = find_tables(merge_segments(page.segments, tol=1.5), tol=2.0)
    return with_glyphs(layout, tables, page.glyphs)


def read_ofd(data: bytes, settings: Settings, meta: dict[str, Any] | None = None) -> list[Any]:
    """An OFD document's forms, one grid each (page, bounding box in points and cell id on every cell)."""
    meta = meta if meta is not None else {}
    package = open_package(data, settings, "OFD document")
    if any("encrypt" in n.lower() for n in package.names):
        raise EncryptedDocumentError("the OFD document is encrypted")
    root = _parse_xml(package.read("OFD.xml"), "OFD.xml")
    body = _child(root, "DocBody")
    doc_root = _child(body, "DocRoot") if body is not None else None
    if doc_root is None or not (doc_root.text or "").strip():
        raise CorruptDocumentError("OFD.xml names no DocRoot")
    if body is not None and _child(body, "Encryptions") is not None:
        raise EncryptedDocumentError("the OFD document is encrypted")
    doc_path = _resolve("", doc_root.text)
    document = _parse_xml(package.read(doc_path), doc_path)
    templates = {t.get("ID", ""): _resolve(doc_path, t.get("BaseLoc", ""))
                 for t in _descendants(document, "TemplatePage")}
    pages_el = _child(document, "Pages")
    pages = [p for p in (pages_el if pages_el is not None else []) if _local(p.tag) == "Page"]
    if not pages:
        raise EmptyDocumentError("the OFD document has no pages")
    if len(pages) > settings.max_pages:
        from extractor.errors import ResourceLimitError

        raise ResourceLimitError(f"the OFD document has {len(pages)} pages, over the limit of {settings.max_pages}",
                                 pages=len(pages), limit=settings.max_pages)
    meta["pages_total"] = len(pages)
    layouts = [_page_layout(package, n, _resolve(doc_path, p.get("BaseLoc", "")), templates, doc_path)
               for n, p in enumerate(pages, start=1)]
    grids = assemble(layouts)
    if not grids:
        raise NoFormFoundError(f"no 绩效自评表 found on {len(layouts)} page(s)", pages=len(layouts))
    for grid in grids:
        grid.kind = SourceKind.OFD
    return grids
