"""Read a system text export: decode it, split it into forms, and lay each form out as a grid of cells."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple

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


class Decoded(NamedTuple):
    """An export's text, the encoding it was read in, and the lines that needed another reading."""

    text: str
    encoding: str
    fallback_lines: dict[int, str]  # 1-based line → how it was read (gb18030, utf-8 with replacement)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode an export (UTF-8, UTF-16 with or without BOM, GBK/GB18030, mixed by line) or raise a typed error."""
    decoded = decode_export(data)
    return decoded.text, decoded.encoding


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4096]
    if len(sample) < 4:
        return None
    odd = sum(1 for b in sample[1::2] if b == 0) / max(1, len(sample[1::2]))
    even = sum(1 for b in sample[0::2] if b == 0) / max(1, len(sample[0::2]))
    # ASCII-heavy UTF-16 has a NUL in every other byte; Chinese text has few: look for the pattern, then try.
    for encoding, share in (("utf-16-le", odd), ("utf-16-be", even)):
        if share > 0.2:
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            if _looks_like_text(text):
                return encoding
    try:  # Chinese UTF-16 LE: few NULs, but every pair decodes and the text is CJK
        text = data[: len(data) // 2 * 2].decode("utf-16-le")
    except UnicodeDecodeError:
        return None
    cjk = sum(1 for ch in text[:2000] if "\u4e00" <= ch <= "\u9fff")
    # An export has lines: its UTF-16 LE holds `\n\0`; binary bytes that happen to pair into CJK code points do not.
    return "utf-16-le" if (b"\x00" in sample and b"\n\x00" in data and cjk > 0.3 * min(len(text), 2000)
                           and _looks_like_text(text)) else None


def _decode_lines(data: bytes) -> tuple[str, dict[int, str], str] | None:
    """A UTF-8 export with a few bad lines (a stray byte, a cut last byte, a GBK file appended): each line in the
    encoding that reads it; None when UTF-8 is not the export's encoding at all."""
    lines = data.split(b"\n")
    wide = [line for line in lines if any(b >= 0x80 for b in line)]
    failing = 0
    for line in wide:
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            failing += 1
    # A GBK export breaks UTF-8 on (nearly) all its Chinese lines: it is read as GB18030, but a line that is
    # UTF-8 (a UTF-8 file glued in front of a GBK one) keeps its own reading: GBK bytes are almost never valid
    # UTF-8 that reads as Chinese, and read as GB18030 the UTF-8 line would be mojibake or fail the whole file.
    if failing >= max(1, len(wide) * 9 // 10):
        return _gbk_lines(lines)  # None when no line is UTF-8: then the whole file is judged as one
    out: list[str] = []
    fallback: dict[int, str] = {}
    for n, line in enumerate(lines, start=1):
        try:
            out.append(line.decode("utf-8"))
            continue
        except UnicodeDecodeError:
            pass
        replaced = line.decode("utf-8", errors="replace")
        try:
            gbk = line.decode("gb18030")
        except UnicodeDecodeError:
            gbk = None
        # A line of another encoding (a GBK file appended) breaks UTF-8 at many of its characters; a stray or a
        # cut byte breaks it once.
        wide_chars = sum(1 for ch in replaced if ord(ch) >= 0x80)
        broken = replaced.count("\ufffd")
        if gbk is not None and broken >= 2 and broken >= 0.3 * wide_chars and _looks_like_text(gbk):
            out.append(gbk)
            fallback[n] = "gb18030"
        else:
            out.append(replaced)
            fallback[n] = "utf-8 with replacement"
    return "\n".join(out), fallback, "utf-8"


def _cjk_utf8(line: bytes) -> str | None:
    """A line's UTF-8 reading when it is valid UTF-8 whose non-ASCII characters are mostly Chinese, else None."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return None
    wide = [ch for ch in text if ord(ch) >= 0x80]
    # Chinese, its punctuation and the signs forms print (— ≥ ═ ·): what a GBK line read as UTF-8 never is.
    cjk = sum(1 for ch in wide if "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"
              or "\u2000" <= ch <= "\u257f" or ch in "\u00b7\u00d7\u00b0")
    return text if wide and cjk >= 0.8 * len(wide) else None


def _gbk_lines(lines: list[bytes]) -> tuple[str, dict[int, str], str] | None:
    """A GB18030 export with UTF-8 lines in it, line by line: a UTF-8 line keeps its reading, a line neither
    reads is replaced; None when no line is UTF-8 (a plain GBK, or Big5, file is judged whole)."""
    out: list[str] = []
    fallback: dict[int, str] = {}
    for n, line in enumerate(lines, start=1):
        if any(b >= 0x80 for b in line) and (utf8 := _cjk_utf8(line)) is not None:
            out.append(utf8)
            fallback[n] = "utf-8"
            continue
        try:
            out.append(line.decode("gb18030"))
        except UnicodeDecodeError:
            out.append(line.decode("gb18030", errors="replace"))
            fallback[n] = "gb18030 with replacement"
    if "utf-8" not in fallback.values():
        return None
    return "\n".join(out), fallback, "gb18030"


def decode_export(data: bytes) -> Decoded:
    """Decode an export (see decode_bytes), saying which lines needed a reading of their own."""
    if not data.strip():
        raise EmptyDocumentError("the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Decoded(data.decode("utf-16", errors="replace"), "utf-16", {})
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return Decoded(data[: len(data) // 2 * 2].decode(utf16), utf16, {})
    if b"\x00" in data[:4096]:
        raise BinaryContentError("the file holds binary data, not a text export", sample=data[:16].hex())
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            if encoding == "utf-8-sig":
                mixed = _decode_lines(data.removeprefix(b"\xef\xbb\xbf"))
                if mixed is not None and _looks_like_text(mixed[0]):
                    return Decoded(mixed[0], mixed[2], mixed[1])
            continue
        if _looks_like_text(text):
            return Decoded(text, "utf-8" if encoding == "utf-8-sig" else encoding, {})
        break
    best = from_bytes(data).best()
    if best is None:
        raise EncodingError("the text encoding could not be determined")
    text = str(best)
    if not _looks_like_text(text):
        raise BinaryContentError("the file does not look like text", encoding=best.encoding)
    return Decoded(text, best.encoding, {})


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
    text, encoding, fallback = decode_export(data)
    layout = detect_layout(iter_lines(text))  # counted line by line: no list of a huge export's lines
    forms = iter_forms(iter_records(text, layout))  # records made as the forms are drawn, never all at once
    first = next(forms, None)
    if first is None:
        raise NoFormFoundError("no 绩效自评表 found in the text", encoding=encoding, layout=layout.value)

    def grid_of(chunk: list[Record]) -> Grid:
        grid = chunk_to_grid(chunk, layout)
        lines = {n for n, _ in chunk}
        # Lines read in another encoding than the export's: said on the form, so a reviewer knows where to look.
        grid.notes += [f"line {n} decoded as {how}" for n, how in sorted(fallback.items()) if n in lines]
        return grid

    def grids() -> Iterator[Grid]:
        yield grid_of(first)
        for chunk in forms:
            yield grid_of(chunk)

    return grids(), encoding


def read_text_export(data: bytes) -> tuple[list[Grid], str]:
    """All forms of an export as grids, and the encoding used; NoFormFoundError when there is none."""
    grids, encoding = iter_text_export(data)
    return list(grids), encoding
