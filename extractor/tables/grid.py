"""Table structure from ruling lines (cells with row/col spans), text assigned to cells, and a lineless fallback."""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from extractor.layout import BBox, Doubt
from extractor.tables.lines import Segment


@dataclass
class Glyph:
    """A piece of text with its box: a PDF character, or an OCR box (possibly several characters)."""

    text: str
    bbox: BBox
    confidence: float | None = None
    doubts: list[Doubt] = field(default_factory=list)  # OCR: uncertain characters (positions in `text`)

    @property
    def cx(self) -> float:
        return (self.bbox[0] + self.bbox[2]) / 2

    @property
    def cy(self) -> float:
        return (self.bbox[1] + self.bbox[3]) / 2

    @property
    def height(self) -> float:
        return self.bbox[3] - self.bbox[1]


@dataclass
class TableCell:
    """One cell of a ruled table: its lattice position, spans and box; text is filled in later."""

    row: int
    col: int
    row_span: int
    col_span: int
    bbox: BBox
    text: str = ""
    confidence: float | None = None
    doubts: list[Doubt] = field(default_factory=list)  # OCR: uncertain characters (positions in `text`)
    agreed: bool | None = None  # OCR: a second reading gave the same text (None: read once)
    second: str | None = None  # OCR: the second reading's text where it differed
    unread: bool = False  # OCR: ink the recogniser could not read


@dataclass
class Table:
    """A ruled table: lattice boundaries and its (merged) cells, row by row."""

    xs: list[float]
    ys: list[float]
    cells: list[TableCell] = field(default_factory=list)
    _owner: dict[tuple[int, int], TableCell] = field(default_factory=dict, repr=False)

    @property
    def bbox(self) -> BBox:
        return (self.xs[0], self.ys[0], self.xs[-1], self.ys[-1])

    def cell_at(self, x: float, y: float) -> TableCell | None:
        """The cell whose box holds the point (lattice lookup, not a scan of all cells)."""
        if not (self.xs[0] <= x < self.xs[-1] and self.ys[0] <= y < self.ys[-1]):
            return None
        if not self._owner:
            self._owner = {(r, c): cell for cell in self.cells for r in range(cell.row, cell.row + cell.row_span)
                           for c in range(cell.col, cell.col + cell.col_span)}
        r = bisect.bisect_right(self.ys, y) - 1
        c = bisect.bisect_right(self.xs, x) - 1
        return self._owner.get((r, c))


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _cluster(values: Sequence[float], tol: float) -> list[float]:
    out: list[list[float]] = []
    for v in sorted(values):
        if out and v - out[-1][-1] <= tol:
            out[-1].append(v)
        else:
            out.append([v])
    return [float(np.mean(g)) for g in out]


def _coverage(segments: list[Segment], pos: float, lo: float, hi: float, tol: float) -> float:
    """Fraction of [lo, hi] drawn by segments lying at `pos`."""
    if hi <= lo:
        return 1.0
    spans = sorted((max(s.start, lo), min(s.end, hi)) for s in segments if abs(s.pos - pos) <= tol)
    covered, reach = 0.0, lo
    for a, b in spans:
        if b <= a or b <= reach:  # outside [lo, hi], or already counted
            continue
        covered += b - max(a, reach)
        reach = b
    return covered / (hi - lo)


def _groups(segments: list[Segment], tol: float) -> list[list[Segment]]:
    """Segments that touch each other, transitively: one group per table on the page."""
    uf = _UnionFind(len(segments))
    hs = [i for i, s in enumerate(segments) if s.horizontal]
    vs = [i for i, s in enumerate(segments) if not s.horizontal]
    for i in hs:
        h = segments[i]
        for j in vs:
            v = segments[j]
            if h.start - tol <= v.pos <= h.end + tol and v.start - tol <= h.pos <= v.end + tol:
                uf.union(i, j)
    groups: dict[int, list[Segment]] = {}
    for i, s in enumerate(segments):
        groups.setdefault(uf.find(i), []).append(s)
    return list(groups.values())


def find_tables(segments: list[Segment], tol: float, min_rows: int = 1, min_cols: int = 2) -> list[Table]:
    """Ruled tables from line segments: lattice of distinct line positions, merged where no wall separates."""
    tables = []
    for group in _groups(segments, tol):
        hs = [s for s in group if s.horizontal]
        vs = [s for s in group if not s.horizontal]
        if len(hs) < 2 or len(vs) < 2:
            continue
        ys = _cluster([s.pos for s in hs], tol)
        xs = _cluster([s.pos for s in vs], tol)
        if len(ys) < min_rows + 1 or len(xs) < min_cols + 1:
            continue
        # Walls are judged on every segment inside the table, not only this group's: a broken ruling's
        # middle piece touches no vertical line, so it forms a group of its own, yet it still separates rows.
        x0, x1, y0, y1 = xs[0] - tol, xs[-1] + tol, ys[0] - tol, ys[-1] + tol
        inside_h = [s for s in segments if s.horizontal and y0 <= s.pos <= y1 and s.end >= x0 and s.start <= x1]
        inside_v = [s for s in segments if not s.horizontal and x0 <= s.pos <= x1 and s.end >= y0 and s.start <= y1]
        table = _lattice(xs, ys, inside_h, inside_v, tol)
        if table.cells:
            tables.append(table)
    return sorted(tables, key=lambda t: (t.ys[0], t.xs[0]))


def _lattice(xs: list[float], ys: list[float], hs: list[Segment], vs: list[Segment], tol: float) -> Table:
    nr, nc = len(ys) - 1, len(xs) - 1
    uf = _UnionFind(nr * nc)
    # A wall exists where most of the shared edge is drawn: broken or faded lines still count.
    for r in range(nr):
        for c in range(nc):
            if c + 1 < nc and _coverage(vs, xs[c + 1], ys[r], ys[r + 1], tol) < 0.5:
                uf.union(r * nc + c, r * nc + c + 1)
            if r + 1 < nr and _coverage(hs, ys[r + 1], xs[c], xs[c + 1], tol) < 0.5:
                uf.union(r * nc + c, (r + 1) * nc + c)
    regions: dict[int, list[tuple[int, int]]] = {}
    for r in range(nr):
        for c in range(nc):
            regions.setdefault(uf.find(r * nc + c), []).append((r, c))
    cells = []
    for members in regions.values():
        r0, r1 = min(m[0] for m in members), max(m[0] for m in members)
        c0, c1 = min(m[1] for m in members), max(m[1] for m in members)
        cells.append(TableCell(row=r0, col=c0, row_span=r1 - r0 + 1, col_span=c1 - c0 + 1,
                               bbox=(xs[c0], ys[r0], xs[c1 + 1], ys[r1 + 1])))
    # A region that is not a rectangle (an L of missing walls) is kept as its bounding box; cells are unique
    # by their top-left corner, which is what the grid needs.
    cells.sort(key=lambda c: (c.row, c.col))
    return Table(xs=xs, ys=ys, cells=cells)


def text_lines(glyphs: list[Glyph]) -> list[list[Glyph]]:
    """Glyphs grouped into visual lines (top to bottom), each line left to right."""
    lines: list[list[Glyph]] = []
    for g in sorted(glyphs, key=lambda g: (g.cy, g.bbox[0])):
        for line in lines:
            ref = line[0]
            if abs(g.cy - _mean_cy(line)) <= max(ref.height, g.height) * 0.5:
                line.append(g)
                break
        else:
            lines.append([g])
    for line in lines:
        line.sort(key=lambda g: g.bbox[0])
    return sorted(lines, key=_mean_cy)


def _mean_cy(line: list[Glyph]) -> float:
    return sum(g.cy for g in line) / len(line)


def join_line(line: list[Glyph], space_ratio: float = 0.35) -> str:
    """A line's text; a gap wider than a third of the glyph height reads as a space."""
    return join_line_doubts(line, space_ratio)[0]


def join_line_doubts(line: list[Glyph], space_ratio: float = 0.35) -> tuple[str, list[Doubt]]:
    """A line's text and its glyphs' doubts moved to their place in it."""
    out = ""
    doubts: list[Doubt] = []
    prev: Glyph | None = None
    for g in line:
        if prev is not None and g.bbox[0] - prev.bbox[2] > space_ratio * max(g.height, prev.height):
            out += " "
        doubts += [d.model_copy(update={"at": d.at + len(out)}) for d in g.doubts]
        out += g.text
        prev = g
    return out, doubts


def _char_width(ch: str) -> float:
    # Full-width (CJK, ，（）) glyphs are about twice as wide as digits and Latin letters.
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.55


def split_glyph(glyph: Glyph, cuts: Sequence[float]) -> list[Glyph]:
    """Split an OCR box that straddles ruling lines at x positions `cuts`, sharing characters out by width."""
    x0, y0, x1, y1 = glyph.bbox
    inside = [c for c in cuts if x0 < c < x1]
    text = glyph.text
    if not inside or len(text) < 2:
        return [glyph]
    widths = [_char_width(ch) for ch in text]
    total = sum(widths)
    edges, acc = [x0], 0.0
    for w in widths:
        acc += w
        edges.append(x0 + acc / total * (x1 - x0))
    # Split index per cut: the character boundary nearest the cut, snapped to a change between Chinese and
    # digits/Latin (or a space) within two characters, since an OCR box also spans the blank between cells.
    splits = []
    for cut in inside:
        k = min(range(1, len(text)), key=lambda i: abs(edges[i] - cut))
        near = [i for i in range(max(1, k - 2), min(len(text), k + 3)) if _boundary(text, i)]
        splits.append(min(near, key=lambda i: abs(i - k)) if near else k)
    parts: list[Glyph] = []
    bounds = [x0, *inside, x1]
    idx = [0, *splits, len(text)]
    for j in range(len(bounds) - 1):
        chars = text[idx[j]:max(idx[j], idx[j + 1])].strip()
        if chars:
            parts.append(Glyph(chars, (bounds[j], y0, bounds[j + 1], y1), glyph.confidence))
    return parts


def _boundary(text: str, i: int) -> bool:
    a, b = text[i - 1], text[i]
    return a.isspace() or b.isspace() or (_char_width(a) == 1.0) != (_char_width(b) == 1.0)


def fill_cells(table: Table, glyphs: list[Glyph]) -> list[Glyph]:
    """Put each glyph into the cell holding its centre (a PDF character never straddles); return the rest."""
    per_cell: dict[int, list[Glyph]] = {}
    outside: list[Glyph] = []
    index = {id(c): i for i, c in enumerate(table.cells)}
    for g in glyphs:
        pieces = split_glyph(g, table.xs[1:-1]) if len(g.text) > 1 else [g]
        for piece in pieces:
            cell = table.cell_at(piece.cx, piece.cy)
            if cell is None:
                outside.append(piece)
            else:
                per_cell.setdefault(index[id(cell)], []).append(piece)
    for i, members in per_cell.items():
        cell = table.cells[i]
        cell.text = "".join(join_line(line) for line in text_lines(members))
        confs = [g.confidence for g in members if g.confidence is not None]
        cell.confidence = min(confs) if confs else None
    return outside


def cluster_table(lines: list[list[Glyph]], gap_ratio: float = 1.2) -> Table | None:
    """Lineless fallback: rows are text lines, columns are clusters of where tokens start."""
    rows: list[list[Glyph]] = []
    for line in lines:
        tokens: list[Glyph] = []
        for g in line:
            if tokens and g.bbox[0] - tokens[-1].bbox[2] <= gap_ratio * max(g.height, tokens[-1].height):
                t = tokens[-1]
                sep = " " if g.bbox[0] - t.bbox[2] > 0.35 * g.height else ""
                tokens[-1] = Glyph(t.text + sep + g.text, (t.bbox[0], min(t.bbox[1], g.bbox[1]), g.bbox[2],
                                                           max(t.bbox[3], g.bbox[3])), t.confidence)
            else:
                tokens.append(g)
        rows.append(tokens)
    multi = [t for row in rows if len(row) >= 2 for t in row]
    if len(multi) < 4:
        return None
    height = float(np.median([t.height for t in multi]))
    starts = _cluster([t.bbox[0] for t in multi], tol=height * 1.5)
    xs = [*starts, max(t.bbox[2] for row in rows for t in row) + 1]
    ys = [min(t.bbox[1] for t in row) for row in rows] + [max(t.bbox[3] for t in rows[-1])]
    table = Table(xs=xs, ys=ys)
    for r, row in enumerate(rows):
        by_col: dict[int, list[Glyph]] = {}
        for t in row:
            col = max(0, int(np.searchsorted(starts, t.bbox[0] + height * 0.75, side="right")) - 1)
            by_col.setdefault(col, []).append(t)
        for col, members in sorted(by_col.items()):
            x0 = min(t.bbox[0] for t in members)
            table.cells.append(TableCell(row=r, col=col, row_span=1, col_span=1,
                                         bbox=(x0, min(t.bbox[1] for t in members), max(t.bbox[2] for t in members),
                                               max(t.bbox[3] for t in members)),
                                         text=" ".join(t.text for t in members)))
    return table
