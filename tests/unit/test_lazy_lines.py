"""A huge export is read line by line: the lazy split gives exactly what str.splitlines gives."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.ingest.text_layout import (
    _WS_SPLIT,
    TextLayout,
    _bar_cell,
    _pipe_cells,
    iter_lines,
    iter_records,
    split_lines,
)

_BREAKS = ["\n", "\r\n", "\r", "\v", "\f", "\x1c", "\x85", "\u2028", "\t", " ", "|"]
_TEXT = st.lists(st.one_of(st.sampled_from(_BREAKS), st.text(alphabet="ab项目名称 ", max_size=6)),
                 max_size=60).map("".join)


@settings(max_examples=400, deadline=None)
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


@settings(max_examples=300, deadline=None)
@given(text=_TEXT, layout=st.sampled_from(list(TextLayout)))
def test_iter_records_gives_the_records_of_the_whole_text_one_at_a_time(text, layout):
    assert list(iter_records(text, layout)) == _whole_text_records(text, layout)


def test_seed_records_are_unchanged(seed_text):
    lines = seed_text.splitlines()
    assert list(iter_records(seed_text, TextLayout.TSV)) == [(n, line.split("\t"))
                                                             for n, line in enumerate(lines, start=1)]
