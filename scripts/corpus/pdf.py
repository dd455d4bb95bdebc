"""Born-digital PDFs: ruled tables with merged cells, wrapped CJK text, forms continuing over pages.

Text goes through pymupdf's TextWriter (plain insert_text spaces digits at full width) in one of three CJK fonts:
pymupdf's built-in `china-s` (Droid Sans Fallback), AR PL UMing (a Song face like the SimSun of government
forms) and WenQuanYi Zen Hei (Debian fonts-arphic-uming, fonts-wqy-zenhei). Every page of a document is
created before anything is drawn on it (adding pages invalidated earlier page objects). A merged cell cut by a
page break is drawn on both pages and its text printed in each part; some documents repeat the indicator
header at the top of a continuation page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pymupdf

from scripts.corpus.layouts import Cell, FormLayout

PAGE_W, PAGE_H = 595.0, 842.0
MARGIN_TOP, MARGIN_BOTTOM = 48.0, 48.0
PAD = 3.0
FONT_FILES = {
    "droid": None,  # built into pymupdf as china-s
    "uming": Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
    "zenhei": Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
}
FONTS = tuple(FONT_FILES)
_LOADED: dict[str, pymupdf.Font] = {}


class MissingFontError(RuntimeError):
    """A font the options ask for is not installed."""


def font(name: str = "droid") -> pymupdf.Font:
    """A CJK font by short name (loaded once)."""
    if name not in _LOADED:
        path = FONT_FILES[name]
        if path is None:
            _LOADED[name] = pymupdf.Font("china-s")
        elif not path.exists():
            raise MissingFontError(f"font {name!r} needs {path} (Debian fonts-arphic-uming / fonts-wqy-zenhei; "
                                   f"scripts/setup.sh dev installs them) or pass --fonts droid")
        else:
            _LOADED[name] = pymupdf.Font(fontfile=str(path))
    return _LOADED[name]


_UNBREAKABLE = re.compile(r"[0-9A-Za-z.,%()（）=<>≥≤+\-/:]+|.", re.S)


@lru_cache(maxsize=65536)
def _advance(face: str, ch: str) -> float:
    return font(face).text_length(ch, fontsize=1.0)


def text_width(text: str, size: float, face: str = "droid") -> float:
    """Printed width of a line (the sum of glyph advances: TextWriter does not kern)."""
    return size * sum(_advance(face, ch) for ch in text)


def wrap(text: str, width: float, size: float, face: str = "droid") -> list[str]:
    """Greedy wrap to a width: CJK breaks anywhere, a number or Latin run only when it alone is too wide.

    A `\n` in the text is a line break the form prints inside its cell (`经济效益` / `指标`).
    """
    if "\n" in text:
        return [line for part in text.split("\n") for line in wrap(part, width, size, face)]
    lines: list[str] = []
    current = ""
    for token in _UNBREAKABLE.findall(text):
        if not current or text_width(current + token, size, face) <= width:
            current += token
            continue
        lines.append(current)
        current = "" if token.isspace() else token
    if current or not lines:
        lines.append(current)
    out: list[str] = []
    for line in lines:  # a run wider than the cell is still cut, character by character
        while len(line) > 1 and text_width(line, size, face) > width:
            cut = max(1, next((k for k in range(len(line) - 1, 0, -1) if text_width(line[:k], size, face) <= width), 1))
            out.append(line[:cut])
            line = line[cut:]
        out.append(line)
    return out


@dataclass
class Style:
    """Sizes of one document's print."""

    size: float = 9.0
    title_size: float = 16.0
    line_width: float = 0.6
    leading: float = 1.3
    face: str = "droid"
    repeat_header: bool = False  # repeat the indicator header rows on a continuation page


@dataclass
class PageOps:
    """What to draw on one page."""

    rects: list[pymupdf.Rect] = field(default_factory=list)
    texts: list[tuple[float, float, str, float]] = field(default_factory=list)  # x, baseline y, text, size


def _x_positions(layout: FormLayout) -> list[float]:
    left = (PAGE_W - sum(layout.widths)) / 2
    xs = [left]
    for w in layout.widths:
        xs.append(xs[-1] + w)
    return xs


def _cell_lines(cell: Cell, xs: list[float], style: Style) -> list[str]:
    width = xs[cell.col + cell.colspan] - xs[cell.col] - 2 * PAD
    return wrap(cell.text, width, style.size, style.face) if cell.text else []


def _row_heights(layout: FormLayout, xs: list[float], style: Style) -> list[float]:
    line_h = style.size * style.leading
    minimum = line_h + 2 * PAD + 4
    heights = [minimum] * layout.n_rows
    for cell in layout.cells:
        if cell.rowspan == 1:
            heights[cell.row] = max(heights[cell.row], len(_cell_lines(cell, xs, style)) * line_h + 2 * PAD)
    for cell in layout.cells:
        if cell.rowspan > 1:
            need = len(_cell_lines(cell, xs, style)) * line_h + 2 * PAD
            have = sum(heights[cell.row:cell.row + cell.rowspan])
            if need > have:
                heights[cell.row + cell.rowspan - 1] += need - have
    return heights


def _place_text(ops: PageOps, cell: Cell, lines: list[str], rect: pymupdf.Rect, style: Style) -> None:
    line_h = style.size * style.leading
    block = len(lines) * line_h
    # A part of a merged cell too short for its text shows what fits (the rest is on the other page's part).
    fit = max(1, int((rect.height - 2 * PAD) / line_h + 1e-6))
    shown = lines[:fit]
    top = rect.y0 + max(PAD, (rect.height - min(block, fit * line_h)) / 2)
    for k, line in enumerate(shown):
        length = text_width(line, style.size, style.face)
        x = rect.x0 + PAD if cell.align == "left" else rect.x0 + (rect.width - length) / 2
        ops.texts.append((x, top + k * line_h + style.size * 0.88, line, style.size))


def layout_pages(layout: FormLayout, style: Style) -> list[PageOps]:
    """One form's drawing operations, page by page."""
    xs = _x_positions(layout)
    heights = _row_heights(layout, xs, style)
    pages = [PageOps()]
    y = MARGIN_TOP
    cx = PAGE_W / 2
    title_len = text_width(layout.title, style.title_size, style.face)
    pages[0].texts.append((cx - title_len / 2, y + style.title_size, layout.title, style.title_size))
    y += style.title_size * 1.6
    year_len = text_width(layout.year_line, style.size + 1, style.face)
    if layout.year_line:  # (some families print the year in the title)
        pages[0].texts.append((cx - year_len / 2, y + style.size + 1, layout.year_line, style.size + 1))
    y += (style.size + 1) * 1.8
    for line in layout.above:
        pages[0].texts.append((xs[0], y + style.size, line, style.size))
        y += style.size * 1.8
    page_of: list[int] = []
    top_of: list[float] = []
    header_rows = [r for r, kind in enumerate(layout.row_kinds) if kind in ("ind_header", "ind_subheader")]
    band_height = sum(heights[r] for r in header_rows)
    bands: dict[int, float] = {}  # page → top of its repeated header band
    for r, h in enumerate(heights):
        if y + h > PAGE_H - MARGIN_BOTTOM and top_of and y > MARGIN_TOP:
            pages.append(PageOps())
            y = MARGIN_TOP
            if style.repeat_header and layout.row_kinds[r] == "indicator":
                bands[len(pages) - 1] = y
                y += band_height
        page_of.append(len(pages) - 1)
        top_of.append(y)
        y += h
    for cell in layout.cells:
        rows = range(cell.row, cell.row + cell.rowspan)
        lines = _cell_lines(cell, xs, style)
        for page in sorted({page_of[r] for r in rows}):
            part = [r for r in rows if page_of[r] == page]
            top = top_of[part[0]]
            if page in bands and part[0] != cell.row and cell.col == 0:
                top = bands[page]  # the 绩效指标 cell continuing on this page also spans the repeated header
            rect = pymupdf.Rect(xs[cell.col], top, xs[cell.col + cell.colspan], top_of[part[-1]] + heights[part[-1]])
            pages[page].rects.append(rect)
            if lines:
                _place_text(pages[page], cell, lines, rect, style)
    for page, band_top in bands.items():
        offset = band_top - top_of[header_rows[0]]
        for cell in layout.cells:
            if cell.row in header_rows and cell.col > 0:
                bottom_row = cell.row + cell.rowspan - 1
                rect = pymupdf.Rect(xs[cell.col], top_of[cell.row] + offset, xs[cell.col + cell.colspan],
                                    top_of[bottom_row] + heights[bottom_row] + offset)
                pages[page].rects.append(rect)
                _place_text(pages[page], cell, _cell_lines(cell, xs, style), rect, style)
    y += style.size
    for line in layout.below:
        if y + style.size * 2 > PAGE_H - MARGIN_BOTTOM:
            pages.append(PageOps())
            y = MARGIN_TOP
        pages[-1].texts.append((xs[0], y + style.size, line, style.size))
        y += style.size * 1.8
    return pages


def render(layouts: list[FormLayout], style: Style | None = None) -> tuple[bytes, list[list[int]]]:
    """A PDF holding the forms one after another; returns its bytes and each form's 1-based pages."""
    style = style or Style()
    per_form = [layout_pages(layout, style) for layout in layouts]
    doc = pymupdf.open()
    for ops in per_form:
        for _ in ops:
            doc.new_page(width=PAGE_W, height=PAGE_H)
    f = font(style.face)
    number = 0
    form_pages: list[list[int]] = []
    for ops in per_form:
        form_pages.append([])
        for page_ops in ops:
            page = doc[number]
            number += 1
            form_pages[-1].append(number)
            shape = page.new_shape()
            for rect in page_ops.rects:
                shape.draw_rect(rect)
            shape.finish(color=(0, 0, 0), width=style.line_width)
            shape.commit()
            writer = pymupdf.TextWriter(page.rect)
            for x, y, text, size in page_ops.texts:
                writer.append((x, y), text, font=f, fontsize=size)
            writer.write_text(page)
    doc.subset_fonts()  # the full CJK font is 1.7 MB per file; a subset keeps fixtures small
    data = doc.tobytes(garbage=3, deflate=True, no_new_id=True, reproducible=True)
    doc.close()
    return data, form_pages
