"""RapidOCR (PaddleOCR models on onnxruntime, shipped inside the wheel): the default engine, fully offline."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from extractor.errors import ConfigurationError
from extractor.ocr.base import OcrLine, aspect_batches

log = logging.getLogger(__name__)

REC_HEIGHT = 48
# A crop narrower than this (in units of its height) is padded: CTC needs room for a few time steps.
MIN_RATIO = 2.0


class RapidEngine:
    """PP-OCRv4 through `rapidocr-onnxruntime` 1.4 (default) or PP-OCRv6 small through `rapidocr` 3.x."""

    def __init__(self, models: str = "v4", batch: int = 8) -> None:
        self.models = models
        self.batch = batch
        self.name = f"rapid-{models}"
        self._ocr, self._rec_session, self._decode = self._load(models)

    @staticmethod
    def _load(models: str) -> tuple[Any, Callable[[np.ndarray], np.ndarray], Callable[..., list[tuple[str, float]]]]:
        if models == "v4":
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError as exc:
                raise ConfigurationError("OCR engine rapid (v4) needs `pip install rapidocr-onnxruntime`") from exc
            ocr = RapidOCR(print_verbose=False)
            rec = ocr.text_rec
            return ocr, lambda batch: rec.session(batch)[0], lambda preds: rec.postprocess_op(preds)
        if models == "v6":
            try:
                from rapidocr import RapidOCR as RapidOCR3
            except ImportError as exc:
                raise ConfigurationError("OCR engine rapid (v6) needs `pip install rapidocr`") from exc
            ocr = RapidOCR3(params={"Global.log_level": "error"})
            ocr._load_rec_model()
            rec = ocr.text_rec
            return ocr, rec.session, lambda preds: rec.postprocess_op(preds)[0]
        raise ConfigurationError(f"unknown RapidOCR model set {models!r} (v4 or v6)", models=models)

    def recognize(self, crops: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        """Recognise single-line crops in batches of similar width (no detection, no angle classifier)."""
        results: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        ratios = [max(MIN_RATIO, c.shape[1] / max(1, c.shape[0])) for c in crops]
        for batch in aspect_batches(ratios, self.batch):
            width = math.ceil(REC_HEIGHT * max(ratios[i] for i in batch))
            tensor = np.stack([_normalise(crops[i], width) for i in batch])
            for i, (text, score) in zip(batch, self._decode(self._rec_session(tensor)), strict=True):
                results[i] = (text, float(score))
        return results

    def read(self, image: np.ndarray) -> list[OcrLine]:
        """Detection + recognition over a whole grey image."""
        rgb = np.repeat(image[:, :, None], 3, axis=2) if image.ndim == 2 else image
        lines: list[OcrLine] = []
        if self.models == "v4":
            result, _ = self._ocr(rgb, use_cls=False)
            for box, text, score in result or []:
                xs, ys = [p[0] for p in box], [p[1] for p in box]
                lines.append(OcrLine(text, (min(xs), min(ys), max(xs), max(ys)), float(score)))
        else:
            out = self._ocr(rgb, use_cls=False)
            for box, text, score in zip(out.boxes if out.boxes is not None else [], out.txts or [], out.scores or [],
                                        strict=False):
                xs, ys = [p[0] for p in box], [p[1] for p in box]
                lines.append(OcrLine(text, (float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys))), float(score)))
        return lines


def _normalise(crop: np.ndarray, width: int) -> np.ndarray:
    """A grey crop resized to the recogniser's height, scaled to [-1, 1], padded on the right to `width`."""
    import cv2

    h, w = crop.shape[:2]
    new_w = min(width, max(1, math.ceil(REC_HEIGHT * w / max(1, h))))
    resized = cv2.resize(crop, (new_w, REC_HEIGHT), interpolation=cv2.INTER_LINEAR if h < REC_HEIGHT else cv2.INTER_AREA)
    if resized.ndim == 2:
        resized = np.repeat(resized[:, :, None], 3, axis=2)
    out = np.zeros((3, REC_HEIGHT, width), dtype=np.float32)
    out[:, :, :new_w] = resized.transpose(2, 0, 1).astype(np.float32) / 127.5 - 1.0
    return out
