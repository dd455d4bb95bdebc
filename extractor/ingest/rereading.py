"""Second readings: a text line the recogniser was unsure of is read again by a second recogniser.

Only doubtful lines are read twice (the scan-trust issue caps the extra CPU at 15 %). A second reading is worth
something only where its errors are not the first's: the same model on a re-binarised crop agreed with the
first on 38 of the 42 values both got wrong (a cell's `/` read as `1` twice), while RapidOCR's other model
(PP-OCRv4 behind the default PP-OCRv6, both shipped in the `pdf` extra) agreed with a wrong first reading once
in 96 doubtful values (docs/scans.md). For other engines the second look is the same engine on the crop
binarised and drawn twice as large. Two readings that agree make the line certain; two that differ leave both
for the checker to judge (`Cell.second`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import cv2
import numpy as np

from extractor.errors import ConfigurationError
from extractor.ocr.base import OcrEngine
from extractor.ocr.reading import Reading

# A line is read again when one of its characters is below this probability, or a character it nearly read
# (a comma, a 。 dropped) is above GAP_SECOND.
SECOND_BELOW = 0.90
GAP_SECOND = 0.15


def uncertain(reading: Reading) -> bool:
    """True when the reading holds a character worth a second look."""
    if not reading.text.strip():
        return False
    if not reading.detailed:
        return reading.confidence < SECOND_BELOW
    return any(c.prob < SECOND_BELOW for c in reading.chars) or any(g.prob >= GAP_SECOND for g in reading.gaps)


def second_look(crop: np.ndarray) -> np.ndarray:
    """The same ink seen differently: binarised by Otsu's threshold, drawn twice as large with smooth edges."""
    gray = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    big = cv2.resize(gray, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
    _, binary = cv2.threshold(big, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return cv2.GaussianBlur(binary, (3, 3), 0)


_SECONDS: dict[str, OcrEngine] = {}
_LOCK = threading.Lock()


def second_reader(engine: OcrEngine) -> tuple[OcrEngine, bool]:
    """The recogniser for second readings and whether it reads the crop as it is (False: it needs `second_look`)."""
    name = getattr(engine, "name", "")
    if not name.startswith("rapid-"):
        return engine, False
    other = "v4" if name == "rapid-v6" else "v6"
    with _LOCK:
        if other not in _SECONDS:
            from extractor.ocr.rapid import RapidEngine

            try:
                _SECONDS[other] = RapidEngine(other, threads=getattr(engine, "threads", 0))
            except ConfigurationError:  # the other model's package is missing: fall back to a second look
                _SECONDS[other] = engine
        second = _SECONDS[other]
    return second, second is not engine


def second_readings(engine: OcrEngine, images: Sequence[np.ndarray], readings: Sequence[Reading],
                    post: Callable[[Reading, np.ndarray], Reading] | None = None) -> dict[int, Reading]:
    """Index → second reading, for the uncertain readings only (`post`: the same clean-up the first had)."""
    todo = [k for k, r in enumerate(readings) if uncertain(r) and images[k].size]
    if not todo:
        return {}
    reader, as_is = second_reader(engine)
    again = reader.recognize([images[k] if as_is else second_look(images[k]) for k in todo])
    return {k: post(r, images[k]) if post else r for k, r in zip(todo, again, strict=True)}
