"""A huge export is read line by line: the lazy split gives exactly what str.splitlines gives."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.ingest.text_layout import (
    _PIPE_SPLIT,
    _WS_SPLIT,
    TextLayout,
    _bar_cell,
    _pipe_cells,
    detect_layout,
    iter_lines,
    iter_records,
    split_lines,
)

_BREAKS = ["\n", "\r\n", "\r", "\v", "\f", "\x1c", "\x85", "\u2028", "\t", " ", "|"]
_TEXT = st.lists(st.one_of(st.sampled_from(_BREAKS), st.text(alphabet="ab项目名称 ", max_size=6)),
                 max_size=60).map("".join)


@settings(max_examples=200, deadline=None)
@given(text=_TEXT, chunk=st.integers(min_value=1, max_value=12))
def test_iter_lines_splits_exactly_like_splitlines_wherever_the_pieces_are_cut(text, chunk):
    assert list(iter_lines(text, chunk=chunk)) == text.splitlines()


def _whole_text_records(text: str, layout: TextLayout) -> list:
    """The records as split_lines made them from the whole list of lines (before it was lazy)."""
    lines = text.splitlines()
    if layout in (TextLayout.CSV, TextLayout.CELL_PER_LINE):
        return split_lines(text, layout)  # read whole either way
    if layout is TextLayout.TSV:
        return [(n, line.split("\t")) for n, line in enumerate(lines, start=1)]
    cut = {TextLayout.PIPE: _pipe_cells, TextLayout.CELL_PER_LINE_BAR: _bar_cell,
           TextLayout.FIXED_WIDTH: lambda line: re.split(r"\s{2,}|\u3000+", line.strip()),
           TextLayout.SPACES: lambda line: _WS_SPLIT.split(line.strip()),
           TextLayout.GLUED: lambda line: [line.strip()]}[layout]
    return [(n, cut(line)) for n, line in enumerate(lines, start=1) if line.strip()]


@settings(max_examples=150, deadline=None)
@given(text=_TEXT, layout=st.sampled_from(list(TextLayout)))
def test_iter_records_gives_the_records_of_the_whole_text_one_at_a_time(text, layout):
    assert list(iter_records(text, layout)) == _whole_text_records(text, layout)


def test_seed_records_are_unchanged(seed_text):
    lines = seed_text.splitlines()
    assert list(iter_records(seed_text, TextLayout.TSV)) == [(n, line.split("\t"))
                                                             for n, line in enumerate(lines, start=1)]


def _detect_on_a_list(lines: list[str]) -> TextLayout:
    """detect_layout as it was when it held every line in a list (the reference for the one-pass count)."""
    content = [line for line in lines if line.strip()]
    if not content:
        return TextLayout.TSV
    if sum("\t" in line for line in content) >= max(2, len(content) // 10):
        return TextLayout.TSV
    piped = [line for line in content if "|" in line]
    if len(piped) >= 0.5 * len(content):
        inner = sum(1 for line in piped if len([c for c in _PIPE_SPLIT.split(line.strip().strip("|")) if c]) > 1)
        return TextLayout.PIPE if inner >= 0.2 * len(piped) else TextLayout.CELL_PER_LINE_BAR
    for delimiter in (",", ";"):
        if sum(line.count(delimiter) >= 3 for line in content) >= max(3, len(content) // 4):
            return TextLayout.CSV
    long_lines = sum(1 for line in content if len(line.strip()) > 150)
    tokens = [t for line in content for t in _WS_SPLIT.split(line.strip()) if t]
    mean_token = sum(len(t) for t in tokens) / max(1, len(tokens))
    if (len(content) <= 6 and long_lines >= 1) or (mean_token > 25 and any(len(line) > 80 for line in content)):
        return TextLayout.GLUED
    blank = sum(1 for line in lines if not line.strip())
    multi = sum(1 for line in content if len(_WS_SPLIT.split(line.strip())) > 1)
    if blank >= 0.3 * len(content) and multi <= 0.5 * len(content):
        return TextLayout.CELL_PER_LINE
    if multi >= 0.3 * len(content):
        return TextLayout.SPACES
    return TextLayout.FIXED_WIDTH


_PIECES = st.one_of(st.sampled_from(["\t", "|", " | ", ",", ";", " ", "  ", "\u3000", "\xa0", "项目名称", "95.00",
                                     ""]),
                    st.integers(min_value=20, max_value=160).map(lambda n: "长" * n))
_LINES = st.lists(st.lists(_PIECES, max_size=8).map("".join), max_size=40)


@settings(max_examples=250, deadline=None)
@given(lines=_LINES)
def test_detect_layout_counts_in_one_pass_what_it_judged_on_a_list(lines):
    assert detect_layout(iter(lines)) == detect_layout(lines) == _detect_on_a_list(lines)


def test_detect_layout_of_the_seed_and_of_every_text_fixture(seed_text):
    from pathlib import Path

    assert detect_layout(iter_lines(seed_text)) is TextLayout.TSV
    root = Path(__file__).parents[2]
    for path in sorted([*(root / "tests" / "data").rglob("*.txt"), *(root / "eval" / "datasets").rglob("*.txt")]):
        text = path.read_bytes().decode("utf-8", "replace")
        assert detect_layout(iter_lines(text)) == _detect_on_a_list(text.splitlines()), path
