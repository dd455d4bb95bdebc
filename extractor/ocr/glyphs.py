"""Comparison signs told by their shape: at scan resolutions the recogniser reads a lone ≥ as 2 or z."""

from __future__ import annotations

import numpy as np

# What the recogniser makes of a lone comparison sign (and the signs themselves, which it also swaps).
LOOKALIKES = frozenset("2zZ≥≤><7")
_BARRED = {">": "≥", "<": "≤"}
# What the recogniser makes of a double bar (═ read as = or 一).
_FLAT_LOOKALIKES = frozenset("=一二")


def _binary(crop: np.ndarray) -> np.ndarray | None:
    """Ink (255) on paper (0) by Otsu's threshold; None for an empty or flat crop."""
    import cv2

    if crop.ndim == 3:
        crop = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    if crop.size == 0 or int(crop.max()) - int(crop.min()) < 40:
        return None
    return cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)[1]


def _ink(crop: np.ndarray) -> np.ndarray | None:
    """The crop's ink as a boolean mask cut to the glyph's box, specks left out; None when there is none."""
    import cv2

    binary = _binary(crop)
    if binary is None:
        return None
    n, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    if n <= 1:
        return None
    biggest = int(stats[1:, 4].max())
    keep = [i for i in range(1, n) if stats[i, 4] >= max(3, biggest * 0.15)]
    if not keep:
        return None  # only specks of one or two pixels: no glyph to judge
    mask = np.isin(labels, keep)
    ys, xs = np.nonzero(mask)
    return mask[ys.min():ys.max() + 1, xs.min():xs.max() + 1]


def _row_span(row: np.ndarray) -> tuple[float, float] | None:
    xs = np.flatnonzero(row)
    return (float(xs[0]), float(xs[-1])) if xs.size else None


def _edges(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Each row's leftmost and rightmost ink as a share of the width; None when a row is blank."""
    w = mask.shape[1]
    spans = [_row_span(row) for row in mask]
    if w < 2 or any(s is None for s in spans):
        return None
    lefts = np.array([s[0] for s in spans]) / (w - 1)  # type: ignore[index]
    rights = np.array([s[1] for s in spans]) / (w - 1)  # type: ignore[index]
    return lefts, rights


def _chevron(mask: np.ndarray) -> str | None:
    """`>` or `<` when the mask is a chevron: both arms start on one side, the apex points to the other."""
    h, w = mask.shape
    if h < 4 or w < 3:
        return None
    if w < 0.45 * h:
        return None  # a `)` is an arc of the same shape, but tall and narrow
    edges = _edges(mask)
    if edges is None:
        return None  # a chevron has ink on every row
    lefts, rights = edges
    # Each row crosses one arm once (a `4` or the arc of a `2` crosses two strokes).
    runs = [int(np.count_nonzero(np.diff(row.astype(np.int8)) == 1)) + int(row[0]) for row in mask]
    if sum(r > 1 for r in runs) > max(1, h // 8):
        return None
    middle = slice(int(h * 0.35), max(int(h * 0.35) + 1, int(round(h * 0.65))))
    # `>`: both arms end flush with the left edge in short strokes (the arc of a `2` or `3` starts inward), the
    # rows in the middle reach the right edge and keep off the left one. `<` is its mirror.
    if lefts[0] <= 0.15 and rights[0] <= 0.45 and lefts[-1] <= 0.15 and rights[-1] <= 0.6 \
            and rights[middle].max() >= 0.85 and lefts[middle].min() >= 0.2:
        return ">"
    if rights[0] >= 0.85 and lefts[0] >= 0.55 and rights[-1] >= 0.85 and lefts[-1] >= 0.4 \
            and lefts[middle].min() <= 0.15 and rights[middle].max() <= 0.8:
        return "<"
    return None


def _slanted_bar(mask: np.ndarray) -> bool:
    """A `>` drawn with a second stroke under its lower arm (⩾, how AR PL UMing and some Song faces print ≥).

    Both arms' ends and the bar's foot sit on the left edge; the apex is in the upper half, and below it each
    row carries two strokes' ink (arm and bar, merged into one thick band at low resolution) against the upper
    arm's one.
    """
    h, w = mask.shape
    if h < 6 or w < 4 or w < 0.45 * h:
        return False
    edges = _edges(mask)
    if edges is None:
        return False
    lefts, rights = edges
    apex = int(np.argmax(rights))
    if not (lefts[0] <= 0.15 and rights[0] <= 0.45 and lefts[-1] <= 0.15 and rights[-1] <= 0.6):
        return False
    if not (0.2 * h <= apex <= 0.5 * h and rights[apex] >= 0.85 and lefts[apex] >= 0.3):
        return False
    ink = mask.sum(axis=1).astype(float)
    upper, lower = ink[:apex], ink[apex + 1:]
    return upper.size > 0 and lower.size > 0 and lower.mean() >= 1.25 * upper.mean()


def _bars(mask: np.ndarray) -> list[tuple[int, int]]:
    """Runs of inked rows (top, bottom+1): an `=` has two, a `一` one."""
    rows = mask.any(axis=1).astype(np.int8)
    edges = np.diff(np.r_[0, rows, 0])
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def equals_sign(crop: np.ndarray, em: float) -> str | None:
    """`═` (a full-width double bar) or `=` when the glyph is two flat bars, told apart by width (`em`: text height).

    Measured on the three print faces and at 130–300 dpi: ═ spans 0.6–1.0 em, = and ﹦ 0.28–0.5 em; both are
    less than 0.35 em tall. A 二 is as wide as ═ but 0.7 em tall.
    """
    mask = _ink(crop)
    if mask is None or em <= 0:
        return None
    h, w = mask.shape
    bars = _bars(mask)
    if len(bars) != 2 or h > 0.4 * em or w < 1.2 * h:  # a narrow `=` (AR PL UMing) is 1.6 h wide
        return None
    # Each bar is flat: its rows span most of the glyph's width.
    for top, bottom in bars:
        if mask[top:bottom].any(axis=0).sum() < 0.8 * w:
            return None
    return "═" if w >= 0.56 * em else "="


def _bilevel(crop: np.ndarray) -> bool:
    """True for a crop of pure black and white (from a 1-bit scan)."""
    return crop.size > 0 and int(np.count_nonzero((crop == 0) | (crop == 255))) == crop.size


def comparison_sign(crop: np.ndarray, bilevel: bool | None = None) -> str | None:
    """`≥`, `≤`, `≧`, `≦`, `>` or `<` when a grey crop holding one glyph shows that sign by its shape, else None.

    A sign with a bar (≥, ≤) is a chevron above a flat bottom stroke that spans the glyph; a `2` also has a flat
    bottom, but its top is an arc across the glyph, not the end of an arm on one side, and a `z` or `7` starts
    with a full-width stroke. A second bar above the first, apart from it, makes ≧ / ≦.

    A 1-bit crop has lost the grey edges the shape tests were made on: a printed `>` at 200 dpi thresholded reads
    as `≥`, a `<` at 150 dpi as `≤`. It is judged twice, smoothed (σ 0.8) and upscaled ×2, and a sign is given only
    when both agree: in three faces at 150/200/300 dpi that is never a wrong sign, and every sign at 300 dpi.
    `bilevel` says the crop comes from a 1-bit page even if scaling gave it grey edges (None: judged by its pixels;
    a 300 dpi G4 page scaled to the reader's size made a `>` pass for `≥`).
    """
    import cv2

    crop = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY) if crop.ndim == 3 else crop
    if bilevel or (bilevel is None and _bilevel(crop)):
        smooth = _shape_sign(cv2.GaussianBlur(crop, (0, 0), 0.8))
        larger = _shape_sign(cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_LINEAR))
        return smooth if smooth == larger else None
    return _shape_sign(crop)


def _shape_sign(crop: np.ndarray) -> str | None:
    mask = _ink(crop)
    if mask is None:
        return None
    h, w = mask.shape
    if h < 5 or w < 4 or w > h * 1.6:
        return None
    spans = [_row_span(row) for row in mask]
    wide = [s is not None and (s[1] - s[0]) >= 0.6 * (w - 1) and mask[i].sum() >= 0.5 * w
            for i, s in enumerate(spans)]
    # The bar: a run of wide rows at the bottom (its last row may be rounded off by blur).
    bottom = h - 1 if wide[h - 1] or not wide[h - 2] else h - 2
    bar_top = bottom + 1
    while bar_top > 0 and wide[bar_top - 1]:
        bar_top -= 1
    bar_rows = h - bar_top
    double = False
    if 0 < bar_rows <= max(2, h * 0.35) and bar_top >= h * 0.5:
        # A blank gap, then a second flat bar: the double-barred ≧ / ≦.
        gap_end = bar_top
        while gap_end > 0 and not mask[gap_end - 1].any():
            gap_end -= 1
        second = gap_end
        while second > 0 and wide[second - 1]:
            second -= 1
        if bar_top - gap_end >= 1 and 0 < gap_end - second <= max(2, h * 0.2) and second >= h * 0.3:
            double, bar_top = True, second
        above = mask[:bar_top]
        rows = np.flatnonzero(above.any(axis=1))
        if rows.size == 0:
            return None
        # The chevron may be separated from the bar by a blank row or touch it; cut at its own last row.
        chevron = above[: rows[-1] + 1]
        cols = np.flatnonzero(chevron.any(axis=0))
        chevron = chevron[:, cols[0]:cols[-1] + 1]
        if chevron.shape[1] < 0.6 * w:
            return None
        sign = _chevron(chevron)
        return ({">": "≧", "<": "≦"} if double else {">": "≥", "<": "≤"}).get(sign or "")
    if _slanted_bar(mask):
        return "≥"
    if _slanted_bar(mask[:, ::-1]):
        return "≤"
    return _chevron(mask)


def sign_checked(text: str, crop: np.ndarray, em: float = 0.0, doubtful: bool = False,
                 bilevel: bool | None = None) -> str:
    """A lone glyph's reading, corrected to the comparison sign its shape shows when the reading is a look-alike.

    Only ever trades a look-alike (`2`, `z`, `7`, an empty reading, any lone reading the recogniser doubted) for a
    sign, a bare `>` for a barred `≥`, or `=` / `一` for the double bar its width shows (═ is full-width): a
    recognised sign is never replaced by a weaker shape guess (a slanted-bar ⩾ can look like a bare `>`).
    """
    reading = text.strip()
    if len(reading) > 1 or crop.size == 0:
        return text
    if crop.shape[1] > crop.shape[0] * 2.2:
        return text  # more than one glyph's width: not a lone sign
    if em > 0 and (not reading or reading in _FLAT_LOOKALIKES):
        flat = equals_sign(crop, em)
        if flat is not None and (flat == "═" or reading in ("", "一")):
            return flat
    if reading and reading not in LOOKALIKES and not (doubtful and reading.isascii() and reading.isalpha()):
        return text
    sign = comparison_sign(crop, bilevel)
    if sign is None or sign == reading:
        return text
    if reading in ("≥", "≤", "≧", "≦") and sign not in ("≧", "≦"):
        return text
    if reading in _BARRED and sign not in (_BARRED[reading], {">": "≧", "<": "≦"}[reading]):
        return text
    return sign


def _first_glyph(crop: np.ndarray) -> np.ndarray | None:
    """The crop cut to its first glyph: the first run of ink columns (a blank column ends it)."""
    binary = _binary(crop)
    if binary is None:
        return None
    cols = np.flatnonzero(binary.any(axis=0))
    if cols.size == 0:
        return None
    gaps = np.flatnonzero(np.diff(cols) > 1)
    if gaps.size == 0:
        return None  # one run: nothing follows the first glyph
    end = int(cols[gaps[0]]) + 1
    return crop[:, max(0, int(cols[0]) - 1):end + 1]


def leading_sign_checked(text: str, crop: np.ndarray, bilevel: bool | None = None, em: float = 0.0) -> str:
    """A line that starts with a number, corrected when its first glyph is a comparison sign the reading lost or
    weakened (`≥5年` read as `5年` or `>5年`, `=95%` read as `95%`: `em`, the text height, lets the two flat
    bars of `=` be told by width); any other line is returned as it is."""
    reading = text.strip()
    if not reading or not (reading[0].isdigit() or (reading[0] in _BARRED and reading[1:2].isdigit())):
        return text
    first = _first_glyph(crop)
    if first is None or first.shape[1] > first.shape[0] * 1.2:
        return text
    if em > 0 and reading[0].isdigit():
        flat = equals_sign(first, em)
        if flat is not None:
            return flat + reading
    sign = comparison_sign(first, bilevel)
    if sign is None:
        return text
    if reading[0] in _BARRED:
        return sign + reading[1:] if sign == _BARRED[reading[0]] else text
    return sign + reading


# What the recogniser makes of a lone slash (a cell printed `/` for "nothing"): 1, l, I, |.
_STROKES = frozenset("1lI|/")


def stroke_slope(crop: np.ndarray) -> float | None:
    """How far a lone stroke leans: the x-shift of its ink per row (`/` ≈ −0.35…−0.5, `1` ≈ 0…0.1)."""
    mask = _ink(crop)
    if mask is None or mask.shape[0] < 6:
        return None
    rows = np.flatnonzero(mask.any(axis=1))
    centres = np.array([np.flatnonzero(mask[r]).mean() for r in rows])
    return float(np.polyfit(rows.astype(float), centres, 1)[0])


def slash_checked(text: str, crop: np.ndarray) -> str:
    """A lone stroke read as `1` (or l, I, |) that leans like a slash is `/`; a `/` that stands upright is `1`.

    Measured on the three print faces at 120–300 dpi, sharp and blurred: `/` leans −0.34…−0.50, `1`, l, I, |
    −0.02…+0.10; between −0.25 and −0.12 the shape decides nothing.
    """
    reading = text.strip()
    if len(reading) != 1 or reading not in _STROKES or crop.size == 0:
        return text
    slope = stroke_slope(crop)
    if slope is None:
        return text
    if slope <= -0.25:
        return "/"
    if slope >= -0.12 and reading == "/":
        return "1"
    return text
