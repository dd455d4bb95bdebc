"""Born-digital PDFs: ruled tables with merged cells, wrapped CJK text, forms continuing over pages.

Text goes through pymupdf's TextWriter with the built-in `china-s` font (plain insert_text spaces digits at full
width); every page of a document is created before anything is drawn on it (adding pages invalidated earlier
page objects). A merged cell cut by a page break is drawn on both pages and its text printed in each part.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pymupdf

from scripts.corpus.layouts import Cell, FormLayout

PAGE_W, PAGE_H = 595.0, 842.0
MARGIN_TOP, MARGIN_BOTTOM = 48.0, 48.0
PAD = 3.0
_FONT: pymupdf.Font | None = None


def font() -> pymupdf.Font:
    """The CJK font (loaded once)."""
    global _FONT
    if _FONT is None:
        _FONT = pymupdf.Font("china-s")
    return _FONT


def wrap(text: str, width: float, size: float) -> list[str]:
    """Greedy character wrap to a width (CJK has no spaces to break at)."""
    f = font()
    lines: list[str] = []
    current = ""
    for ch in text:
        if current and f.text_length(current + ch, fontsize=size) > width:
            lines.append(current)
            current = ch.lstrip() if ch.isspace() else ch
        else:
            current += ch
    if current or not lines:
        lines.append(current)
    return lines


@dataclass
class Style:
    """Sizes of one document's print."""

    size: float = 9.0
    title_size: float = 16.0
    line_width: float = 0.6
    leading: float = 1.3


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
    return wrap(cell.text, width, style.size) if cell.text else []


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
        length = font().text_length(line, fontsize=style.size)
        x = rect.x0 + PAD if cell.align == "left" else rect.x0 + (rect.width - length) / 2
        ops.texts.append((x, top + k * line_h + style.size * 0.88, line, style.size))


def layout_pages(layout: FormLayout, style: Style) -> list[PageOps]:
    """One form's drawing operations, page by page."""
    xs = _x_positions(layout)
    heights = _row_heights(layout, xs, style)
    pages = [PageOps()]
    y = MARGIN_TOP
    cx = PAGE_W / 2
    title_len = font().text_length(layout.title, fontsize=style.title_size)
    pages[0].texts.append((cx - title_len / 2, y + style.title_size, layout.title, style.title_size))
    y += style.title_size * 1.6
    year_len = font().text_length(layout.year_line, fontsize=style.size + 1)
    pages[0].texts.append((cx - year_len / 2, y + style.size + 1, layout.year_line, style.size + 1))
    y += (style.size + 1) * 1.8
    for line in layout.above:
        pages[0].texts.append((xs[0], y + style.size, line, style.size))
        y += style.size * 1.8
    page_of: list[int] = []
    top_of: list[float] = []
    for h in heights:
        if y + h > PAGE_H - MARGIN_BOTTOM and top_of and y > MARGIN_TOP:
            pages.append(PageOps())
            y = MARGIN_TOP
        page_of.append(len(pages) - 1)
        top_of.append(y)
        y += h
    for cell in layout.cells:
        rows = range(cell.row, cell.row + cell.rowspan)
        lines = _cell_lines(cell, xs, style)
        for page in sorted({page_of[r] for r in rows}):
            part = [r for r in rows if page_of[r] == page]
            rect = pymupdf.Rect(xs[cell.col], top_of[part[0]], xs[cell.col + cell.colspan],
                                top_of[part[-1]] + heights[part[-1]])
            pages[page].rects.append(rect)
            if lines:
                _place_text(pages[page], cell, lines, rect, style)
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
    f = font()
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
