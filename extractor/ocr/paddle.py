"""PaddleOCR as an optional engine: only with models already on disk (it never downloads at run time here)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from extractor.errors import ConfigurationError
from extractor.ocr.base import OcrLine, uniform_reading
from extractor.ocr.reading import Reading

HOW_TO = ("install the extra (pip install 'perf-form-extractor[paddle]') and put PaddleOCR inference models in a "
          "folder with det/ and rec/ sub-folders (e.g. PP-OCRv5_mobile_det and PP-OCRv5_mobile_rec, each with "
          "inference.json/.pdmodel, inference.pdiparams and inference.yml), then set EXTRACTOR_PADDLE_MODEL_DIR")


def _model_dirs(model_dir: Path | None) -> tuple[Path, Path]:
    if model_dir is None:
        raise ConfigurationError(f"OCR engine paddle needs local models: {HOW_TO}")
    det, rec = Path(model_dir) / "det", Path(model_dir) / "rec"
    for d in (det, rec):
        if not d.is_dir() or not any(d.glob("inference.*")):
            raise ConfigurationError(f"PaddleOCR models missing in {d}: {HOW_TO}", path=str(d))
    return det, rec


class PaddleEngine:
    """PaddleOCR 3.x pipeline pointed at local model folders (no hub access)."""

    def __init__(self, model_dir: Path | None) -> None:
        det, rec = _model_dirs(model_dir)
        # Model-hub checks would reach the network; the folders are given explicitly instead.
        os.environ.setdefault("PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK", "True")
        try:
            from paddleocr import PaddleOCR, TextRecognition
        except ImportError as exc:
            raise ConfigurationError(f"OCR engine paddle is not installed: {HOW_TO}") from exc
        self._ocr: Any = PaddleOCR(text_detection_model_dir=str(det), text_recognition_model_dir=str(rec),
                                   use_doc_orientation_classify=False, use_doc_unwarping=False,
                                   use_textline_orientation=False)
        self._rec: Any = TextRecognition(model_dir=str(rec))
        self.name = "paddle"

    def recognize(self, crops: Sequence[np.ndarray]) -> list[Reading]:
        """Recognition only, on single-line crops."""
        images = [np.repeat(c[:, :, None], 3, axis=2) if c.ndim == 2 else c for c in crops]
        out = []
        for res in self._rec.predict(images, batch_size=8):
            out.append(uniform_reading(str(res["rec_text"]), float(res["rec_score"])))
        return out

    def read(self, image: np.ndarray) -> list[OcrLine]:
        """Detection + recognition over an image."""
        rgb = np.repeat(image[:, :, None], 3, axis=2) if image.ndim == 2 else image
        lines = []
        for res in self._ocr.predict(rgb):
            for box, text, score in zip(res["rec_boxes"], res["rec_texts"], res["rec_scores"], strict=False):
                x0, y0, x1, y1 = (float(v) for v in box)
                lines.append(OcrLine(str(text), (x0, y0, x1, y1), float(score)))
        return lines
