"""Property tests of the text-export reader: any bytes decode or fail with a typed load error, every line's text
survives the split into cells, and quotes are text.

Cases that fail today because of known reader bugs (issue 12) are strict xfails naming the bug: they flag the
day the bug is fixed, so the mark can go.
"""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractor.errors import DocumentLoadError
from extractor.ingest.loader import load_bytes
from extractor.ingest.text_export import decode_bytes, read_text_export, split_records
from extractor.ingest.text_layout import TextLayout, detect_layout, split_lines
from extractor.settings import get_settings
from tests.conftest import SEED_EXPORT

SEED_LINES = SEED_EXPORT.read_text(encoding="utf-8").split("\n")
# What cells of a form hold: Chinese, digits, notation, quotes of both kinds, CSV and pipe characters.
CELL_CHARS = ("项目名称资金指标率量质效益满意度年万元个次预算执行数得分整治两违一二三《》、，。：；（）"
              "0123456789.%=<>≥≤-—+ab XYZ\"'“”,;|#&\u3000")
CELL = st.text(alphabet=CELL_CHARS, min_size=0, max_size=12)
NO_QUOTE_CELL = st.text(alphabet=CELL_CHARS.replace('"', ""), min_size=0, max_size=12)
MAGIC = [b"", b"", b"", b"BM", b"GIF89a", b"%PDF-1.7\n", b"PK\x03\x04", b"II*\x00", b"MM\x00*", b"\x89PNG\r\n\x1a\n",
         b"\xff\xd8\xff\xe0", b"RIFF\x10\x00\x00\x00WEBP", b"<!DOCTYPE html><html>", b"\xef\xbb\xbf", b"\xff\xfe"]
ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16", "big5", "latin-1"]


@st.composite
def seedish_text(draw: st.DrawFn) -> str:
    """Lines of the seed, some shuffled, some replaced by random cells: real form text, moved about."""
    start = draw(st.integers(0, len(SEED_LINES) - 1))
    lines = SEED_LINES[start: start + draw(st.integers(1, 60))]
    out = []
    for line in lines:
        roll = draw(st.integers(0, 9))
        if roll == 0:
            out.append("\t".join(draw(st.lists(CELL, min_size=1, max_size=9))))
        elif roll != 1:  # 1: dropped
            out.append(line)
    return "\n".join(out)


@st.composite
def any_bytes(draw: st.DrawFn) -> bytes:
    """Random bytes, or form text in some encoding, damaged: cut, with bytes inserted, glued to other bytes."""
    kind = draw(st.integers(0, 2))
    if kind == 0:
        return draw(st.sampled_from(MAGIC)) + draw(st.binary(max_size=2000))
    text = draw(seedish_text())
    data = text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")
    if kind == 2 and data:
        cut = draw(st.integers(0, len(data)))
        data = data[:cut] + draw(st.binary(max_size=8)) + data[cut + draw(st.integers(0, 4)):]
    return data


SEED_TEXT_LINES = [line for line in SEED_LINES if line.strip()]


@st.composite
def form_lines(draw: st.DrawFn) -> list[str]:
    """A run of the seed's non-blank lines (enough Chinese for any encoding detector)."""
    start = draw(st.integers(0, len(SEED_TEXT_LINES) - 40))
    return SEED_TEXT_LINES[start: start + draw(st.integers(30, 40))]


def _broken_utf16(data: bytes) -> bool:
    """A UTF-16 BOM before bytes that are no UTF-16 (cut short, a lone surrogate): a known bug, tested below."""
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    try:
        data.decode("utf-16")
    except UnicodeDecodeError:
        return True
    return False


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_bytes())
def test_any_bytes_read_as_forms_or_a_typed_load_error(data):
    try:
        grids, encoding = read_text_export(data)
    except DocumentLoadError:
        return
    assert encoding and grids
    for grid in grids:
        assert all(isinstance(c.text, str) for c in grid.cells())


@settings(max_examples=30, deadline=None)
@given(form_lines(), st.sampled_from(["utf-16-le", "utf-16-be"]), st.integers(1, 200), st.booleans())
def test_a_broken_utf16_export_loses_only_its_broken_line(lines, codec, cut, surrogate):
    bom = b"\xff\xfe" if codec == "utf-16-le" else b"\xfe\xff"
    body = "\n".join(lines).encode(codec)
    if surrogate:  # a high surrogate with no low one, at the end of the last line
        body += "\ud800".encode(codec, errors="surrogatepass")
    else:
        body = body[: len(body) - (2 * cut + 1) % len(body)]
        body = body[:-1] if len(body) % 2 == 0 else body
    decoded, _ = decode_bytes(bom + body)
    kept = decoded.split("\n")[:-1]
    assert kept == lines[: len(kept)] and len(kept) >= len(lines) - 1 - (0 if surrogate else cut)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_bytes())
def test_any_bytes_through_the_loader_give_forms_or_a_typed_load_error(data):
    with contextlib.suppress(DocumentLoadError):  # anything else fails the test
        load_bytes(data, get_settings())


def _significant(text: str, drop: str) -> str:
    return "".join(ch for ch in text if not ch.isspace() and ch not in drop)


@st.composite
def layout_text(draw: st.DrawFn) -> str:
    """Rows of cells joined the ways exports join them (tabs, pipes, commas, spaces, one per line)."""
    rows = draw(st.lists(st.lists(CELL, min_size=1, max_size=8), min_size=1, max_size=25))
    joiner = draw(st.sampled_from(["\t", " | ", ",", ";", " ", "  ", "\n\n", ""]))
    if joiner == "\n\n":
        return "\n\n".join(c for row in rows for c in row)
    return "\n".join(joiner.join(row) for row in rows)


@settings(max_examples=300, deadline=None)
@given(layout_text())
def test_every_line_survives_decoding_and_splitting(text):
    if not text.strip():
        return
    decoded, _ = decode_bytes(text.encode("utf-8"))
    assert decoded == text
    layout = detect_layout(text.splitlines())
    records = split_records(decoded)
    lines = text.splitlines()
    assert all(1 <= n <= len(lines) for n, _ in records)
    assert [n for n, _ in records] == sorted(n for n, _ in records)
    # Only white space and the layout's own separators may go; for CSV also quotes, where they quote fields.
    drop = {TextLayout.PIPE: "|", TextLayout.CELL_PER_LINE_BAR: "|", TextLayout.CSV: ",;\""}.get(layout, "")
    assert _significant(text, drop) == _significant("".join(c for _, cells in records for c in cells), drop)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(CELL, min_size=2, max_size=9).filter(lambda row: "".join(row).strip()), min_size=2,
                max_size=20))
def test_tab_separated_cells_come_back_exactly_quotes_included(rows):
    text = "\n".join("\t".join(row) for row in rows)
    assert detect_layout(text.splitlines()) is TextLayout.TSV
    assert [cells for _, cells in split_records(text)] == rows


@st.composite
def csv_rows_with_quotes_as_text(draw: st.DrawFn) -> list[list[str]]:
    """CSV rows with one cell whose quotes quote nothing (`"两违"整治率`, `"12寸显示屏采购`): they are text."""
    rows = draw(st.lists(st.lists(NO_QUOTE_CELL.map(lambda c: c.replace(",", "").replace("|", "")), min_size=4, max_size=8),
                         min_size=4, max_size=12))
    quoted = draw(st.sampled_from(['"两违"整治率', '"12寸显示屏采购', '达成"良好"', '"', '"""a']))
    r = draw(st.integers(0, len(rows) - 1))
    rows[r][draw(st.integers(0, len(rows[r]) - 1))] = quoted
    return rows


@settings(max_examples=100, deadline=None)
@given(csv_rows_with_quotes_as_text())
def test_csv_quotes_that_quote_nothing_are_text(rows):
    text = "\n".join(",".join(row) for row in rows)
    assert detect_layout(text.splitlines()) is TextLayout.CSV
    assert [cells for _, cells in split_lines(text, TextLayout.CSV)] == rows


def test_well_formed_quoted_csv_fields_stay_one_cell():
    text = '项目名称,,"老旧小区,改造",,\n,"完成12个；\n确保合格",,,\n,a,b,c,d\n,e,f,g,h\n'
    records = split_lines(text, TextLayout.CSV)
    assert records[0][1][2] == "老旧小区,改造" and records[1][1][1] == "完成12个；\n确保合格"


# --- damaged encodings: a file is never lost for one bad byte -----------------------------------------------------

def _lines_survive(decoded: str, lines: list[str], damaged: set[int]) -> None:
    got = decoded.split("\n")
    assert len(got) == len(lines)
    assert [g for k, g in enumerate(got) if k not in damaged] == [x for k, x in enumerate(lines) if k not in damaged]





@settings(max_examples=30, deadline=None)
@given(form_lines(), st.data())
def test_one_invalid_byte_loses_only_its_line(lines, data):
    k = data.draw(st.integers(0, len(lines) - 1))
    encoded = [line.encode("utf-8") for line in lines]
    cut = data.draw(st.integers(0, len(encoded[k])))
    encoded[k] = encoded[k][:cut] + b"\xff" + encoded[k][cut:]
    decoded, _ = decode_bytes(b"\n".join(encoded))
    _lines_survive(decoded, lines, {k})


@settings(max_examples=30, deadline=None)
@given(form_lines())
def test_a_missing_last_byte_loses_only_the_last_line(lines):
    lines = [*lines[:-1], lines[-1] + "率"]  # ends in a multi-byte character
    decoded, _ = decode_bytes("\n".join(lines).encode("utf-8")[:-1])
    _lines_survive(decoded, lines, {len(lines) - 1})


@settings(max_examples=30, deadline=None)
@given(form_lines(), st.data())
def test_utf8_and_gbk_glued_together_both_survive(lines, data):
    k = data.draw(st.integers(1, len(lines) - 1))
    glued = "\n".join(lines[:k]).encode("utf-8") + b"\n" + "\n".join(lines[k:]).encode("gbk")
    decoded, _ = decode_bytes(glued)
    _lines_survive(decoded, lines, set())


@settings(max_examples=20, deadline=None)
@given(form_lines(), st.sampled_from(["utf-16-le", "utf-16-be"]))
def test_utf16_without_bom_survives(lines, codec):
    decoded, _ = decode_bytes("\n".join(lines).encode(codec))
    _lines_survive(decoded, lines, set())


@settings(max_examples=30, deadline=None)
@given(form_lines(), st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"]))
def test_whole_files_in_every_supported_encoding_survive(lines, codec):
    decoded, _ = decode_bytes("\n".join(lines).encode(codec))
    _lines_survive(decoded, lines, set())
