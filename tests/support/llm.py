"""Helpers for LLM tests: settings pointed at a scripted server, the seed's grids and faithful answers."""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

from extractor.ingest.loader import load_bytes, load_path
from extractor.layout import Grid
from extractor.mapping import get_mapper
from extractor.pipeline import Timer, process_form
from extractor.records.models import FormResult, Record
from extractor.settings import Settings, get_settings
from tests.conftest import SEED_EXPORT, load_gold
from tests.support.gold_answers import answer_for
from tests.support.openai_server import ScriptedServer

SECRET = "sk-test-0123456789-SECRET-KEY"
MODEL = "scripted-model"


def llm_settings(server: ScriptedServer | str, cache: Path | None, **overrides: Any) -> Settings:
    """Settings for the LLM mapper against a scripted server (or a base URL); transport retries kept quick."""
    base_url = server if isinstance(server, str) else server.base_url
    values: dict[str, Any] = {"mapper": "llm", "llm_base_url": base_url, "llm_model": MODEL, "llm_api_key": SECRET,
                              "llm_cache_dir": cache, "llm_cache": cache is not None, "llm_max_retries": 1,
                              "llm_timeout_s": 10.0, "llm_concurrency": 1}
    values.update(overrides)
    return Settings(**values)


@lru_cache(maxsize=1)
def _seed_grids() -> tuple[Grid, ...]:
    return tuple(load_path(SEED_EXPORT, get_settings()).grids)


def seed_grid(n: int) -> Grid:
    """The grid of seed form n (1-based)."""
    return _seed_grids()[n - 1]


def seed_grids() -> list[Grid]:
    """All ten grids of the seed export."""
    return list(_seed_grids())


def gold_record(n: int) -> Record:
    """Seed form n's gold record."""
    return Record.model_validate(load_gold(n)["record"])


@lru_cache(maxsize=16)
def _gold_answer(n: int) -> dict[str, Any]:
    return answer_for(gold_record(n), seed_grid(n))


def gold_answer(n: int) -> dict[str, Any]:
    """What a faithful model answers for seed form n (a fresh copy to mutate)."""
    return copy.deepcopy(_gold_answer(n))


def grids_of(data: bytes) -> list[Grid]:
    """The grids of an export given as bytes."""
    return load_bytes(data, get_settings()).grids


def map_form(grid: Grid, settings: Settings) -> FormResult:
    """One form through the configured mapper and the checker, as the pipeline does it."""
    return process_form(1, grid, get_mapper(settings.mapper, settings), Timer())
