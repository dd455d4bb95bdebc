"""The fuzz corpus: bad inputs for the reader, each with what it is and which outcomes are acceptable.

`make_inputs(seed)` builds them deterministically (same seed, same bytes). Most are the seed export (all ten
forms, or `seed3`: its first three) damaged in one way: bytes (a bad byte, a cut, two encodings glued, UTF-16
without BOM), quotes, tabs, unreadable numbers, deleted/duplicated/swapped lines, random mutations. Those carry
their `gold`: the edits that made them (scripts/fuzzing/mutate.py), so the harness can judge each form read from
them against the seed's gold. The others are files no reader should trip over: empty and huge files, binary
junk, text behind image/PDF magic bytes, HTML, bad images (bad BMP headers, 20×60000 px, a cut multi-page TIFF,
16-bit, alpha, EXIF-rotated, turned pages), PDF bombs and cut PDFs, office zip bombs. A few can only exist at run
time (a FIFO, a symlink to /dev/zero, a file over the size limit, non-UTF-8 file names, 100,000 title lines):
they are listed with `runtime` and made by the harness.

Every input must give: no traceback, no INTERNAL_ERROR, no hang, peak memory under 1.5 GB. On top, `accept`
lists the outcomes that are right for it (any one of them): `status` (document status), `error_code`,
`min_forms`/`max_forms`, `contains` (strings some record field must equal) and `absent` (substrings no record
field may contain).
"""

from __future__ import annotations

import gzip
import io
import random
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from scripts.fuzzing.mutate import Edit, Line, apply_all, lines_of, random_mutation, text_of

ROOT = Path(__file__).resolve().parents[2]
SEED_EXPORT = ROOT / "eval" / "datasets" / "seed" / "000_f0d77478487422c7.txt"
CSV_VARIANT = ROOT / "tests" / "data" / "exports" / "variant_csv_2021.txt"
SEED3_LINES = 81  # forms 1–3 of the seed end at line 81 (its footer)

TYPED_FAILURES = ["EMPTY_DOCUMENT", "BINARY_CONTENT", "UNKNOWN_ENCODING", "NO_FORM_FOUND", "FILE_ACCESS",
                  "RESOURCE_LIMIT", "UNSUPPORTED_FORMAT", "CORRUPT_DOCUMENT", "ENCRYPTED_DOCUMENT"]


def failed(*codes: str) -> dict[str, Any]:
    """An acceptable outcome: the document failed with one of these codes."""
    return {"status": ["failed"], "error_code": list(codes)}


def read(n: int, **more: Any) -> dict[str, Any]:
    """An acceptable outcome: the document was read (ok or partial) into at least n forms."""
    return {"status": ["ok", "partial"], "min_forms": n, **more}


ANY_TYPED = failed(*TYPED_FAILURES)


@dataclass
class BadInput:
    """One input of the corpus."""

    name: str  # path under the corpus folder (for runtime inputs: under the harness's scratch folder)
    category: str
    what: str
    accept: list[dict[str, Any]]
    data: bytes | None = field(default=None, repr=False)
    gold: dict[str, Any] | None = None  # {"base": "seed"|"seed3", "edits": [Edit.to_dict(), …]}
    runtime: str | None = None  # made by the harness: fifo, dev_zero_link, over_limit, non_utf8_name, …

    def manifest(self) -> dict[str, Any]:
        """The manifest entry (no bytes)."""
        entry = {k: v for k, v in asdict(self).items() if k != "data" and v is not None}
        if self.data is not None:
            entry["bytes"] = len(self.data)
        return entry


# --- the seed as lines -------------------------------------------------------------------------------------------


def base_text(base: str) -> str:
    """The text of a base export: `seed` (ten forms) or `seed3` (forms 1–3)."""
    text = SEED_EXPORT.read_text(encoding="utf-8")
    return text if base == "seed" else "\n".join(text.split("\n")[:SEED3_LINES])


def base_lines(base: str) -> list[Line]:
    """A base export as lines of cells."""
    return lines_of(base_text(base))


def _edited(base: str, edits: list[Edit]) -> tuple[list[Line], dict[str, Any]]:
    return apply_all(base_lines(base), edits), {"base": base, "edits": [e.to_dict() for e in edits]}


def _content_lines(lines: list[Line]) -> list[int]:
    return [i for i, line in enumerate(lines) if line.text.strip()]


def _cells_with_text(lines: list[Line], rng: random.Random, numeric: bool = False) -> tuple[int, int]:
    """A random (line, cell) holding text (or a number)."""
    candidates = [(i, k) for i in _content_lines(lines) for k, c in enumerate(lines[i].cells)
                  if c.text.strip() and (not numeric or _is_number(c.text))]
    return rng.choice(candidates)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _find(lines: list[Line], start: str, after: int = 0) -> int:
    """The first line at or after `after` whose text starts with `start` (spaces inside labels ignored)."""
    return next(i for i, line in enumerate(lines) if i >= after and "".join(line.text.split()).startswith(start))


# --- text: bytes and encodings -----------------------------------------------------------------------------------


INVALID_BYTES = [b"\xff", b"\x80", b"\xc3", b"\xed\xa0\x80"]  # never valid / a lone continuation / a cut lead / a surrogate


def encoding_inputs(rng: random.Random) -> list[BadInput]:
    """Bad bytes in an otherwise good export: one invalid byte, a cut, two encodings glued, UTF-16 without BOM."""
    out: list[BadInput] = []
    lines = base_lines("seed")
    text = text_of(lines)
    raw = [line.text.encode("utf-8") for line in lines]
    all10 = [read(10)]
    for n in range(12):
        k = rng.choice(_content_lines(lines))
        chars = lines[k].text
        pos = len(chars[: rng.randrange(len(chars) + 1)].encode("utf-8"))
        bad = INVALID_BYTES[n % len(INVALID_BYTES)]
        damaged = list(raw)
        damaged[k] = raw[k][:pos] + bad + raw[k][pos:]
        _, gold = _edited("seed", [Edit("damage", k)])
        out.append(BadInput(f"encoding/invalid-byte-{n:02d}.txt", "encoding",
                            f"UTF-8 seed with {bad.hex()} inserted in line {k + 1}", all10, b"\n".join(damaged), gold))
    data = text.encode("utf-8")
    last = len(lines) - 1
    for cut in (1, 2):
        _, gold = _edited("seed", [Edit("cut", last)])
        out.append(BadInput(f"encoding/missing-last-bytes-{cut}.txt", "encoding",
                            f"UTF-8 seed missing its last {cut} byte(s) (inside the footer's last character)",
                            all10, data[:-cut], gold))
    form_ends = [28, 55, 81, 105, 131, 156, 182, 206, 233, 260]  # the seed forms' last lines
    for n in range(8):
        offset = rng.randrange(len(data) // 10, len(data))
        prefix = data[:offset]
        k = prefix.count(b"\n")
        whole = sum(1 for end in form_ends if end <= k)  # forms ending before the cut line
        _, gold = _edited("seed", [Edit("cut", k)])
        out.append(BadInput(f"encoding/truncated-{n:02d}.txt", "encoding",
                            f"UTF-8 seed cut at byte {offset} (line {k + 1})", [read(max(1, whole))], prefix, gold))
    for n in range(6):
        k = rng.choice(_content_lines(lines)[5:-5])
        first, second = ("utf-8", "gbk") if n < 4 else ("gbk", "utf-8")
        glued = ("\n".join(x.text for x in lines[:k]).encode(first) + b"\n"
                 + "\n".join(x.text for x in lines[k:]).encode(second))
        out.append(BadInput(f"encoding/{first}-then-{second}-{n:02d}.txt", "encoding",
                            f"lines 1–{k} in {first.upper()}, the rest in {second.upper()} (two exports glued)",
                            all10, glued, _edited("seed", [])[1]))
    for codec in ("utf-16-le", "utf-16-be"):
        out.append(BadInput(f"encoding/{codec}-no-bom.txt", "encoding", f"the seed in {codec.upper()} without a BOM",
                            all10, text.encode(codec), _edited("seed", [])[1]))
    for cut in (1, 3):
        data16 = b"\xff\xfe" + text.encode("utf-16-le")
        _, gold = _edited("seed", [Edit("cut", last)])
        out.append(BadInput(f"encoding/utf-16-bom-cut-{cut}.txt", "encoding",
                            f"UTF-16 LE with BOM, last {cut} byte(s) missing (odd length)", all10, data16[:-cut], gold))
    controls = {
        "utf-8-bom": (b"\xef\xbb\xbf" + data, "UTF-8 with BOM"),
        "utf-16-bom": (text.encode("utf-16"), "UTF-16 with BOM"),
        "gb18030": (text.encode("gb18030"), "GB18030"),
        "crlf": (text.replace("\n", "\r\n").encode("utf-8"), "CRLF line ends"),
        "cr": (text.replace("\n", "\r").encode("utf-8"), "old-Mac CR line ends"),
        "mixed-eol": ((lines[0].text + "".join(("\r\n" if i % 2 else "\n") + x.text for i, x in enumerate(lines)
                                               if i)).encode("utf-8"), "CRLF and LF alternating"),
    }
    for name, (blob, what) in controls.items():
        out.append(BadInput(f"encoding/control-{name}.txt", "encoding", f"the seed in {what} (must read as the seed)",
                            all10, blob, _edited("seed", [])[1]))
    for n in range(2):
        k = rng.choice(_content_lines(lines))
        damaged = list(raw)
        pos = rng.randrange(len(raw[k]) + 1)
        while pos and pos < len(raw[k]) and (raw[k][pos] & 0xC0) == 0x80:  # keep characters whole
            pos -= 1
        damaged[k] = raw[k][:pos] + b"\x00" + raw[k][pos:]
        _, gold = _edited("seed", [Edit("damage", k)])
        out.append(BadInput(f"encoding/nul-byte-{n:02d}.txt", "encoding", f"one NUL byte in line {k + 1}", all10,
                            b"\n".join(damaged), gold))
    mojibake = data.decode("latin-1").encode("utf-8")
    out.append(BadInput("encoding/mojibake-latin1.txt", "encoding", "UTF-8 read as Latin-1 and saved as UTF-8 again",
                        [failed("NO_FORM_FOUND", "BINARY_CONTENT", "UNKNOWN_ENCODING")], mojibake))
    from scripts.corpus.text_export import to_traditional

    out.append(BadInput("encoding/big5-traditional.txt", "encoding", "the seed in Traditional characters, Big5",
                        all10, to_traditional(text).encode("big5", errors="replace")))
    return out


# --- text: quotes, tabs, numbers, lines ----------------------------------------------------------------------------


def quote_inputs(rng: random.Random) -> list[BadInput]:
    """Stray and balanced quotes in cells (tab-separated and CSV exports)."""
    out: list[BadInput] = []
    lines = base_lines("seed3")
    for n in range(10):
        i, k = _cells_with_text(lines, rng)
        edited, gold = _edited("seed3", [Edit("insert", i, cell=k, pos=0, char='"')])
        out.append(BadInput(f"quotes/stray-{n:02d}.txt", "quotes", f"a stray \" at the start of L{i + 1}C{k + 1}",
                            [read(3)], text_of(edited).encode("utf-8"), gold))
    for n in range(10):
        i, k = _cells_with_text(lines, rng)
        text = lines[i].cells[k].text
        a = rng.randrange(len(text))
        b = rng.randrange(a, len(text)) + 1
        left, right = ('"', '"') if n < 7 else ("“", "”")
        edits = [Edit("insert", i, cell=k, pos=b, char=right), Edit("insert", i, cell=k, pos=a, char=left)]
        edited, gold = _edited("seed3", edits)
        out.append(BadInput(f"quotes/balanced-{n:02d}.txt", "quotes", f"{left}…{right} around part of L{i + 1}C{k + 1}",
                            [read(3)], text_of(edited).encode("utf-8"), gold))
    csv = CSV_VARIANT.read_text(encoding="utf-8")
    # (cell, printed as, the value that must come out): a whole quoted field is CSV quoting, the rest is text.
    for n, (old, new, value) in enumerate([
            ("监理小区数量", '"监理"小区数量', '"监理"小区数量'), ("工程质量合格率", '"工程质量合格率', '"工程质量合格率'),
            ("按合同工期完成率", '按合同"工期"完成率', '按合同"工期"完成率'),
            ("居民居住条件改善", '"居民居住条件改善', '"居民居住条件改善'), ("监理费用控制", '"监理费用控制"', "监理费用控制"),
            ("老旧小区改造工程监理服务", '"两违"整治·老旧小区改造', '"两违"整治·老旧小区改造')]):
        out.append(BadInput(f"quotes/csv-{n:02d}.txt", "quotes", f"the CSV export with {new} for {old}",
                            [read(1, contains=[value])], csv.replace(old, new, 1).encode("utf-8")))
    for n in range(6):  # random quotes at the start of CSV cells
        rows = csv.split("\n")
        r = rng.randrange(2, len(rows))
        cells = rows[r].split(",")
        c = rng.randrange(len(cells))
        if cells[c].startswith('"') or not cells[c]:
            cells[c] = '"' + cells[c] + "x"
        else:
            cells[c] = '"' + cells[c]
        rows[r] = ",".join(cells)
        out.append(BadInput(f"quotes/csv-stray-{n:02d}.txt", "quotes", f"a stray quote in CSV line {r + 1}", [read(1)],
                            "\n".join(rows).encode("utf-8")))
    return out


def tab_inputs(rng: random.Random) -> list[BadInput]:
    """Missing, merged and extra tabs."""
    out: list[BadInput] = []
    lines = base_lines("seed3")
    tabbed = [i for i in _content_lines(lines) if len(lines[i].cells) > 1]
    for n in range(13):
        i = rng.choice(tabbed)
        k = rng.randrange(len(lines[i].cells) - 1)
        joiner = " " if n >= 10 else ""
        edited, gold = _edited("seed3", [Edit("drop_tab", i, cell=k, char=joiner or None)])
        out.append(BadInput(f"tabs/missing-tab-{n:02d}.txt", "tabs",
                            f"L{i + 1}: the tab after cell {k + 1} {'replaced by a space' if joiner else 'missing'}",
                            [read(3)], text_of(edited).encode("utf-8"), gold))
    for n in range(8):
        i, k = _cells_with_text(lines, rng)
        pos = rng.randrange(len(lines[i].cells[k].text) + 1)
        edited, gold = _edited("seed3", [Edit("add_tab", i, cell=k, pos=pos)])
        out.append(BadInput(f"tabs/extra-tab-{n:02d}.txt", "tabs", f"L{i + 1}C{k + 1}: a tab inserted at {pos}",
                            [read(3)], text_of(edited).encode("utf-8"), gold))
    for n in range(3):
        i = rng.choice(tabbed)
        edits = [Edit("drop_tab", i, cell=k, char=" ") for k in reversed(range(len(lines[i].cells) - 1))]
        edited, gold = _edited("seed3", edits)
        out.append(BadInput(f"tabs/row-with-spaces-{n:02d}.txt", "tabs", f"L{i + 1}: every tab a space", [read(3)],
                            text_of(edited).encode("utf-8"), gold))
    return out


UNREADABLE = ["0.0型0", "1器00.0", "1.67e2", "148.79.00", "1,48.79", "１４８．７９", "148,79", "−10", "10%", "1 0.00",
              "+15.00", "15.0O", "壹拾", "0x10", "NaN", "Infinity", "1e400", "99999999999999999999.99", "-0.00", "''"]


def number_inputs(rng: random.Random) -> list[BadInput]:
    """A number cell replaced by something a number reader may choke on."""
    out: list[BadInput] = []
    lines = base_lines("seed3")
    for n, text in enumerate(UNREADABLE):
        i, k = _cells_with_text(lines, rng, numeric=True)
        edited, gold = _edited("seed3", [Edit("set", i, cell=k, text=text)])
        out.append(BadInput(f"numbers/number-{n:02d}.txt", "numbers",
                            f"L{i + 1}C{k + 1} {lines[i].cells[k].text!r} printed as {text!r}", [read(3)],
                            text_of(edited).encode("utf-8"), gold))
    return out


def line_inputs(rng: random.Random) -> list[BadInput]:
    """Deleted, duplicated and swapped lines, random and aimed at the lines that hold a form together."""
    out: list[BadInput] = []
    lines = base_lines("seed3")
    content = _content_lines(lines)
    for kind in ("delete", "duplicate", "swap"):
        for n in range(8):
            i = rng.choice(content)
            other = rng.choice([j for j in content if j != i and abs(j - i) <= 6]) if kind == "swap" else None
            edited, gold = _edited("seed3", [Edit(kind, i, other=other)])
            what = f"{kind} L{i + 1}" + (f" and L{(other or 0) + 1}" if other is not None else "")
            out.append(BadInput(f"lines/{kind}-{n:02d}.txt", "lines", what, [read(2)], text_of(edited).encode("utf-8"),
                                gold))
    form2 = 28  # form 2 starts after line 28
    aimed = [
        ("delete-goals-label", [Edit("delete", _find(lines, "年度总体目标", form2))], "form 2's 年度总体目标 row deleted"),
        ("delete-goals-row", [Edit("delete", _find(lines, "年度总体目标", form2) + 1)], "form 2's goals text row deleted"),
        ("delete-title", [Edit("delete", _find(lines, "财政项目支出绩效自评表", form2))], "form 2's title deleted"),
        ("delete-footer", [Edit("delete", _find(lines, "注", form2))], "form 2's footer deleted"),
        ("delete-total", [Edit("delete", _find(lines, "总分", form2))], "form 2's 总分 row deleted"),
        ("delete-grade", [Edit("delete", _find(lines, "评分等级", form2))], "form 2's 评分等级 row deleted"),
        ("delete-name", [Edit("delete", _find(lines, "项目名称", form2))], "form 2's 项目名称 row deleted"),
        ("delete-indicator-header", [Edit("delete", _find(lines, "绩效指标", form2))], "form 2's indicator header deleted"),
        ("delete-funds-header", [Edit("delete", _find(lines, "项目资金", form2))], "form 2's 项目资金 header deleted"),
        ("title-inside", [Edit("swap", _find(lines, "财政项目支出绩效自评表", form2), other=_find(lines, "项目资金", form2))],
         "form 2's title swapped into its body"),
    ]
    for name, edits, what in aimed:
        edited, gold = _edited("seed3", edits)
        out.append(BadInput(f"lines/{name}.txt", "lines", what, [read(2)], text_of(edited).encode("utf-8"), gold))
    return out


def mutation_inputs(seed: int, count: int = 60) -> list[BadInput]:
    """Random mutations of forms 1–3 (the mutation test's edits, other numbers)."""
    out: list[BadInput] = []
    lines = base_lines("seed3")
    for n in range(count):
        edits = random_mutation(f"corpus:{seed}:{n}", lines)
        edited, gold = _edited("seed3", edits)
        current, described = lines, []
        for edit in edits:
            described.append(edit.describe(current))
            current = apply_all(current, [edit])
        out.append(BadInput(f"mutations/mutation-{n:03d}.txt", "mutations", "; ".join(described), [read(2)],
                            text_of(edited).encode("utf-8"), gold))
    return out


def layout_inputs(rng: random.Random) -> list[BadInput]:
    """Other text layouts (pipe tables, one cell per line, spaces) of generated forms, with lines damaged."""
    from scripts.corpus.dataset import seed_forms
    from scripts.corpus.layouts import Printing, build
    from scripts.corpus.text_export import Mess, render_text

    out: list[BadInput] = []
    forms = seed_forms((4, 5))
    for n in range(16):
        text_layout = ("pipe", "cell_per_line", "cell_per_line_bar", "spaces")[n % 4]
        layouts = [build(f, "seed", Printing(), rng) for f in forms]
        rows = render_text(layouts, rng, Mess(), text_layout).split("\n")
        for _ in range(rng.randint(1, 3)):
            j = rng.randrange(len(rows))
            op = rng.choice(("delete", "duplicate", "flip", "swap"))
            if op == "delete":
                del rows[j]
            elif op == "duplicate":
                rows.insert(j, rows[j])
            elif op == "swap":
                k = min(len(rows) - 1, j + 1)
                rows[j], rows[k] = rows[k], rows[j]
            elif rows[j]:
                p = rng.randrange(len(rows[j]))
                rows[j] = rows[j][:p] + rng.choice("型器|\"'.—0") + rows[j][p + 1:]
        out.append(BadInput(f"layouts/{text_layout}-{n:02d}.txt", "layouts",
                            f"seed forms 4–5 as `{text_layout}` text, a few lines damaged", [read(1)],
                            "\n".join(rows).encode("utf-8")))
    return out


# --- sizes, junk, magic, HTML ----------------------------------------------------------------------------------------


def size_inputs(rng: random.Random) -> list[BadInput]:
    """Empty, nearly empty and oversized text files (the big ones are made at run time)."""
    title = "财政项目支出绩效自评表"
    seed3 = base_text("seed3").split("\n")
    many_rows = "\n".join(seed3[:16] + seed3[16:24] * 60 + seed3[24:28])  # lines 17–24: form 1's indicator rows
    items = [
        ("empty.txt", b"", "zero bytes", [failed("EMPTY_DOCUMENT")]),
        ("whitespace.txt", b" \t \n\n \r\n\t", "white space only", [failed("EMPTY_DOCUMENT")]),
        ("newline.txt", b"\n", "one newline", [failed("EMPTY_DOCUMENT")]),
        ("bom-only.txt", b"\xef\xbb\xbf", "a UTF-8 BOM and nothing else", [failed("EMPTY_DOCUMENT", "NO_FORM_FOUND")]),
        ("one-byte.txt", b"a", "one byte", [failed("NO_FORM_FOUND", "EMPTY_DOCUMENT")]),
        ("one-nul.txt", b"\x00", "one NUL byte", [failed("BINARY_CONTENT", "EMPTY_DOCUMENT")]),
        ("title-only.txt", title.encode(), "a title and nothing else", [failed("NO_FORM_FOUND")]),
        ("title-footer.txt", f"{title}\n注：格式以系统导出为准".encode(), "a title and a footer", [failed("NO_FORM_FOUND")]),
        ("titles-50.txt", "\n".join([title] * 50).encode(), "50 title lines", [failed("NO_FORM_FOUND")]),
        ("blank-lines.txt", b"\n" * 5000, "5,000 empty lines", [failed("EMPTY_DOCUMENT")]),
        ("indicator-rows-480.txt", many_rows.encode(), "form 1 with its indicator rows repeated 60 times",
         [read(1)]),
        ("long-line-200k.txt", ("项目名称" + "长" * 200_000).encode(), "one line of 200,000 characters",
         [failed("NO_FORM_FOUND"), read(1)]),
        ("form-in-one-line.txt", base_text("seed3").replace("\n", " ").encode(), "forms 1–3 with every newline gone",
         [read(1), failed("NO_FORM_FOUND")]),
    ]
    return [BadInput(f"sizes/{name}", "sizes", what, accept, data) for name, data, what, accept in items]


def runtime_inputs() -> list[BadInput]:
    """Inputs the harness makes at run time (not committed: a FIFO, links to devices, big or oddly named files)."""
    seed = [read(10)]
    items = [
        ("fifo.txt", "fifo", "a FIFO named like an export (nobody writes to it)", [failed("FILE_ACCESS")]),
        ("dev-zero.txt", "dev_zero_link", "a symlink to /dev/zero (stat says 0 bytes, reading never ends)",
         [failed("FILE_ACCESS", "RESOURCE_LIMIT")]),
        ("over-limit.txt", "over_limit", "a sparse file one byte over EXTRACTOR_MAX_FILE_BYTES",
         [failed("RESOURCE_LIMIT")]),
        ("dangling.txt", "dangling_link", "a symlink to nowhere", [failed("FILE_ACCESS")]),
        ("gbk-name", "non_utf8_name", "the seed under a GBK file name (\\xc4\\xea\\xb6\\xc8.txt, 年度)", seed),
        ("latin1-name", "non_utf8_name_latin1", "the seed under a Latin-1 file name (r\\xe9sum\\xe9.txt)", seed),
        ("titles-100000.txt", "titles", "100,000 title lines (form splitting must stay linear)",
         [failed("NO_FORM_FOUND")]),
        ("seed-x100.txt", "many_forms", "the seed 100 times: 1,000 forms in one export", [read(1000)]),
        ("long-line-5m.txt", "long_line", "one line of 5,000,000 characters", [failed("NO_FORM_FOUND"), read(1)]),
    ]
    return [BadInput(f"runtime/{name}", "runtime", what, accept, runtime=kind) for name, kind, what, accept in items]


def junk_inputs(rng: random.Random) -> list[BadInput]:
    """Binary junk and other formats named like exports."""
    seed = base_text("seed").encode("utf-8")
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("export.txt", date_time=(2024, 1, 1, 0, 0, 0)), seed)
    items = [(f"random-{size}.txt", bytes(rng.getrandbits(8) for _ in range(size)), f"{size} random bytes")
             for size in (16, 512, 4096, 65536)]
    items += [(f"high-bytes-{n}.txt", bytes(rng.randrange(0x80, 0x100) for _ in range(3000)),
               "3,000 random bytes ≥ 0x80, no NUL") for n in range(2)]
    items += [
        ("elf.txt", b"\x7fELF\x02\x01\x01" + bytes(rng.getrandbits(8) for _ in range(2000)), "an ELF header"),
        ("exe.txt", b"MZ\x90\x00" + bytes(rng.getrandbits(8) for _ in range(2000)), "a Windows executable header"),
        ("seed.txt.gz.txt", gzip.compress(seed, mtime=0), "the seed gzipped"),
        ("seed-zip.txt", zipped.getvalue(), "the seed zipped"),
        ("sqlite.txt", b"SQLite format 3\x00" + bytes(4080), "an SQLite header"),
        ("rtf.txt", b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 SimSun;}}\\f0 \\u39033?\\u30446? }", "an RTF document"),
        ("utf-32-bom.txt", base_text("seed3").encode("utf-32"), "forms 1–3 in UTF-32 with BOM"),
        ("utf-32-le.txt", base_text("seed3").encode("utf-32-le"), "forms 1–3 in UTF-32 LE without BOM"),
        ("pdf-no-header.txt", b"1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF", "PDF body, no header"),
    ]
    accept = [ANY_TYPED]
    out = [BadInput(f"junk/{name}", "junk", what, accept, data) for name, data, what in items]
    for entry in out:
        if "utf-32" in entry.name:
            entry.accept = [ANY_TYPED, read(3)]
    return out


MAGIC = {"bm": b"BM", "pdf": b"%PDF-1.4\n", "zip": b"PK\x03\x04", "gif": b"GIF89a", "png": b"\x89PNG\r\n\x1a\n",
         "tiff-le": b"II*\x00", "tiff-be": b"MM\x00*", "jpeg": b"\xff\xd8\xff\xe0", "webp": b"RIFF\x24\x00\x00\x00WEBP",
         "gzip": b"\x1f\x8b\x08\x00"}


def magic_inputs(rng: random.Random) -> list[BadInput]:
    """Files that start like an image, a PDF or an archive but are text or junk."""
    text = base_text("seed3").encode("utf-8")
    out = [BadInput("magic/text-starting-BM.txt", "magic", "forms 1–3 after a first line `BM-2024-001` (a file number)",
                    [read(3)], b"BM-2024-001\n" + text),
           BadInput("magic/text-starting-GIF8.txt", "magic", "forms 1–3 after a first line `GIF8 专项`",
                    [read(3)], "GIF8 专项\n".encode() + text)]
    for name, magic in MAGIC.items():
        out.append(BadInput(f"magic/{name}-then-text.txt", "magic", f"{magic!r} then forms 1–3", [read(3), ANY_TYPED],
                            magic + text))
        out.append(BadInput(f"magic/{name}-then-junk.bin", "magic", f"{magic!r} then 1,000 random bytes", [ANY_TYPED],
                            magic + bytes(rng.getrandbits(8) for _ in range(1000))))
    return out


def html_inputs(rng: random.Random) -> list[BadInput]:
    """Web pages (and web pages saved as .xls/.doc, as some systems export them)."""
    seed_rows = base_text("seed3").split("\n")[:28]
    table = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row.split("\t")) + "</tr>" for row in seed_rows)
    page = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>绩效自评</title></head><body>"
            f"<table border=1>{table}</table></body></html>")
    letter = "<html><body><h1>关于开展绩效自评的通知</h1><p>各单位：请于月底前报送。</p></body></html>"
    pre = f"<html><body><pre>{chr(10).join(seed_rows)}</pre><script>alert(1)</script></body></html>"
    no_markup = {"absent": ["<td", "</", "<tr", "<html", "<pre", "<body"]}
    table_ok = [read(1, **no_markup), failed("UNSUPPORTED_FORMAT", "NO_FORM_FOUND")]
    items = [
        ("letter.html", letter.encode(), "a web page with a notice, no form", [failed("NO_FORM_FOUND", "UNSUPPORTED_FORMAT")]),
        ("form-table.html", page.encode(), "form 1 as an HTML table", table_ok),
        ("form-table.xls", page.encode(), "the HTML table saved as .xls", table_ok),
        ("form-table.doc", page.encode(), "the HTML table saved as .doc", table_ok),
        ("form-pre.html", pre.encode(), "form 1's export inside <pre>, a <script> after it", table_ok),
        ("form-table-gbk.html", page.replace("utf-8", "gbk").encode("gbk"), "the HTML table in GBK", table_ok),
    ]
    return [BadInput(f"html/{name}", "html", what, accept, data) for name, data, what, accept in items]


# --- images ------------------------------------------------------------------------------------------------------


def _form_pages(numbers: tuple[int, ...], dpi: int = 150) -> list[Any]:
    """Seed forms rendered as born-digital pages, rasterised to greyscale images (PIL)."""
    import pymupdf
    from PIL import Image

    from scripts.corpus import pdf
    from scripts.corpus.dataset import seed_forms
    from scripts.corpus.layouts import Printing, build

    layouts = [build(form, "seed", Printing(), random.Random(n)) for n, form in zip(numbers, seed_forms(numbers),
                                                                                       strict=True)]
    data, _ = pdf.render(layouts)
    doc = pymupdf.open(stream=data, filetype="pdf")
    pages = []
    for page in doc:
        pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY)
        pages.append(Image.frombytes("L", (pix.width, pix.height), pix.samples))
    return pages


def _save(image: Any, fmt: str, **options: Any) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + kind + body + zlib.crc32(kind + body).to_bytes(4, "big")


def image_inputs(rng: random.Random) -> list[BadInput]:
    """Images of form 1 in every awkward shape, and broken image files."""
    import numpy as np
    from PIL import Image

    page = _form_pages((1,))[0]
    name = "巡查员工作经费"
    form1 = [read(1, contains=[name])]
    out: list[BadInput] = []

    def add(file: str, what: str, data: bytes, accept: list[dict[str, Any]] = form1) -> None:
        out.append(BadInput(f"images/{file}", "images", what, accept, data))

    add("control.png", "form 1, upright, 8-bit grey PNG at 150 dpi (the control)", _save(page, "PNG", optimize=True))
    for angle in (90, 180, 270):
        add(f"turned-{angle}.png", f"form 1 turned {angle}°", _save(page.rotate(angle, expand=True), "PNG", optimize=True))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: turn 90° clockwise to view
    add("exif-rotated.jpg", "form 1 stored turned 90° anticlockwise with EXIF orientation 6 (a phone photo)",
        _save(page.rotate(90, expand=True), "JPEG", quality=60, exif=exif))
    sixteen = Image.fromarray((np.asarray(page, dtype=np.uint16) * 257).astype(np.uint16))
    add("grey-16bit.png", "form 1 as 16-bit greyscale PNG", _save(sixteen, "PNG"))
    add("grey-16bit.tif", "form 1 as 16-bit greyscale TIFF", _save(sixteen, "TIFF", compression="tiff_deflate"))
    ink = Image.fromarray(255 - np.asarray(page))
    black = Image.new("RGB", page.size, (0, 0, 0))
    transparent = black.copy()
    transparent.putalpha(ink)
    add("alpha.png", "form 1 as black ink on a transparent background (RGB all black, alpha = ink)",
        _save(transparent, "PNG", optimize=True))
    add("bilevel-g4.tif", "form 1 as a 1-bit CCITT G4 TIFF (the `=` of `=100.00(%)` must survive)",
        _save(page.point(lambda v: 255 if v > 160 else 0).convert("1"), "TIFF", compression="group4"),
        [read(1, contains=[name, "=100.00(%)"])])
    pages = _form_pages((1, 2, 3))
    tiff = _save(pages[0], "TIFF", compression="tiff_deflate", save_all=True, append_images=pages[1:])
    add("multipage.tif", "forms 1–3 as a three-page TIFF (the control)", tiff, [read(3)])
    add("multipage-cut.tif", "the three-page TIFF cut in its last page", tiff[: int(len(tiff) * 0.85)],
        [read(2)])
    add("webp.webp", "form 1 as WebP", _save(page, "WEBP", quality=70))
    add("gif.gif", "form 1 as GIF", _save(page, "GIF"), [*form1, failed("UNSUPPORTED_FORMAT")])
    png = _save(page, "PNG", optimize=True)
    add("png-cut.png", "form 1's PNG cut at 60 %", png[: int(len(png) * 0.6)], [ANY_TYPED, read(1)])
    bad_crc = bytearray(png)
    bad_crc[29] ^= 0xFF  # inside the IHDR CRC
    add("png-bad-crc.png", "form 1's PNG with a broken header checksum", bytes(bad_crc), [ANY_TYPED, *form1])
    jpeg = _save(page, "JPEG", quality=60)
    add("jpeg-cut.jpg", "form 1's JPEG cut at 50 %", jpeg[: len(jpeg) // 2], [ANY_TYPED, read(1)])
    # Shapes that break resizing and memory.
    tall = Image.new("L", (20, 60000), 255)
    add("tall-20x60000.png", "a 20×60000 px image (resized to width 0)", _save(tall, "PNG", optimize=True),
        [failed("NO_FORM_FOUND", "RESOURCE_LIMIT", "CORRUPT_DOCUMENT")])
    add("wide-60000x20.png", "a 60000×20 px image", _save(tall.rotate(90, expand=True), "PNG", optimize=True),
        [failed("NO_FORM_FOUND", "RESOURCE_LIMIT", "CORRUPT_DOCUMENT")])
    ihdr = (40000).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    bomb = (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 4001))
            + _png_chunk(b"IEND", b""))
    add("header-40000x40000.png", "a PNG whose header claims 40000×40000 px (1.6 G px), 200 bytes of data", bomb,
        [failed("RESOURCE_LIMIT", "CORRUPT_DOCUMENT")])
    add("one-pixel.png", "a 1×1 px image", _save(Image.new("L", (1, 1), 255), "PNG"),
        [failed("NO_FORM_FOUND", "CORRUPT_DOCUMENT", "RESOURCE_LIMIT")])
    add("empty.png", "zero bytes named .png", b"", [failed("EMPTY_DOCUMENT")])
    bmp = _save(Image.new("L", (64, 64), 255), "BMP")
    corrupt = [("bmp-zero-width.bmp", bmp[:18] + (0).to_bytes(4, "little") + bmp[22:], "a BMP header with width 0"),
               ("bmp-huge.bmp", bmp[:18] + (10**6).to_bytes(4, "little") * 2 + bmp[26:], "a BMP header claiming 10⁶×10⁶ px"),
               ("bmp-bad-offset.bmp", bmp[:10] + (10**8).to_bytes(4, "little") + bmp[14:], "pixel data offset past the end"),
               ("bmp-cut.bmp", bmp[:40], "a BMP cut inside its header")]
    for file, data, what in corrupt:
        add(file, what, data, [failed("CORRUPT_DOCUMENT", "RESOURCE_LIMIT", "NO_FORM_FOUND")])
    return out


# --- PDFs and office files -----------------------------------------------------------------------------------------


def _pdf_forms(numbers: tuple[int, ...]) -> bytes:
    from scripts.corpus import pdf
    from scripts.corpus.dataset import seed_forms
    from scripts.corpus.layouts import Printing, build

    layouts = [build(form, "seed", Printing(), random.Random(n)) for n, form in zip(numbers, seed_forms(numbers),
                                                                                       strict=True)]
    return pdf.render(layouts)[0]


def _pdf_bytes(doc: Any) -> bytes:
    data: bytes = doc.tobytes(garbage=3, deflate=True, no_new_id=True)
    doc.close()
    return data


def pdf_inputs(rng: random.Random) -> list[BadInput]:
    """PDF bombs, cut PDFs and other PDFs a reader must survive."""
    import pymupdf

    two = _pdf_forms((1, 2))
    out: list[BadInput] = []

    def add(file: str, what: str, data: bytes, accept: list[dict[str, Any]]) -> None:
        out.append(BadInput(f"pdf/{file}", "pdf", what, accept, data))

    add("control.pdf", "forms 1–2, born digital (the control)", two, [read(2)])
    for share in (90, 60, 30):
        add(f"cut-{share}.pdf", f"forms 1–2 cut at {share} %", two[: len(two) * share // 100],
            [read(2), {"status": ["partial"]}, ANY_TYPED] if share < 90 else [read(2), {"status": ["partial"]}])
    add("no-xref.pdf", "forms 1–2 without their last 200 bytes (xref and trailer)", two[:-200], [read(2)])
    doc = pymupdf.open()
    page = doc.new_page(width=14400, height=14400)
    page.insert_image(pymupdf.Rect(100, 100, 200, 200), stream=_save(_form_pages((1,))[0].resize((100, 140)), "PNG"))
    add("bomb-page-14400pt.pdf", "a 14400×14400 pt page (the largest PDF allows) holding a small image, no text",
        _pdf_bytes(doc), [failed("RESOURCE_LIMIT", "NO_FORM_FOUND")])
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    image = doc.get_new_xref()  # a bilevel image of zeros: 50 MB of pixels that deflate to a few KB
    doc.update_object(image, "<< /Type /XObject /Subtype /Image /Width 20000 /Height 20000 /BitsPerComponent 1 "
                             "/ColorSpace /DeviceGray >>")
    doc.update_stream(image, bytes(20000 * 20000 // 8), compress=True)
    content = doc.get_new_xref()
    doc.update_object(content, "<< >>")
    doc.update_stream(content, b"q 595 0 0 842 0 0 cm /Im1 Do Q")
    doc.xref_set_key(page.xref, "Resources", f"<< /XObject << /Im1 {image} 0 R >> >>")
    doc.xref_set_key(page.xref, "Contents", f"{content} 0 R")
    add("bomb-image-20000px.pdf", "an A4 page showing one 20000×20000 px image (50 MB of pixels in 6 KB)",
        _pdf_bytes(doc), [failed("RESOURCE_LIMIT", "NO_FORM_FOUND")])
    doc = pymupdf.open(stream=_pdf_forms((1,)), filetype="pdf")
    big = pymupdf.open()
    big_page = big.new_page(width=14400, height=14400)
    big_page.show_pdf_page(pymupdf.Rect(0, 0, 14400 * 595 / 842, 14400), doc, 0)
    add("big-page-text.pdf", "form 1 scaled onto a 14400 pt page (a text layer: no need to rasterise)",
        _pdf_bytes(big), [read(1), failed("RESOURCE_LIMIT")])
    doc = pymupdf.open()
    for _ in range(301):
        doc.new_page(width=200, height=200)
    add("pages-301.pdf", "301 empty pages (the limit is 300)", _pdf_bytes(doc), [failed("RESOURCE_LIMIT")])
    doc = pymupdf.open(stream=_pdf_forms((1,)), filetype="pdf")
    doc[0].set_rotation(180)
    add("rotate-180.pdf", "form 1 on a page with /Rotate 180", _pdf_bytes(doc), [read(1)])
    doc = pymupdf.open(stream=_pdf_forms((1,)), filetype="pdf")
    add("encrypted.pdf", "form 1 behind a user password",
        doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_RC4_128, user_pw="secret", owner_pw="owner", no_new_id=True),
        [failed("ENCRYPTED_DOCUMENT")])
    add("zero-pages.pdf", "a PDF with an empty page tree",
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> "
        b"endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n", [failed("EMPTY_DOCUMENT", "CORRUPT_DOCUMENT", "NO_FORM_FOUND")])
    add("header-then-html.pdf", "a PDF header, then a web page", b"%PDF-1.7\n<html><body>not a pdf</body></html>",
        [ANY_TYPED])
    return out


def _zip(entries: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = method
            z.writestr(info, data)
    return buf.getvalue()


def office_inputs(rng: random.Random) -> list[BadInput]:
    """Office files (readers for them are issue 12's other half): zip bombs and a real workbook, for later."""
    zeros = bytes(50 * 1024 * 1024)
    types = b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
    bomb = _zip([("[Content_Types].xml", types), ("xl/worksheets/sheet1.xml", zeros)])
    docx_bomb = _zip([("[Content_Types].xml", types), ("word/document.xml", zeros)])
    nested = _zip([(f"part{n}.zip", bomb) for n in range(3)])
    rows = base_text("seed3").split("\n")[:28]
    sheet = "".join(f"<row r=\"{r + 1}\">" + "".join(
        f"<c t=\"inlineStr\"><is><t>{c}</t></is></c>" for c in row.split("\t")) + "</row>" for r, row in enumerate(rows))
    workbook = _zip([("[Content_Types].xml", types),
                     ("xl/workbook.xml", b'<workbook><sheets><sheet name="s" sheetId="1"/></sheets></workbook>'),
                     ("xl/worksheets/sheet1.xml", f"<worksheet><sheetData>{sheet}</sheetData></worksheet>".encode())])
    office = [failed("UNSUPPORTED_FORMAT", "BINARY_CONTENT", "RESOURCE_LIMIT", "CORRUPT_DOCUMENT")]
    items = [("zip-bomb.xlsx", bomb, "an .xlsx whose sheet inflates to 50 MB of zeros", office),
             ("zip-bomb.docx", docx_bomb, "a .docx whose body inflates to 50 MB of zeros", office),
             ("nested-zip-bomb.xlsx", nested, "three zip bombs inside a zip named .xlsx", office),
             ("form-1.xlsx", workbook, "form 1's cells as a minimal workbook (inline strings)", [*office, read(1)])]
    return [BadInput(f"office/{name}", "office", what, accept, data) for name, data, what, accept in items]


MAKERS: tuple[Callable[[random.Random], list[BadInput]], ...] = (
    encoding_inputs, quote_inputs, tab_inputs, number_inputs, line_inputs, layout_inputs, size_inputs, junk_inputs,
    magic_inputs, html_inputs, image_inputs, pdf_inputs, office_inputs,
)


def make_inputs(seed: int) -> list[BadInput]:
    """Every committed input, the same bytes for the same seed."""
    inputs: list[BadInput] = []
    for maker in MAKERS:
        inputs += maker(random.Random(f"{seed}:{maker.__name__}"))
    inputs += mutation_inputs(seed)
    names = [i.name for i in inputs]
    if len(names) != len(set(names)):
        raise ValueError("two inputs share a name")
    return inputs
