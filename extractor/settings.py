"""Settings from the environment (prefix EXTRACTOR_) or a .env file; defaults run fully offline."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class MapperName(StrEnum):
    """Which mapper turns rows into records."""

    RULES = "rules"
    LLM = "llm"
    HYBRID = "hybrid"


class LLMMode(StrEnum):
    """How instructor asks for structured output; endpoints differ in what they support."""

    TOOLS = "tools"  # function calling (OpenAI, DeepSeek, DashScope, vLLM with a tool parser)
    JSON_SCHEMA = "json_schema"  # response_format json_schema (OpenAI, vLLM guided decoding, Ollama)
    JSON = "json"  # response_format json_object plus the schema in the prompt (most endpoints)
    MD_JSON = "md_json"  # JSON in a fenced block of plain text (anything that chats)


class OcrEngineName(StrEnum):
    """Which OCR engine reads scans."""

    RAPID = "rapid"
    TESSERACT = "tesseract"
    PADDLE = "paddle"


def user_data_dir() -> Path:
    """The per-user data directory (used when EXTRACTOR_DATA_DIR is unset): platformdirs' user data dir."""
    try:
        import platformdirs
    except ImportError:  # platformdirs' rule for the three platforms, for installs that lack it
        if sys.platform == "win32":
            base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        elif sys.platform == "darwin":
            base = Path.home() / "Library" / "Application Support"
        else:
            base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
        return base / "extractor"
    return Path(platformdirs.user_data_dir("extractor", appauthor=False))


class Settings(BaseSettings):
    """All knobs of the extractor; every one has a default that works offline."""

    model_config = SettingsConfigDict(env_prefix="EXTRACTOR_", env_file=".env", extra="ignore")

    mapper: MapperName = MapperName.RULES
    ocr: OcrEngineName = OcrEngineName.RAPID
    rapid_models: Literal["v4", "v6"] = Field(default="v6", description="RapidOCR models: v6 (rapidocr 3, PP-OCRv6 small; the default) or v4 (rapidocr-onnxruntime)")
    tesseract_lang: str = "chi_sim"
    ocr_threads: int = Field(default=0, description="threads for OCR inference; 0 = the machine's cores (at most 4)")
    paddle_model_dir: Path | None = Field(default=None, description="local PaddleOCR models: det/ and rec/ inside")
    # Not the working directory: `cd A; extractor backfill`, then `cd B; extractor export` must find the same data.
    data_dir: Path = Field(default_factory=user_data_dir, description="uploads, caches, the default SQLite file "
                           "(default: the per-user data directory, e.g. ~/.local/share/extractor)")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default: SQLite in data_dir")

    # Limits that keep one bad input from taking the machine down.
    max_file_bytes: int = 200 * 1024 * 1024
    max_pages: int = 300
    max_image_pixels: int = 60_000_000
    max_raster_pixels: int = Field(default=25_000_000, description="pixels of one page rendered for OCR (A3 at 300 dpi "
                                   "is 17 M); a larger page is rendered coarser where its content allows it, else "
                                   "RESOURCE_LIMIT")
    max_document_pixels: int = Field(default=3_000_000_000, description="pixels rendered or decoded for one document "
                                     "(300 A4 pages at 300 dpi are 2.6 G); pages past it fail with RESOURCE_LIMIT")
    document_timeout_s: float = 600.0
    # Office packages and web pages (ingest/containers.py): zip bombs, huge sheets, converters that hang.
    max_archive_members: int = Field(default=2000, description="members of a .docx/.xlsx/OFD zip package")
    max_unpacked_bytes: int = Field(default=256 * 1024 * 1024, description="bytes a package may inflate to, in all")
    max_member_bytes: int = Field(default=128 * 1024 * 1024, description="bytes one package member may inflate to")
    max_sheet_rows: int = Field(default=200_000, description="rows of one sheet read before reading stops")
    max_table_cells: int = Field(default=500_000, description="table cells of one HTML page or Word document")
    soffice: str = Field(default="soffice", description="LibreOffice's program, for .doc/.wps/.et")
    soffice_timeout_s: float = Field(default=120.0, description="one LibreOffice conversion")

    # LLM (any OpenAI-compatible endpoint).
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = 60.0
    llm_max_retries: int = Field(default=2, ge=0, description="transport retries (429, 5xx, timeouts), with backoff")
    llm_concurrency: int = Field(default=4, ge=1, description="forms of one document mapped at the same time")
    llm_cache_dir: Path | None = Field(default=None, description="response cache; default: data_dir/llm-cache")
    llm_cache: bool = True
    llm_mode: LLMMode = LLMMode.TOOLS
    llm_reasks: int = Field(default=2, ge=0, description="re-asks when an answer fails validation or grounding")
    llm_arithmetic_reask: bool = Field(default=True, description="one targeted re-ask for suspected misreadings")
    llm_temperature: float | None = Field(default=0.0, description="None: do not send a temperature")
    llm_max_tokens: int | None = Field(default=None, description="cap on the answer's tokens; None: the endpoint's")
    induction_attempts: int = Field(default=3, ge=1, description="definitions asked for one layout before giving up")
    trust_induced: bool = Field(default=False, description="read forms with an induced definition before a reviewer "
                                "approved it (recorded in provenance)")

    @field_validator("llm_temperature", "llm_max_tokens", mode="before")
    @classmethod
    def _unset(cls, value: object) -> object:
        # Some endpoints reject a temperature (reasoning models): an empty or "none" value sends none.
        return None if isinstance(value, str) and value.strip().lower() in ("", "none", "null") else value

    def llm_cache_path(self) -> Path:
        """Where LLM responses are cached."""
        return self.llm_cache_dir if self.llm_cache_dir is not None else self.data_dir / "llm-cache"

    def sqlite_default(self) -> str:
        """The default database URL: a SQLite file in the data directory."""
        return f"sqlite:///{(self.data_dir / 'extractor.db').as_posix()}"


def get_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (CLI flags) on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
