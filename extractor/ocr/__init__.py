"""OCR engines behind one protocol; `get_engine` builds the configured one once per process."""

from __future__ import annotations

import threading

from extractor.ocr.base import OcrEngine, OcrLine
from extractor.settings import OcrEngineName, Settings

__all__ = ["OcrEngine", "OcrLine", "get_engine"]

_ENGINES: dict[tuple[str, ...], OcrEngine] = {}
_LOCK = threading.Lock()


def _key(settings: Settings) -> tuple[str, ...]:
    if settings.ocr is OcrEngineName.RAPID:
        return ("rapid", settings.rapid_models)
    if settings.ocr is OcrEngineName.PADDLE:
        return ("paddle", str(settings.paddle_model_dir))
    return (settings.ocr.value, settings.tesseract_lang)


def get_engine(settings: Settings) -> OcrEngine:
    """The engine the settings name, loaded on first use and kept for the process (models load once)."""
    key = _key(settings)
    with _LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _build(settings)
            _ENGINES[key] = engine
    return engine


def _build(settings: Settings) -> OcrEngine:
    if settings.ocr is OcrEngineName.RAPID:
        from extractor.ocr.rapid import RapidEngine

        return RapidEngine(models=settings.rapid_models, threads=settings.ocr_threads)
    if settings.ocr is OcrEngineName.TESSERACT:
        from extractor.ocr.tesseract import TesseractEngine

        return TesseractEngine(lang=settings.tesseract_lang)
    from extractor.ocr.paddle import PaddleEngine

    return PaddleEngine(model_dir=settings.paddle_model_dir)
