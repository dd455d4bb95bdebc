"""The OCR engine protocol: recognise text-line crops in batches, or read a whole image (detect + recognise)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from extractor.layout import BBox
from extractor.ocr.reading import CharReading, Reading


@dataclass(frozen=True)
class OcrLine:
    """A recognised piece of text: its string, box in image pixels, and confidence (0–1)."""

    text: str
    bbox: BBox
    confidence: float


@runtime_checkable
class OcrEngine(Protocol):
    """What the page reader needs from an OCR engine; engines are built once per process."""

    name: str

    def recognize(self, crops: Sequence[np.ndarray]) -> list[Reading]:
        """The reading of each single-line grey crop (recognition only, no detection)."""
        ...

    def read(self, image: np.ndarray) -> list[OcrLine]:
        """Every text line of a grey image: detection and recognition."""
        ...


def aspect_batches(widths: Sequence[float], max_batch: int, spread: float = 1.35) -> list[list[int]]:
    """Indices grouped by similar aspect ratio: a batch pads to its widest member, so keep them alike."""
    order = sorted(range(len(widths)), key=lambda i: widths[i])
    batches: list[list[int]] = []
    for i in order:
        if batches and len(batches[-1]) < max_batch and widths[i] <= widths[batches[-1][0]] * spread + 0.5:
            batches[-1].append(i)
        else:
            batches.append([i])
    return batches


# What a dust speck reads as. Chinese text puts none of these at either end of a line next to a Chinese
# character: its full stop is 。, and the middle dot of a transliterated name sits between characters.
_SPECK_READINGS = ".·`'•"


def _is_cjk(ch: str) -> bool:
    # Chinese punctuation counts: a `.` after a 。 is a speck as surely as one after a character.
    return unicodedata.category(ch) == "Lo" or ch in "。，、；：！？）」』”"


# A number holds one decimal point; a second one at its start or end is a speck (`.8.00`, `≥.98.00%`,
# `87.42%.`, `=90.00(%)·`), and so is a dot before a comparison sign (`.>98.00(%)`).
_DOT_BEFORE_NUMBER = re.compile(r"^([=<>≥≤]*)[.·](?=\d+\.\d)|^()[.·]+(?=[=<>≥≤]+\d)")
_DOT_AFTER_NUMBER = re.compile(r"(?<=\d\.\d)(\d*(?:%|\(%\)|（%）)?)[.·•]+$|(?<=[%)）])[.·•]+$")


def drop_speck_readings(text: str) -> str:
    """A recognised line without a speck read as `.`, `·` or a tick at an end where it touches a Chinese character,
    or as a second decimal point at either end of a number."""
    text = _DOT_BEFORE_NUMBER.sub(lambda m: m.group(1) or "", text)
    text = _DOT_AFTER_NUMBER.sub(lambda m: m.group(1) or "", text)
    while len(text) >= 2 and ((text[-1] in _SPECK_READINGS and _is_cjk(text[-2]))
                              or (text[-1] in "：:" and text[-2] in "。；！？")):
        text = text[:-1]  # no sentence goes on with a colon after its full stop: two specks read as `：`
    while len(text) >= 2 and text[0] in _SPECK_READINGS and _is_cjk(text[1]):
        text = text[1:]
    return text


def pair_quotes(text: str) -> str:
    """Curly double quotes set alternately opening and closing, when they pair up.

    The recogniser tells “ from ” by a few pixels and often gets it wrong; Chinese text always opens before it
    closes, so an even number of them can only be “…”“…”. An odd count is left alone (a quote may continue
    from another cell or be a misreading of something else).
    """
    marks = [i for i, ch in enumerate(text) if ch in "“”"]
    if not marks or len(marks) % 2:
        return text
    chars = list(text)
    for k, i in enumerate(marks):
        chars[i] = "“" if k % 2 == 0 else "”"
    return "".join(chars)


def uniform_reading(text: str, confidence: float) -> Reading:
    """A reading from an engine without per-character scores: every character gets the line's confidence."""
    return Reading(text, confidence, tuple(CharReading(ch, confidence) for ch in text))
