"""Spreadsheet numbers as their cells show them (ingest/numfmt.py): the printed precision, never a float."""

from __future__ import annotations

import datetime as dt

import pytest

from extractor.ingest.numfmt import render


@pytest.mark.parametrize(("value", "fmt", "shown"), [
    (100, "0.00", "100.00"), (100.0, "0.00", "100.00"), (0.95, "0.00%", "95.00%"), (0.95, "0%", "95%"),
    (1234567.891, "#,##0.00", "1,234,567.89"), (148.79, "General", "148.79"), (100.0, "General", "100"),
    (0.1 + 0.2, "General", "0.3"), (2.675, "0.00", "2.68"), (12.5, '0.00"万元"', "12.50万元"),
    (-3.5, "0.00_);(0.00)", "(3.50)"), (0, '0.00;-0.00;"-"', "-"), (3, "0.0#", "3.0"), (1e12, "General", "1E+12"),
    ("=100.00(%)", "@", "=100.00(%)"), (None, "0.00", ""), (True, "General", "TRUE"),
    (dt.datetime(2024, 3, 5), 'yyyy"年"m"月"d"日"', "2024年3月5日"),
    (dt.datetime(2024, 3, 5, 14, 7), "yyyy-mm-dd hh:mm", "2024-03-05 14:07"),
])
def test_numbers_are_shown_as_the_cell_shows_them(value, fmt, shown):
    assert render(value, fmt) == shown
