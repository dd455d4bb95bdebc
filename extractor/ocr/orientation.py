"""Text-line direction (0° or 180°) by PaddleOCR's line classifier, the ONNX file RapidOCR ships; loaded once."""

from __future__ import annotations

import importlib.util
import math
import os
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

# (package, file) pairs holding PP-OCR's mobile v2 direction classifier: the same network in both wheels.
_MODELS = (("rapidocr", "models/ch_ppocr_mobile_v2.0_cls_mobile.onnx"),
           ("rapidocr_onnxruntime", "models/ch_ppocr_mobile_v2.0_cls_infer.onnx"))
_HEIGHT, _WIDTH = 48, 192  # the classifier's input: 3×48×192, a line crop scaled to 48 px high and padded

_CLASSIFIER: LineClassifier | None = None
_LOADED = False
_LOCK = threading.Lock()


def _model_path() -> Path | None:
    for package, name in _MODELS:
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.origin:
            path = Path(spec.origin).parent / name
            if path.is_file():
                return path
    return None


class LineClassifier:
    """How likely each text-line crop is upside down, from PP-OCR's 0°/180° line classifier."""

    def __init__(self, model: Path, threads: int = 0) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads if threads > 0 else min(4, os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")  # see ocr/rapid.py: shared cores
        self._session = ort.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self._input = self._session.get_inputs()[0].name

    def upside_down(self, crops: Sequence[np.ndarray]) -> list[float]:
        """The probability that each grey single-line crop is turned by 180°."""
        if not crops:
            return []
        batch = np.stack([_normalise(c) for c in crops])
        probs = self._session.run(None, {self._input: batch})[0]
        return [float(p[1]) for p in probs]


def _normalise(crop: np.ndarray) -> np.ndarray:
    """A grey crop as the classifier's 3×48×192 input in [-1, 1], scaled to 48 px high and padded on the right."""
    import cv2

    h, w = crop.shape[:2]
    width = min(_WIDTH, max(1, math.ceil(_HEIGHT * w / max(1, h))))
    resized = cv2.resize(crop, (width, _HEIGHT), interpolation=cv2.INTER_LINEAR).astype(np.float32) / 127.5 - 1.0
    out = np.zeros((3, _HEIGHT, _WIDTH), dtype=np.float32)
    out[:, :, :width] = resized if resized.ndim == 2 else resized.transpose(2, 0, 1)
    return out


def get_line_classifier(threads: int = 0) -> LineClassifier | None:
    """The classifier, loaded on first use and kept for the process; None when no RapidOCR wheel ships it."""
    global _CLASSIFIER, _LOADED
    with _LOCK:
        if not _LOADED:
            path = _model_path()
            _CLASSIFIER = LineClassifier(path, threads) if path is not None else None
            _LOADED = True
    return _CLASSIFIER
