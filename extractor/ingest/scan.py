"""Read a raster page: deskew, find the ruled table, recognise each cell's text lines in one batch."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from functools import partial

import cv2
import numpy as np

from extractor.ingest.orient import classifier_for, page_orientation, turn
from extractor.ingest.rereading import second_readings
from extractor.layout import SourceKind
from extractor.ocr.base import OcrEngine, OcrLine, drop_speck_readings, pair_quotes
from extractor.ocr.glyphs import leading_sign_checked, sign_checked, slash_checked
from extractor.ocr.reading import Reading, doubts_of
from extractor.ocr.reading import join as join_readings
from extractor.tables.forms import PageLayout
from extractor.tables.grid import Glyph, cluster_table, find_tables, text_lines
from extractor.tables.lines import rotate, segments_from_raster, skew_angle


@dataclass
class _Crop:
    cell: int  # index into the page's cells, -1 for text outside tables
    table: int
    bbox: tuple[int, int, int, int]  # x0, y0, x1, y1 in pixels


def _bands(profile: np.ndarray, min_ink: int, merge_gap: int) -> list[tuple[int, int]]:
    rows = np.flatnonzero(profile >= min_ink)
    if rows.size == 0:
        return []
    bands: list[list[int]] = [[int(rows[0]), int(rows[0])]]
    for r in rows[1:]:
        if r - bands[-1][1] <= merge_gap:
            bands[-1][1] = int(r)
        else:
            bands.append([int(r), int(r)])
    return [(a, b + 1) for a, b in bands]


DASH = "—"
# What a comparison sign decided by its shape is worth: certain where the recogniser offered it too; a doubt
# the checker weighs where the shape alone says so (a `>` at 130 dpi can look barred).
SHAPE_PROB = 0.97
SHAPE_ALONE = 0.6
# The shortest side of a page that can hold a line of text (after scaling down to the reader's size).
MIN_PAGE_SIDE = 16


def _cell_lines(ink: np.ndarray, box: tuple[int, int, int, int], char_h: float) -> list[tuple[tuple[int, int, int, int], bool]]:
    """Text-line boxes inside a cell from its ink profile, each flagged when it is a lone dash (—).

    Empty cells give nothing and cost no recognition; a dash is told by its shape (a thin bar), because the
    recogniser reads it as 一 or 1.
    """
    x0, y0, x1, y1 = box
    region = ink[y0:y1, x0:x1]
    if region.size == 0 or int(np.count_nonzero(region)) < 6:
        return []
    rows = _bands(np.count_nonzero(region, axis=1), min_ink=1, merge_gap=max(2, int(char_h * 0.3)))
    found: list[tuple[tuple[int, int, int, int], bool]] = []
    rows = [part for band in rows for part in _split_tall(np.count_nonzero(region, axis=1), band, char_h)]
    for a, b in rows:
        band = region[a:b]
        cols = np.flatnonzero(np.count_nonzero(band, axis=0))
        if cols.size == 0:
            continue
        width, height = int(cols[-1] - cols[0] + 1), b - a
        line = (x0 + int(cols[0]), y0 + a, x0 + int(cols[-1]) + 1, y0 + b)
        if height <= char_h * 0.3 and width >= char_h * 0.45 and width <= char_h * 2.5 \
                and not _two_bars(band[:, cols[0]:cols[-1] + 1]):
            found.append((line, True))
        elif height >= max(3, char_h * 0.22) and np.count_nonzero(band) >= max(6, char_h * 0.5):
            found.append((line, False))
    found = _equals_signs(found, char_h)
    if len(found) > 1:
        found = [(line, False) for line, dash in found if not dash] or found[:1]
    return [(_line_height(line, char_h, box), dash) for line, dash in found]


def _two_bars(band: np.ndarray) -> bool:
    """True when a flat band of ink is two bars one above the other (=, ═), not one dash."""
    rows = np.count_nonzero(band, axis=1) >= 0.5 * band.shape[1]
    runs = np.flatnonzero(np.diff(np.r_[0, rows.astype(np.int8), 0]) == 1)
    return len(runs) >= 2


def _equals_signs(found: list[tuple[tuple[int, int, int, int], bool]], char_h: float) -> list[tuple[tuple[int, int, int, int], bool]]:
    """Two bars stacked close together, one above the other, are an `=` to recognise, not two dashes."""
    out: list[tuple[tuple[int, int, int, int], bool]] = []
    for line, dash in found:
        if out and dash and out[-1][1]:
            (a0, b0, a1, b1), (c0, d0, c1, d1) = out[-1][0], line
            overlap = min(a1, c1) - max(a0, c0)
            if d0 - b1 <= char_h * 0.5 and overlap >= 0.6 * max(a1 - a0, c1 - c0):
                out[-1] = ((min(a0, c0), b0, max(a1, c1), d1), False)
                continue
        out.append((line, dash))
    return out


def _line_height(line: tuple[int, int, int, int], char_h: float, cell: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """A line box at least a character high (within its cell), centred on its ink.

    The recogniser scales every crop to the same height: a lone `=`, `≥` or `。` cut tight would be blown up to
    a full character and misread (`≥` as `2`, `>=` as `v=`).
    """
    x0, y0, x1, y1 = line
    want = int(round(char_h))
    if y1 - y0 >= want:
        return line
    mid = (y0 + y1) // 2
    top = max(cell[1], mid - want // 2)
    return x0, top, x1, min(cell[3], top + want)


def _split_tall(profile: np.ndarray, band: tuple[int, int], char_h: float) -> list[tuple[int, int]]:
    """Cut a band taller than one text line at its thinnest row (tight line spacing merges wrapped lines)."""
    a, b = band
    if b - a > char_h * 1.2:
        # A blank row inside a band over a line tall: a wrapped line's lone 。 or ， sits just under the line above
        # (the bands merge across small gaps) and would be lost at the bottom of its crop.
        lo, hi = a + int(char_h * 0.5), b - max(2, int(char_h * 0.15))
        blank = np.flatnonzero(profile[lo:hi] == 0) + lo if hi > lo else np.array([], dtype=int)
        if blank.size:
            cut = int(blank[len(blank) // 2])
            return _split_tall(profile, (a, cut), char_h) + _split_tall(profile, (cut + 1, b), char_h)
    if b - a <= char_h * 1.6:
        return [band]
    lo, hi = a + int(char_h * 0.6), b - int(char_h * 0.6)
    if hi <= lo:
        return [band]
    cut = lo + int(np.argmin(profile[lo:hi]))
    return _split_tall(profile, (a, cut), char_h) + _split_tall(profile, (cut + 1, b), char_h)


def _rings(gray: np.ndarray, char_h: float) -> list[tuple[int, int, int]]:
    """Circles 2.5–8 characters in radius whose whole rim carries ink: seals (公章), as (x, y, r) in pixels."""
    scale = 8.0 / char_h
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if min(small.shape) < 40:
        return []
    small = cv2.medianBlur(small, 3)
    found = cv2.HoughCircles(small, cv2.HOUGH_GRADIENT, dp=1, minDist=40, param1=80, param2=25, minRadius=20,
                             maxRadius=64)
    if found is None:
        return []
    ink = cv2.adaptiveThreshold(small, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 15, 8)
    angles = np.linspace(0, 2 * np.pi, 120, endpoint=False)
    out = []
    for x, y, r in found[0][:8]:
        hit = np.zeros(len(angles), bool)
        for dr in (-2, -1, 0, 1, 2):
            px = np.clip(np.round(x + (r + dr) * np.cos(angles)).astype(int), 0, ink.shape[1] - 1)
            py = np.clip(np.round(y + (r + dr) * np.sin(angles)).astype(int), 0, ink.shape[0] - 1)
            hit |= ink[py, px] > 0
        if hit.mean() >= 0.9:
            out.append((int(x / scale), int(y / scale), int(r / scale)))
    return out


def _without_seals(ink: np.ndarray, gray: np.ndarray, strips: list[tuple[int, int]], char_h: float) -> np.ndarray:
    """The ink outside the tables without any seal (公章): a full ring and everything inside it.

    A seal's characters run round an arc; read as text lines they become rows of `/`, `1` and fragments that
    the row reader would take for indicator rows. Its ring is often fainter than the text (red printed grey).
    """
    out = ink
    for y0, y1 in strips:
        if y1 - y0 < 5 * char_h:
            continue
        for x, y, r in _rings(gray[y0:y1], char_h):
            if out is ink:
                out = ink.copy()
            pad = int(r * 1.1)
            out[max(0, y0 + y - pad):y0 + y + pad, max(0, x - pad):x + pad] = 0
    return out


def _strip_lines(ink: np.ndarray, y0: int, y1: int, x0: int, x1: int, char_h: float) -> list[tuple[int, int, int, int]]:
    """Text pieces in a strip outside the table (title, year, notes), within the table's width: bands, cut at
    wide horizontal gaps (the page's dark scanner edges lie outside and stay out)."""
    region = ink[y0:y1, x0:x1]
    out = []
    profile = np.count_nonzero(region, axis=1)
    bands = _bands(profile, min_ink=2, merge_gap=max(2, int(char_h * 0.3)))
    for a, b in (part for band in bands for part in _split_tall(profile, band, char_h * 1.6)):
        if b - a < char_h * 0.4:
            continue
        if y0 + a <= 1 or y0 + b >= ink.shape[0] - 1:
            continue  # printed text never touches the page's edge; a scanner's dark border does ("OEL", "2=")
        cols = np.count_nonzero(region[a:b], axis=0)
        for c0, c1 in _bands(cols, min_ink=1, merge_gap=int((b - a) * 1.5)):
            if c1 - c0 >= (b - a) * 0.3 and np.count_nonzero(region[a:b, c0:c1]) >= char_h:
                out.append((x0 + c0, y0 + a, x0 + c1, y0 + b))
    return out


def _ring(blob: np.ndarray, gray: np.ndarray | None, char_h: float) -> bool:
    """True when a small blob is a ring (the 。 of a wrapped line, alone under the line above), not a speck.

    Dust and toner dots are solid; a 。 encloses paper, lighter than its stroke in the unblurred page even where
    the ink mask (found after a median blur) has closed it.
    """
    h, w = blob.shape
    if min(h, w) < max(4, char_h / 6) or not 0.6 <= w / h <= 1.6 or gray is None or gray.shape != blob.shape:
        return False
    cy, cx = h // 2, w // 2
    centre = float(gray[cy - 1:cy + 2, cx - 1:cx + 2].max())  # the hole: its lightest pixel near the middle
    stroke = float(np.percentile(gray[blob], 25))
    return centre - stroke >= 50


def _drop_specks(ink: np.ndarray, char_h: float, gray: np.ndarray | None = None
                 ) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """The ink without isolated specks (dust, toner dots), and the specks' boxes.

    A speck is a blob smaller than a third of a character with no other ink within a character's width along
    the line: a decimal point, a comma or the dot of 。 sits beside its characters and stays. Left in, a speck
    widens a text line's box and the recogniser reads it as `.`, `，` or `·` at the end of a label.
    """
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    size = max(2, int(char_h / 3))
    small = [i for i in range(1, n) if stats[i, 2] <= size and stats[i, 3] <= size]
    if not small:
        return ink, []
    small_mask = np.isin(labels, small)
    big = np.where(small_mask, 0, ink).astype(np.uint8)
    # Full-width punctuation sits alone in a wide em box (a comma can be most of a character from its
    # neighbour), so "near" reaches a character's width along the line and half of one across it.
    near = cv2.dilate(big, np.ones((max(3, int(char_h / 2)) * 2 + 1, max(3, int(char_h)) * 2 + 1), np.uint8))
    clean = ink.copy()
    boxes = []
    for i in small:
        x, y, w, h = (int(v) for v in stats[i, :4])
        if not near[y:y + h, x:x + w].any() and not _ring(
                labels[y:y + h, x:x + w] == i, gray[y:y + h, x:x + w] if gray is not None else None, char_h):
            box = clean[y:y + h, x:x + w]
            box[labels[y:y + h, x:x + w] == i] = 0  # only this blob's pixels, not its neighbours'
            boxes.append((x, y, x + w, y + h))
    return clean, boxes


def _char_height(ink: np.ndarray, boxes: list[tuple[int, int, int, int]], floor: float) -> float:
    """Typical text-line height: the median of the cells' ink bands that are dense enough to be text."""
    heights = []
    for x0, y0, x1, y1 in boxes:
        region = ink[y0:y1, x0:x1]
        if region.size and np.count_nonzero(region) >= 20:
            profile = np.count_nonzero(region, axis=1)
            for a, b in _bands(profile, min_ink=2, merge_gap=2):
                if b - a >= floor * 0.5 and profile[a:b].sum() >= 3 * (b - a):
                    heights.append(b - a)
    return max(floor, float(np.median(heights))) if len(heights) >= 5 else floor * 1.5


def _pad(box: tuple[int, int, int, int], pad: int, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = box
    return max(0, x0 - pad), max(0, y0 - pad), min(shape[1], x1 + pad), min(shape[0], y1 + pad)


def _lines_to_glyphs(lines: list[OcrLine], dx: float = 0.0, dy: float = 0.0) -> list[Glyph]:
    glyphs = []
    for line in lines:
        text = drop_speck_readings(line.text)
        if text.strip():
            x0, y0, x1, y1 = line.bbox
            glyphs.append(Glyph(text, (x0 + dx, y0 + dy, x1 + dx, y1 + dy), line.confidence))
    return glyphs


def _cleaned(reading: Reading, image: np.ndarray, min_confidence: float, em: float,
             bilevel: bool | None = None) -> Reading:
    """A crop's reading with its comparison sign decided by shape and speck dots dropped (kept as doubts)."""
    # A lone comparison sign is the recogniser's weak spot (≥ read as 2): its shape decides between look-alikes.
    checked = leading_sign_checked(sign_checked(reading.text, image, em, reading.min_prob() < 0.9, bilevel),
                                   image, bilevel, em)
    checked = slash_checked(checked, image)  # a cell's `/` ("nothing here") is read as 1 at scan resolutions
    if checked != reading.text:  # the shape is the evidence now; an empty or doubtful reading no longer drops it
        # The shape is certain only where the recogniser also had the sign among its candidates.
        offered = {a for c in reading.chars for a, _ in c.alternatives} | {g.char for g in reading.gaps}
        signs = set(checked) - set(reading.text)
        prob = SHAPE_PROB if signs and signs <= offered else SHAPE_ALONE
        reading = replace(reading.edited(checked, "sign_shape", prob=prob),
                          confidence=max(reading.confidence, min_confidence))
    return _specks_dropped(reading)


def _specks_dropped(reading: Reading, image: np.ndarray | None = None) -> Reading:
    """A reading without the speck dots at its ends (each kept as a doubt)."""
    return reading.edited(drop_speck_readings(reading.text), "speck_dot")


def is_bilevel(gray: np.ndarray) -> bool:
    """True for a page of pure black and white (a 1-bit scan, a fax): no grey level between them.

    A clean anti-aliased rendering is 93-97 % pure black and white (its text edges are grey), a 1-bit page 100 %.
    """
    counts = np.bincount(gray.ravel(), minlength=256)
    return int(counts[0] + counts[255]) >= 0.995 * gray.size


def read_raster(gray: np.ndarray, number: int, engine: OcrEngine, scale: float, min_confidence: float = 0.3,
                bilevel: bool | None = None, orient: bool = True) -> PageLayout:
    """A grey page image read into a PageLayout in page units (`scale` = page units per pixel).

    `bilevel` says the page came from a 1-bit image (None: judged from its pixels); `orient` turns a page scanned
    sideways or upside down before it is read (its boxes are then in the upright page's units).
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if min(gray.shape[:2]) < MIN_PAGE_SIDE:
        # A strip a few pixels across holds no line of text (and the detector cannot scale it).
        return PageLayout(number=number, width=gray.shape[1] * scale, height=gray.shape[0] * scale,
                          kind=SourceKind.OCR, notes=[f"{gray.shape[1]}×{gray.shape[0]} pixels: too small to hold text"])
    notes: list[str] = []
    # A 3×3 median removes scanner speckle (JPEG and sensor noise) that would otherwise read as ink; it is used to
    # find ink and lines only: the recogniser reads the unblurred page, whose thin strokes (率, 满) the median erodes.
    # A 1-bit page has no such noise, and there a ruling or a bar of `=` may be one pixel thick: the median would
    # erase it (the whole table vanished on 200 dpi G4 scans), so it is left out; lone specks go in _drop_specks.
    sharp = gray
    if bilevel is None:
        bilevel = is_bilevel(gray)
    if bilevel:
        notes.append("1-bit page: no median")
    else:
        gray = cv2.medianBlur(gray, 3)
    if orient:
        found = page_orientation(gray, classifier_for(engine))
        timings["orient"] = found.seconds
        if found.turn:
            gray, sharp = turn(gray, found.turn), turn(sharp, found.turn)
            notes.append(found.note())
    t0 = time.perf_counter()
    angle = skew_angle(gray)
    if abs(angle) > 0.05:
        gray = rotate(gray, angle)
        sharp = rotate(sharp, angle)
        notes.append(f"deskewed by {angle:.2f}°")
    segments, ink = segments_from_raster(gray)
    tol = max(4.0, gray.shape[1] / 250)
    tables = find_tables(segments, tol=tol)
    timings["lines"] = time.perf_counter() - t0
    page = PageLayout(number=number, width=gray.shape[1] * scale, height=gray.shape[0] * scale, kind=SourceKind.OCR,
                      notes=notes)
    if not tables:
        t1 = time.perf_counter()
        glyphs = _lines_to_glyphs([ln for ln in engine.read(gray) if ln.confidence >= min_confidence])
        lines = text_lines(glyphs)
        table = cluster_table(lines)
        if table is not None:
            page.tables = [table]
            page.notes.append("no ruling lines: columns clustered from text positions")
        else:
            page.free_lines = lines
        timings["ocr"] = time.perf_counter() - t1
        _scale_page(page, scale)
        page.notes.append(_fmt(timings))
        return page

    boxes: list[tuple[int, int, tuple[int, int, int, int]]] = []
    inset = max(2, int(tol / 2))
    for ti, table in enumerate(tables):
        for ci, cell in enumerate(table.cells):
            x0, y0, x1, y1 = (int(round(v)) for v in cell.bbox)
            if x1 - x0 > 2 * inset and y1 - y0 > 2 * inset:
                boxes.append((ti, ci, (x0 + inset, y0 + inset, x1 - inset, y1 - inset)))
    # Typical character height, from the cells' ink bands, decides what is a speck, a dash and a line gap.
    # Printed text is at least ~7 pt: on an A4-wide page that is a 110th of the width.
    char_h = _char_height(ink, [b for _, _, b in boxes], floor=max(6.0, gray.shape[1] / 110))
    ink, specks = _drop_specks(ink, char_h, sharp)
    if specks:
        sharp = sharp.copy()  # the caller's image stays as it was
        for x0, y0, x1, y1 in specks:
            sharp[max(0, y0 - 2):y1 + 2, max(0, x0 - 2):x1 + 2] = 255
    crops: list[_Crop] = []
    dashes: set[tuple[int, int]] = set()
    for ti, ci, box in boxes:
        for line, dash in _cell_lines(ink, box, char_h):
            if dash:
                dashes.add((ti, ci))
            else:
                crops.append(_Crop(ci, ti, line))
    top = int(min(t.ys[0] for t in tables))
    bottom = int(max(t.ys[-1] for t in tables))
    left, right = int(min(t.xs[0] for t in tables)), int(max(t.xs[-1] for t in tables))
    strips = [(0, top - 2), (bottom + 2, gray.shape[0])]
    strips += [(int(a.ys[-1]) + 2, int(b.ys[0]) - 2) for a, b in zip(tables, tables[1:], strict=False)]
    free_ink = _without_seals(ink, gray, strips, char_h)
    for y0, y1 in strips:
        if y1 - y0 >= char_h:
            crops += [_Crop(-1, -1, line) for line in _strip_lines(free_ink, y0, y1, left, right, char_h)]
    t1 = time.perf_counter()
    pad = max(3, int(char_h * 0.25))
    images = [sharp[b[1]:b[3], b[0]:b[2]] for b in (_pad(c.bbox, pad, gray.shape) for c in crops)]
    post = partial(_cleaned, min_confidence=min_confidence, em=char_h, bilevel=bilevel or None)
    readings = [post(r, image) for r, image in zip(engine.recognize(images) if images else [], images, strict=True)]
    timings["recognize"] = time.perf_counter() - t1
    t3 = time.perf_counter()
    # The second look is the recogniser's alone: re-applying the shape rules would make it agree by construction.
    seconds = second_readings(engine, images, readings, _specks_dropped)
    timings["reread"] = time.perf_counter() - t3
    t2 = time.perf_counter()
    per_cell: dict[tuple[int, int], list[tuple[Glyph, Reading, Reading | None]]] = {}
    inked: set[tuple[int, int]] = set()
    outside: list[Glyph] = []
    for k, (crop, reading) in enumerate(zip(crops, readings, strict=True)):
        if crop.cell >= 0:
            inked.add((crop.table, crop.cell))
        if not reading.text.strip() or reading.confidence < min_confidence:
            continue
        if crop.cell < 0 and reading.confidence < 0.75 and reading.min_prob() < 0.5:
            continue  # outside the table, noise reads as a line of guesses (a shaded corner, a smudge, a seal)
        glyph = Glyph(reading.text, tuple(float(v) for v in crop.bbox), reading.min_prob(),  # type: ignore[arg-type]
                      doubts_of(reading))
        if crop.cell < 0:
            outside.append(glyph)
        else:
            per_cell.setdefault((crop.table, crop.cell), []).append((glyph, reading, seconds.get(k)))
    for ti, ci in dashes:
        per_cell.setdefault((ti, ci), [(Glyph(DASH, tables[ti].cells[ci].bbox, 1.0), Reading(DASH, 1.0), None)])
    for (ti, ci), members in per_cell.items():
        members.sort(key=lambda m: m[0].bbox[1])
        cell = tables[ti].cells[ci]
        joined = join_readings([r for _, r, _ in members])
        quoted = joined.edited(pair_quotes(joined.text), "paired_quotes")
        # A speck on a line of its own (`•` under a wrapped sentence) joins the cell's text only here.
        quoted = _specks_dropped(quoted)
        cell.text = quoted.text
        cell.confidence = min(g.confidence or 0.0 for g, _, _ in members)
        cell.doubts = doubts_of(quoted) if quoted.detailed else []
        reread = [second for _, _, second in members if second is not None]
        if reread:
            other = pair_quotes("".join((second or r).text for _, r, second in members))
            cell.agreed = other == cell.text
            cell.second = None if cell.agreed else other
    for key in inked - per_cell.keys():
        tables[key[0]].cells[key[1]].unread = True
    timings["assign"] = time.perf_counter() - t2
    page.tables = tables
    page.free_lines = text_lines(outside)
    _scale_page(page, scale)
    page.notes.append(_fmt(timings))
    return page


def _fmt(timings: dict[str, float]) -> str:
    return "timings " + " ".join(f"{k}={v:.3f}s" for k, v in timings.items())


def _scale_page(page: PageLayout, scale: float) -> None:
    if scale == 1.0:
        return

    def s(b: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        return (b[0] * scale, b[1] * scale, b[2] * scale, b[3] * scale)

    for table in page.tables:
        table.xs = [x * scale for x in table.xs]
        table.ys = [y * scale for y in table.ys]
        for cell in table.cells:
            cell.bbox = s(cell.bbox)
    for line in page.free_lines:
        for g in line:
            g.bbox = s(g.bbox)

