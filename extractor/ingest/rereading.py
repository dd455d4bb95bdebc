"""Second readings: a text line the recogniser was unsure of is read again from a different look at its ink.

Only doubtful lines are read twice (the scan-trust issue caps the extra CPU at 15 %). The second look changes
what a misreading depends on, not the ink: the crop is binarised by Otsu's threshold and scaled up, so JPEG
ringing, uneven light and a blurred stroke count differently. Two readings that agree make the line certain;
two that differ leave both for the checker to judge (`Cell.second`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import cv2
import numpy as np

from extractor.ocr.base import OcrEngine
from extractor.ocr.reading import Reading

# A line is read again when one of its characters is below this probability, or a character it nearly read
# (a comma, a 。 dropped) is above GAP_SECOND.
SECOND_BELOW = 0.90
GAP_SECOND = 0.15
_V4: OcrEngine | None = None


def uncertain(reading: Reading) -> bool:
    """True when the reading holds a character worth a second look."""
    if not reading.text.strip():
        return False
    if not reading.detailed:
        return reading.confidence < SECOND_BELOW
    return any(c.prob < SECOND_BELOW for c in reading.chars) or any(g.prob >= GAP_SECOND for g in reading.gaps)


def second_look(crop: np.ndarray) -> np.ndarray:
    """The same ink seen differently: contrast stretched, binarised, drawn larger with smooth edges."""
    variant = os.environ.get("EXTRACTOR_REREAD_VARIANT", "otsu2x")
    gray = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    if variant == "clahe":
        return cv2.createCLAHE(clipLimit=2.0, tileGridSize=(4, 4)).apply(gray)
    if variant == "up2x":
        return cv2.resize(gray, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
    big = cv2.resize(gray, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
    _, binary = cv2.threshold(big, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return cv2.GaussianBlur(binary, (3, 3), 0)


def second_readings(engine: OcrEngine, images: Sequence[np.ndarray], readings: Sequence[Reading],
                    post: Callable[[Reading, np.ndarray], Reading] | None = None) -> dict[int, Reading]:
    """Index → second reading, for the uncertain readings only (`post`: the same clean-up the first had)."""
    todo = [k for k, r in enumerate(readings) if uncertain(r) and images[k].size]
    if not todo:
        return {}
    if os.environ.get("EXTRACTOR_REREAD_VARIANT") == "v4":
        from extractor.ocr.rapid import RapidEngine

        global _V4
        if _V4 is None:
            _V4 = RapidEngine("v4")
        again = _V4.recognize([images[k] for k in todo])
        return {k: post(r, images[k]) if post else r for k, r in zip(todo, again, strict=True)}
    looks = [second_look(images[k]) for k in todo]
    again = engine.recognize(looks)
    return {k: post(r, images[k]) if post else r for k, r in zip(todo, again, strict=True)}
