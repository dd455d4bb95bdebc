"""Which way up a scanned page is: 0, 90, 180 or 270°, before it is read.

Two tests, measured on rendered forms turned every way (README "Orientation"):
- *across or down*: text lines run across an upright page. Joining the text ink's pieces along x leaves far fewer
  pieces than joining them along y (about 1 : 4 on a form); on a page turned by 90° it is the other way round.
- *upside down*: PP-OCR's text-line direction classifier (0°/180°) on the page's longest text lines. Without it
  (no RapidOCR wheel installed) the recogniser reads each line both ways and the surer reading wins.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from extractor.ocr.base import OcrEngine
from extractor.tables.lines import ink_mask

# The test runs on a copy of the page at most this long: text lines are plain at ~150 dpi, and at 300 dpi the
# test costs a quarter of what it would on the full page.
TEST_SIDE = 1700
# Joining along one direction must leave at most this share of the pieces joining along the other leaves.
DIRECTION_RATIO = 0.6
LINES = 16  # text lines shown to the classifier (its longest)
MIN_PIECES = 20  # fewer pieces of text ink than this: nothing to judge, the page stays as it is

Classify = Callable[[Sequence[np.ndarray]], list[float]]


@dataclass(frozen=True)
class Orientation:
    """How far to turn a page (degrees counter-clockwise) to make it upright, and the evidence."""

    turn: int
    across: int = 0  # pieces of text ink after joining along x …
    down: int = 0  # … and along y
    lines: int = 0  # line crops shown to the classifier
    upside_down: float | None = None  # their mean probability of being upside down
    seconds: float = 0.0

    def note(self) -> str:
        """A page note saying what was done and why."""
        told = f"{self.lines} lines {self.upside_down:.2f} upside down" if self.upside_down is not None else "no lines"
        return f"turned by {self.turn}° (text pieces across/down {self.across}/{self.down}, {told})"


def turn(gray: np.ndarray, degrees: int) -> np.ndarray:
    """The image turned counter-clockwise by 0, 90, 180 or 270 degrees."""
    codes = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_CLOCKWISE}
    return gray if degrees % 360 == 0 else cv2.rotate(gray, codes[degrees % 360])


def _text_ink(gray: np.ndarray) -> np.ndarray:
    """Dark pixels without the ruling lines (long runs either way): what is left is text."""
    ink = ink_mask(gray)
    h, w = ink.shape
    lines = cv2.bitwise_or(
        cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(25, w // 45), 1))),
        cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(25, h // 45)))))
    return cv2.bitwise_and(ink, cv2.bitwise_not(cv2.dilate(lines, np.ones((5, 5), np.uint8))))


def _char_size(ink: np.ndarray) -> tuple[float, int]:
    """A character's size (pixels) from the text ink's pieces, and how many pieces there are."""
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    sizes = np.maximum(stats[1:, 2], stats[1:, 3])[stats[1:, 4] >= 6]
    if sizes.size == 0:
        return 0.0, 0
    # Radicals and punctuation are pieces too; the upper quartile is a whole character.
    return float(np.percentile(sizes, 75)), int(sizes.size)


def _pieces(ink: np.ndarray, kernel: tuple[int, int]) -> int:
    return int(cv2.connectedComponents(cv2.dilate(ink, np.ones(kernel, np.uint8)), connectivity=8)[0]) - 1


def _line_crops(gray: np.ndarray, ink: np.ndarray, char: float) -> list[np.ndarray]:
    """The page's longest text lines (characters joined along x), as grey crops."""
    k = max(3, int(char * 0.8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(cv2.dilate(ink, np.ones((1, k), np.uint8)), connectivity=8)
    found = []
    for x, y, w, h, _area in stats[1:]:
        if char * 0.6 <= h <= char * 2.5 and w >= 3 * h:
            x0, x1 = x + k // 2, x + w - k // 2  # the dilation widened the line by half a kernel each side
            x1 = min(x1, x0 + 12 * h)  # the first dozen characters are evidence enough, and cheaper
            found.append((w, (max(0, x0 - 3), max(0, y - 3), x1 + 3, y + h + 3)))
    found.sort(key=lambda item: -item[0])
    return [gray[y0:y1, x0:x1] for _, (x0, y0, x1, y1) in found[:LINES]]


def page_orientation(gray: np.ndarray, upside_down: Classify) -> Orientation:
    """How far to turn a grey page to make it upright (0 when the evidence is too thin to say)."""
    started = time.perf_counter()
    side = max(gray.shape)
    small = gray if side <= TEST_SIDE else cv2.resize(
        gray, (max(1, round(gray.shape[1] * TEST_SIDE / side)), max(1, round(gray.shape[0] * TEST_SIDE / side))),
        interpolation=cv2.INTER_AREA)
    ink = _text_ink(small)
    char, pieces = _char_size(ink)
    if pieces < MIN_PIECES or char < 4:
        return Orientation(0, seconds=time.perf_counter() - started)
    k = max(3, int(char * 0.6))
    across, down = _pieces(ink, (1, k)), _pieces(ink, (k, 1))
    base = 90 if down < across * DIRECTION_RATIO else 0
    if base:
        small, ink = turn(small, 90), turn(ink, 90)
    crops = _line_crops(small, ink, char)
    if not crops:
        return Orientation(base, across, down, seconds=time.perf_counter() - started)
    mean = float(np.mean(upside_down(crops)))
    # One or two lines are thin evidence: turn only when the classifier is sure.
    flip = mean > (0.5 if len(crops) >= 3 else 0.9)
    return Orientation((base + (180 if flip else 0)) % 360, across, down, len(crops), mean,
                       time.perf_counter() - started)


def classifier_for(engine: OcrEngine, threads: int = 0) -> Classify:
    """The line classifier when installed, else the engine's recogniser reading each line both ways."""
    from extractor.ocr.orientation import get_line_classifier

    classifier = get_line_classifier(threads)
    if classifier is not None:
        return classifier.upside_down

    def by_reading(crops: Sequence[np.ndarray]) -> list[float]:
        upright = engine.recognize(list(crops))
        turned = engine.recognize([np.ascontiguousarray(c[::-1, ::-1]) for c in crops])
        return [1.0 if b[1] > a[1] else 0.0 for a, b in zip(upright, turned, strict=True)]

    return by_reading
