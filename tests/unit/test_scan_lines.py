"""Where the page reader looks for text: cell lines and the strips outside the table, on synthetic ink."""

import numpy as np

from extractor.ingest.scan import _cell_lines, _drop_specks, _strip_lines

CHAR_H = 30.0


def _ink(h: int = 400, w: int = 600) -> np.ndarray:
    return np.zeros((h, w), np.uint8)


def test_a_dark_scanner_edge_along_the_page_is_not_text():
    ink = _ink()
    ink[0:14, 20:580:3] = 255  # the page's top edge, shaded by the scanner lid
    ink[389:400, 50:560:2] = 255  # and its bottom edge
    ink[100:128, 200:320] = 255  # a title line
    assert _strip_lines(ink, 0, 400, 0, 600, CHAR_H) == [(200, 100, 320, 128)]


def test_two_stacked_short_bars_are_an_equals_sign_not_a_dash():
    ink = _ink(60, 100)
    ink[22:25, 40:56] = 255
    ink[32:35, 40:56] = 255
    [(box, dash)] = _cell_lines(ink, (0, 0, 100, 60), CHAR_H)
    assert dash is False
    assert box[3] - box[1] >= CHAR_H - 1  # cropped a character high, not blown up by the recogniser
    lone = _ink(60, 100)
    lone[28:31, 40:60] = 255
    [(box, dash)] = _cell_lines(lone, (0, 0, 100, 60), CHAR_H)
    assert dash is True and (box[0], box[2]) == (40, 60)


def test_an_isolated_speck_is_dropped_and_a_decimal_point_kept():
    ink = _ink(100, 400)
    ink[20:48, 20:44] = 255  # a digit
    ink[44:48, 47:51] = 255  # its decimal point, right beside it
    ink[20:48, 54:78] = 255  # the next digit
    ink[70:74, 300:304] = 255  # dust, far from any text
    clean, specks = _drop_specks(ink, CHAR_H)
    assert specks == [(300, 70, 304, 74)]
    assert clean[70:74, 300:304].max() == 0 and clean[44:48, 47:51].min() == 255
