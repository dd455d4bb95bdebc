"""RapidOCR (PaddleOCR models on onnxruntime, shipped inside the wheel): the default engine, fully offline."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from extractor.errors import ConfigurationError
from extractor.ocr.base import OcrLine, aspect_batches
from extractor.ocr.reading import Reading, ctc_readings

log = logging.getLogger(__name__)

REC_HEIGHT = 48
# A crop narrower than this (in units of its height) is padded: CTC needs room for a few time steps.
MIN_RATIO = 2.0


class RapidEngine:
    """PP-OCRv6 small through `rapidocr` 3.x (default) or PP-OCRv4 through `rapidocr-onnxruntime` 1.4."""

    def __init__(self, models: str = "v6", batch: int = 8, threads: int = 0) -> None:
        self.models = models
        self.batch = batch
        self.threads = threads
        self.name = f"rapid-{models}"
        self._ocr, model_path, self._characters = self._load(models)
        self._rec_session = _session(model_path, threads)

    @staticmethod
    def _load(models: str) -> tuple[Any, Path, list[str]]:
        if models == "v4":
            try:
                import rapidocr_onnxruntime
                from rapidocr_onnxruntime import RapidOCR
            except ImportError as exc:
                raise ConfigurationError("OCR engine rapid (v4) needs `pip install rapidocr-onnxruntime`") from exc
            ocr = RapidOCR(print_verbose=False)
            rec = ocr.text_rec
            path = Path(rapidocr_onnxruntime.__file__).parent / "models" / "ch_PP-OCRv4_rec_infer.onnx"
            return ocr, path, list(rec.postprocess_op.character)
        if models == "v6":
            try:
                import rapidocr
                from rapidocr import RapidOCR as RapidOCR3
            except ImportError as exc:
                raise ConfigurationError("OCR engine rapid (v6) needs `pip install rapidocr`") from exc
            ocr = RapidOCR3(params={"Global.log_level": "error"})
            ocr._load_rec_model()
            rec = ocr.text_rec
            path = Path(rapidocr.__file__).parent / "models" / "PP-OCRv6_rec_small.onnx"
            return ocr, path, list(rec.postprocess_op.character)
        raise ConfigurationError(f"unknown RapidOCR model set {models!r} (v4 or v6)", models=models)

    def recognize(self, crops: Sequence[np.ndarray]) -> list[Reading]:
        """Recognise single-line crops in batches of similar width (no detection, no angle classifier)."""
        results: list[Reading] = [Reading("", 0.0)] * len(crops)
        ratios = [max(MIN_RATIO, c.shape[1] / max(1, c.shape[0])) for c in crops]
        for batch in aspect_batches(ratios, self.batch):
            width = math.ceil(REC_HEIGHT * max(ratios[i] for i in batch))
            tensor = np.stack([_normalise(crops[i], width) for i in batch])
            for i, reading in zip(batch, ctc_readings(self._rec_session(tensor), self._characters), strict=True):
                results[i] = reading
        return results

    def read(self, image: np.ndarray) -> list[OcrLine]:
        """Detection + recognition over a whole grey image."""
        rgb = np.repeat(image[:, :, None], 3, axis=2) if image.ndim == 2 else image
        lines: list[OcrLine] = []
        if min(image.shape[:2]) < 8:
            return lines  # the detector scales a sliver like this to zero pixels (ResizeImgError)
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


def _session(model: Path, threads: int) -> Callable[[np.ndarray], np.ndarray]:
    """Our own onnxruntime session for the recogniser: no spin-waiting threads.

    With spinning (onnxruntime's default) a shared 2-core machine spent twice the CPU and three times the wall
    time on the same crops: idle worker threads spin while other processes want the cores.
    """
    import onnxruntime as ort

    if not model.is_file():
        raise ConfigurationError(f"the recognition model {model} is missing from its package", path=str(model))
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads if threads > 0 else min(4, os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda batch: session.run(None, {name: batch})[0]


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
