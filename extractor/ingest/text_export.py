"""Read a system text export: decode it, split it into forms, and lay each form out as a grid of cells."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from charset_normalizer import from_bytes

from extractor.domain.repair import label_key
from extractor.domain.text import norm_key, simplified
from extractor.errors import BinaryContentError, EmptyDocumentError, EncodingError, NoFormFoundError
from extractor.ingest.text_layout import (
    Record,
    TextLayout,
    detect_layout,
    is_title_text,
    iter_lines,
    iter_records,
    split_lines,
)
from extractor.layout import Cell, Grid, SourceKind

_FOOTER = re.compile(r"^注[:：].{0,6}格式")
# Labels any form prints somewhere; a chunk without one of them is not a form.
_FORM_MARKERS = ("项目名称", "主管部门", "实施单位", "项目资金", "年度资金总额", "一级指标", "二级指标", "三级指标", "绩效指标", "总分")
_CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r", "\f", "\v"}


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode an export (UTF-8, UTF-16 with BOM, GBK/GB18030, …) or raise a typed load error."""
    if not data.strip():
        raise EmptyDocumentError("the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if b"\x00" in data[:4096]:
        raise BinaryContentError("the file holds binary data, not a text export", sample=data[:16].hex())
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_like_text(text):
            return text, "utf-8" if encoding == "utf-8-sig" else encoding
        break
    best = from_bytes(data).best()
    if best is None:
        raise EncodingError("the text encoding could not be determined")
    text = str(best)
    if not _looks_like_text(text):
        raise BinaryContentError("the file does not look like text", encoding=best.encoding)
    return text, best.encoding


def _looks_like_text(text: str) -> bool:
    sample = text[:20000]
    bad = sum(1 for ch in sample if ch in _CONTROL or ch == "\ufffd" or "\ue000" <= ch <= "\uf8ff")
    return bad <= max(2, len(sample) // 200)


def split_records(text: str) -> list[Record]:
    """Split an export into records of cell texts, whatever its layout (text_layout.py)."""
    return split_lines(text, detect_layout(text.splitlines()))


def _joined(fields: list[str]) -> str:
    return "".join(fields)


def _is_title(fields: list[str]) -> bool:
    return is_title_text(_joined(fields))


def _is_footer(fields: list[str]) -> bool:
    return bool(_FOOTER.match(simplified(norm_key(_joined(fields)))))


def _has_form_content(chunk: list[Record]) -> bool:
    # A titled chunk of some length is a form even when its labels are a family's own (项目全称, 归口部门).
    if any(_is_title(fields) for _, fields in chunk[:3]) and sum(
            1 for _, f in chunk if any(x.strip() for x in f) and not _is_title(f)) >= 5:
        return True
    keys = {label_key(field) for _, fields in chunk for field in fields}
    if any(any(marker in key for marker in _FORM_MARKERS) for key in keys if key):
        return True
    # Glued text holds its labels inside longer runs.
    joined = label_key("".join(f for _, fields in chunk for f in fields))
    return sum(marker in joined for marker in _FORM_MARKERS) >= 2


def iter_forms(records: Iterable[Record]) -> Iterator[list[Record]]:
    """Cut an export's records into forms, lazily and in one pass: a title starts a form (once the form so far
    holds more than titles), a `注：格式以系统导出为准` line ends one; chunks without form content are dropped."""
    current: list[Record] = []
    has_body = False  # the current chunk holds a non-empty line that is not a title
    for record in records:
        fields = record[1]
        title = _is_title(fields)
        if title and has_body:
            if _has_form_content(current):
                yield current
            current, has_body = [], False
        current.append(record)
        if not title and any(f.strip() for f in fields):
            has_body = True
        if _is_footer(fields):
            if _has_form_content(current):
                yield current
            current, has_body = [], False
    if current and _has_form_content(current):
        yield current


def split_forms(text: str, layout: TextLayout | None = None) -> list[list[Record]]:
    """Split an export into forms: a title line starts one, a `注：格式以系统导出为准` line ends one."""
    layout = layout or detect_layout(text.splitlines())
    return list(iter_forms(split_lines(text, layout)))


def chunk_to_grid(chunk: list[Record], layout: TextLayout = TextLayout.TSV) -> Grid:
    """Lay one form's records out as a grid: a record is a row, a field a cell (a stream keeps its empty cells)."""
    rows: list[list[Cell]] = []
    for number, fields in chunk:
        if not any(f.strip() for f in fields) and not layout.stream:
            continue
        r = len(rows)
        rows.append(
            [Cell(id=f"L{number}C{c + 1}", text=field, row=r, col=c, line=number) for c, field in enumerate(fields)]
        )
    return Grid(
        kind=SourceKind.TEXT_EXPORT,
        rows=rows,
        text_layout=layout.value,
        first_line=chunk[0][0] if chunk else None,
        last_line=chunk[-1][0] if chunk else None,
    )


def iter_text_export(data: bytes) -> tuple[Iterator[Grid], str]:
    """The forms of an export as grids, made one at a time (a 10,000-form export never holds all its grids),
    and the encoding used; NoFormFoundError when there is no form at all (raised before the first grid)."""
    text, encoding = decode_bytes(data)
    layout = detect_layout(iter_lines(text))  # counted line by line: no list of a huge export's lines
    forms = iter_forms(iter_records(text, layout))  # records made as the forms are drawn, never all at once
    first = next(forms, None)
    if first is None:
        raise NoFormFoundError("no 绩效自评表 found in the text", encoding=encoding, layout=layout.value)

    def grids() -> Iterator[Grid]:
        yield chunk_to_grid(first, layout)
        for chunk in forms:
            yield chunk_to_grid(chunk, layout)

    return grids(), encoding


def read_text_export(data: bytes) -> tuple[list[Grid], str]:
    """All forms of an export as grids, and the encoding used; NoFormFoundError when there is none."""
    grids, encoding = iter_text_export(data)
    return list(grids), encoding
