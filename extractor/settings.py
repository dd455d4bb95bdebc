"""Settings from the environment (prefix EXTRACTOR_) or a .env file; defaults run fully offline."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class MapperName(StrEnum):
    """Which mapper turns rows into records."""

    RULES = "rules"
    LLM = "llm"
    HYBRID = "hybrid"


class OcrEngineName(StrEnum):
    """Which OCR engine reads scans."""

    RAPID = "rapid"
    TESSERACT = "tesseract"
    PADDLE = "paddle"


class Settings(BaseSettings):
    """All knobs of the extractor; every one has a default that works offline."""

    model_config = SettingsConfigDict(env_prefix="EXTRACTOR_", env_file=".env", extra="ignore")

    mapper: MapperName = MapperName.RULES
    ocr: OcrEngineName = OcrEngineName.RAPID
    rapid_models: Literal["v4", "v6"] = Field(default="v4", description="RapidOCR models: v4 (rapidocr-onnxruntime) or v6 (rapidocr 3)")
    tesseract_lang: str = "chi_sim"
    ocr_threads: int = Field(default=0, description="threads for OCR inference; 0 = the machine's cores (at most 4)")
    paddle_model_dir: Path | None = Field(default=None, description="local PaddleOCR models: det/ and rec/ inside")
    data_dir: Path = Field(default=Path(".extractor"), description="uploads, caches, the default SQLite file")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default: SQLite in data_dir")

    # Limits that keep one bad input from taking the machine down.
    max_file_bytes: int = 200 * 1024 * 1024
    max_pages: int = 300
    max_image_pixels: int = 60_000_000
    document_timeout_s: float = 600.0

    # LLM (any OpenAI-compatible endpoint).
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = 60.0
    llm_max_retries: int = 2
    llm_concurrency: int = 4
    llm_cache_dir: Path | None = None

    def sqlite_default(self) -> str:
        """The default database URL: a SQLite file in the data directory."""
        return f"sqlite:///{(self.data_dir / 'extractor.db').as_posix()}"


def get_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (CLI flags) on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
