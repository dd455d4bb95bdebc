"""Tesseract (Debian `tesseract-ocr` + `tesseract-ocr-chi-sim`) behind the engine protocol, for comparison."""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from typing import Any

import numpy as np

from extractor.errors import ConfigurationError
from extractor.ocr.base import OcrLine, uniform_reading
from extractor.ocr.reading import Reading

_LINE_H = 48  # crops are scaled to this height: Tesseract reads best with ~30 px glyphs
_GAP = 24
_CJK_GAP = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])\s+(?=[\u3000-\u9fff\uff00-\uffef])")


class TesseractEngine:
    """One `tesseract` process per page: line crops are stacked into a single image and read together."""

    def __init__(self, lang: str = "chi_sim", cmd: str | None = None) -> None:
        try:
            import pytesseract
        except ImportError as exc:
            raise ConfigurationError("OCR engine tesseract needs `pip install pytesseract`") from exc
        # pytesseract keeps the program path in a module global: resolve and check ours first, and only ever
        # set the global to a program that exists (a bad path would break every other engine in the process).
        program = shutil.which(cmd or "tesseract")
        if program is None:
            raise ConfigurationError(
                "OCR engine tesseract: the `tesseract` program is not installed "
                "(Debian: apt-get install tesseract-ocr tesseract-ocr-chi-sim)", program=cmd or "tesseract")
        self.cmd = program
        pytesseract.pytesseract.tesseract_cmd = program
        try:
            pytesseract.get_tesseract_version()
            languages = set(pytesseract.get_languages(config=""))
        except (pytesseract.TesseractNotFoundError, OSError) as exc:
            raise ConfigurationError(
                "OCR engine tesseract: the `tesseract` program is not installed "
                "(Debian: apt-get install tesseract-ocr tesseract-ocr-chi-sim)") from exc
        missing = [part for part in lang.split("+") if part not in languages]
        if missing:
            raise ConfigurationError(f"Tesseract has no language data for {', '.join(missing)} "
                                     f"(Debian: apt-get install tesseract-ocr-chi-sim)", installed=sorted(languages))
        self._tess = pytesseract
        self.lang = lang
        self.name = f"tesseract-{lang}"

    def _data(self, image: np.ndarray, psm: int) -> dict[str, list[Any]]:
        self._tess.pytesseract.tesseract_cmd = self.cmd  # the global, as this engine resolved it
        return self._tess.image_to_data(image, lang=self.lang, config=f"--psm {psm}",
                                        output_type=self._tess.Output.DICT)

    def recognize(self, crops: Sequence[np.ndarray]) -> list[Reading]:
        """Recognise single-line crops: stacked one under another, read once, words mapped back by position."""
        import cv2

        if not crops:
            return []
        scaled = [cv2.resize(c, (max(1, round(c.shape[1] * _LINE_H / max(1, c.shape[0]))), _LINE_H),
                             interpolation=cv2.INTER_CUBIC) for c in crops]
        width = max(s.shape[1] for s in scaled) + 2 * _GAP
        canvas = np.full((len(scaled) * (_LINE_H + _GAP) + _GAP, width), 255, dtype=np.uint8)
        for i, s in enumerate(scaled):
            y = _GAP + i * (_LINE_H + _GAP)
            canvas[y:y + _LINE_H, _GAP:_GAP + s.shape[1]] = s
        data = self._data(canvas, psm=6)
        words: list[list[tuple[int, str, float]]] = [[] for _ in crops]
        for text, conf, left, top, height in zip(data["text"], data["conf"], data["left"], data["top"], data["height"],
                                                 strict=True):
            if not str(text).strip():
                continue
            i = int((top + height / 2 - _GAP / 2) // (_LINE_H + _GAP))
            if 0 <= i < len(crops):
                words[i].append((left, str(text), float(conf)))
        out = []
        for ws in words:
            ws.sort()
            text = _CJK_GAP.sub("", " ".join(w for _, w, _ in ws))
            confs = [c for _, _, c in ws if c >= 0]
            out.append(uniform_reading(text, min(confs) / 100 if confs else 0.0))
        return out

    def read(self, image: np.ndarray) -> list[OcrLine]:
        """Every line of an image, with boxes (Tesseract's own layout analysis)."""
        data = self._data(image, psm=4)
        lines: dict[tuple[int, int, int], list[int]] = {}
        for i, text in enumerate(data["text"]):
            if str(text).strip():
                lines.setdefault((data["block_num"][i], data["par_num"][i], data["line_num"][i]), []).append(i)
        out = []
        for idx in lines.values():
            # Keep words apart when far apart: they may sit in different columns of a lineless table.
            group: list[int] = []
            for i in sorted(idx, key=lambda i: data["left"][i]):
                if group and data["left"][i] - (data["left"][group[-1]] + data["width"][group[-1]]) > data["height"][i] * 1.2:
                    out.append(_line(data, group))
                    group = []
                group.append(i)
            if group:
                out.append(_line(data, group))
        return out


def _line(data: dict[str, list[Any]], idx: list[int]) -> OcrLine:
    x0 = min(data["left"][i] for i in idx)
    y0 = min(data["top"][i] for i in idx)
    x1 = max(data["left"][i] + data["width"][i] for i in idx)
    y1 = max(data["top"][i] + data["height"][i] for i in idx)
    text = _CJK_GAP.sub("", " ".join(str(data["text"][i]) for i in idx))
    confs = [float(data["conf"][i]) for i in idx if float(data["conf"][i]) >= 0]
    return OcrLine(text, (float(x0), float(y0), float(x1), float(y1)), min(confs) / 100 if confs else 0.0)
