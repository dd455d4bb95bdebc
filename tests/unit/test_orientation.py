"""The orientation test on rendered forms turned every way: upright pages are never turned, turned ones always
found, a two-row tail page and a 1-bit page too; a blank page is left alone."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from extractor.ingest.orient import page_orientation, turn
from extractor.ocr.orientation import get_line_classifier
from extractor.records.models import Record
from tests.conftest import load_gold
from tests.render import render_pdf, scan

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def classify():
    classifier = get_line_classifier()
    assert classifier is not None, "the RapidOCR wheel ships the line classifier"
    return classifier.upside_down


def _gold(n: int) -> Record:
    return Record.model_validate(load_gold(n)["record"])


def _turns(page: np.ndarray, classify) -> list[int]:
    """The turn found for the page stored turned counter-clockwise by 0, 90, 180 and 270°."""
    page = cv2.medianBlur(page, 3)  # what read_raster hands it
    return [page_orientation(np.ascontiguousarray(np.rot90(page, k)), classify).turn for k in range(4)]


UNDO = [0, 270, 180, 90]  # turning back a page stored turned by 0, 90, 180, 270° counter-clockwise


@pytest.mark.parametrize("n", range(1, 11))
def test_each_seed_form_is_told_upright_or_how_far_turned(n, classify):
    dpi = 150 if n % 2 else 300
    page = scan(render_pdf([_gold(n)]), dpi=dpi, angle=[-2.0, 1.5][n % 2], seed=n)[0]
    assert _turns(page, classify) == UNDO


def test_a_tail_page_of_a_few_rows_is_told_too(classify):
    record = _gold(4)
    record.indicators = record.indicators * 5  # two pages; the second holds the last indicators, 总分 and 评分等级
    pages = scan(render_pdf([record]), dpi=200, seed=1)
    assert len(pages) == 2
    assert _turns(pages[1], classify) == UNDO


def test_a_1_bit_page_is_told_too(classify):
    grey = scan(render_pdf([_gold(3)]), dpi=200, seed=3)[0]
    assert _turns(np.where(grey > 128, 255, 0).astype(np.uint8), classify) == UNDO


def test_a_blank_or_specked_page_is_left_alone(classify):
    blank = np.full((1600, 1100), 255, np.uint8)
    assert page_orientation(blank, classify).turn == 0
    rng = np.random.default_rng(0)
    blank[rng.integers(0, 1600, 40), rng.integers(0, 1100, 40)] = 0
    assert page_orientation(blank, classify).turn == 0


def test_turn_undoes_numpys_rotation():
    image = np.arange(12, dtype=np.uint8).reshape(3, 4)
    for k, back in zip(range(4), UNDO, strict=True):
        assert np.array_equal(turn(np.ascontiguousarray(np.rot90(image, k)), back), image)
