"""Ruling lines of a page: from a PDF's vector drawings, or from a raster by morphology (with deskew)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Segment:
    """A horizontal (pos = y, span in x) or vertical (pos = x, span in y) ruling line."""

    horizontal: bool
    pos: float
    start: float
    end: float

    @property
    def length(self) -> float:
        """Extent along the line."""
        return self.end - self.start


def _rect_edges(x0: float, y0: float, x1: float, y1: float, thin: float) -> list[Segment]:
    w, h = x1 - x0, y1 - y0
    if h <= thin and w > thin:
        return [Segment(True, (y0 + y1) / 2, x0, x1)]
    if w <= thin and h > thin:
        return [Segment(False, (x0 + x1) / 2, y0, y1)]
    if w <= thin and h <= thin:
        return []
    return [Segment(True, y0, x0, x1), Segment(True, y1, x0, x1), Segment(False, x0, y0, y1),
            Segment(False, x1, y0, y1)]


def segments_from_drawings(drawings: Iterable[dict[str, Any]], thin: float = 3.0) -> list[Segment]:
    """Axis-parallel lines of pymupdf `page.get_drawings()`: strokes, thin filled bars, stroked rectangles."""
    found: list[Segment] = []
    for path in drawings:
        stroked = "s" in (path.get("type") or "")
        for item in path.get("items", []):
            op = item[0]
            if op == "l":
                p, q = item[1], item[2]
                if abs(p.y - q.y) < 1.0 and abs(p.x - q.x) > thin:
                    found.append(Segment(True, (p.y + q.y) / 2, min(p.x, q.x), max(p.x, q.x)))
                elif abs(p.x - q.x) < 1.0 and abs(p.y - q.y) > thin:
                    found.append(Segment(False, (p.x + q.x) / 2, min(p.y, q.y), max(p.y, q.y)))
            elif op in ("re", "qu"):
                r = item[1].rect if op == "qu" else item[1]
                edges = _rect_edges(r.x0, r.y0, r.x1, r.y1, thin)
                # A filled box larger than a bar is shading, not a ruling, unless it is also stroked.
                if len(edges) == 4 and not stroked:
                    continue
                found += edges
    return merge_segments(found, tol=1.5)


def merge_segments(segments: list[Segment], tol: float) -> list[Segment]:
    """Join collinear pieces that touch or overlap (a cell-by-cell drawn line becomes one line)."""
    out: list[Segment] = []
    for horizontal in (True, False):
        group = sorted((s for s in segments if s.horizontal is horizontal), key=lambda s: (s.pos, s.start))
        lanes: list[list[Segment]] = []
        for s in group:
            if lanes and abs(lanes[-1][0].pos - s.pos) <= tol:
                lanes[-1].append(s)
            else:
                lanes.append([s])
        for lane in lanes:
            pos = float(np.median([s.pos for s in lane]))
            pieces = sorted(lane, key=lambda s: s.start)
            cur_start, cur_end = pieces[0].start, pieces[0].end
            for s in pieces[1:]:
                if s.start <= cur_end + tol:
                    cur_end = max(cur_end, s.end)
                else:
                    out.append(Segment(horizontal, pos, cur_start, cur_end))
                    cur_start, cur_end = s.start, s.end
            out.append(Segment(horizontal, pos, cur_start, cur_end))
    return out


def ink_mask(gray: np.ndarray) -> np.ndarray:
    """Dark pixels as 255 on 0: adaptive threshold copes with uneven light across a scan."""
    import cv2

    block = max(15, (min(gray.shape) // 40) | 1)
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 15)


def _line_masks(ink: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    import cv2

    h, w = ink.shape
    # Longer than any glyph (even 一 or —) at this resolution, shorter than the shortest cell edge.
    hk = max(25, int(w * scale))
    vk = max(25, int(h * scale * 0.7))
    horiz = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (hk, 1)))
    vert = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, vk)))
    # Close small breaks (a broken ruling, a JPEG-eaten pixel run) along each direction.
    horiz = cv2.morphologyEx(horiz, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 1)))
    vert = cv2.morphologyEx(vert, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 9)))
    return horiz, vert


def skew_angle(gray: np.ndarray, max_angle: float = 5.0) -> float:
    """The page's rotation in degrees (positive = counter-clockwise), measured on its long horizontal lines."""
    import cv2

    ink = ink_mask(gray)
    h, w = ink.shape
    # A short kernel still catches a line tilted by a few degrees (its pieces stay a pixel or two thick).
    horiz = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(20, w // 60), 1)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(horiz, connectivity=8)
    angles, weights = [], []
    for i in range(1, n):
        x, y, cw, ch, area = stats[i]
        if cw < w * 0.15:
            continue
        ys, xs = np.nonzero(labels[y:y + ch, x:x + cw] == i)
        if len(xs) < 20:
            continue
        slope = np.polyfit(xs.astype(np.float64), ys.astype(np.float64), 1)[0]
        angle = -math.degrees(math.atan(slope))
        if abs(angle) <= max_angle:
            angles.append(angle)
            weights.append(cw)
    if not angles:
        return 0.0
    order = np.argsort(angles)
    cum = np.cumsum(np.asarray(weights)[order])
    return float(np.asarray(angles)[order][np.searchsorted(cum, cum[-1] / 2)])


def rotate(gray: np.ndarray, angle: float) -> np.ndarray:
    """The image rotated by `angle` degrees about its centre, white filling the corners."""
    import cv2

    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), -angle, 1.0)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)


def segments_from_raster(gray: np.ndarray, scale: float = 1 / 45) -> tuple[list[Segment], np.ndarray]:
    """Ruling lines of a deskewed grey page (pixel coordinates), and the ink mask without them."""
    import cv2

    ink = ink_mask(gray)
    horiz, vert = _line_masks(ink, scale)
    found: list[Segment] = []
    for mask, horizontal in ((horiz, True), (vert, False)):
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        for i in range(1, n):
            x, y, cw, ch, _area = stats[i]
            if horizontal and cw >= 3 * ch:
                found.append(Segment(True, y + ch / 2, float(x), float(x + cw)))
            elif not horizontal and ch >= 3 * cw:
                found.append(Segment(False, x + cw / 2, float(y), float(y + ch)))
    # Grow the line masks a little: the fuzzy edges of a scanned line would otherwise read as 'L' or '1'.
    lines_mask = cv2.dilate(cv2.bitwise_or(horiz, vert), np.ones((5, 5), np.uint8))
    text_ink = cv2.bitwise_and(ink, cv2.bitwise_not(lines_mask))
    return merge_segments(found, tol=4.0), text_ink
