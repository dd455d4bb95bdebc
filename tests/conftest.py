"""Shared fixtures: the seed export, its gold records, and builders for mutated records."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

from extractor.records.models import Record

ROOT = Path(__file__).resolve().parent.parent
SEED_DIR = ROOT / "eval" / "datasets" / "seed"
SEED_EXPORT = SEED_DIR / "000_f0d77478487422c7.txt"
GOLDEN_DIR = Path(__file__).resolve().parent / "data" / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--regen-golden", action="store_true", default=False,
                     help="rewrite golden files from the current output instead of comparing")


@pytest.fixture
def regen_golden(request: pytest.FixtureRequest) -> bool:
    """True when golden files are to be rewritten (never in CI)."""
    return bool(request.config.getoption("--regen-golden")) or os.environ.get("EXTRACTOR_REGEN_GOLDEN") == "1"


def load_gold(n: int) -> dict:
    """The gold file of seed form n (1-based)."""
    return json.loads((SEED_DIR / "gold" / f"form-{n:02d}.json").read_text(encoding="utf-8"))


@pytest.fixture
def seed_export() -> Path:
    return SEED_EXPORT


@pytest.fixture
def seed_text() -> str:
    return SEED_EXPORT.read_text(encoding="utf-8")


@pytest.fixture
def gold() -> list[dict]:
    return [load_gold(n) for n in range(1, 11)]


@pytest.fixture
def clean_record() -> Record:
    """Seed form 7 (社会消防治理): a form with no finding at all, to mutate."""
    return Record.model_validate(load_gold(7)["record"])


# The default data directory is the user's own (platformdirs): tests must not write there, nor see what is there.
os.environ.setdefault("EXTRACTOR_DATA_DIR", tempfile.mkdtemp(prefix="extractor-test-data-"))
