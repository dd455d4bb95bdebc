"""Deliberately broken documents with the outcome a reader must give them (for back-fill and bad-input tests)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pymupdf

from scripts.corpus import content, pdf
from scripts.corpus.layouts import FormLayout
from scripts.corpus.text_export import Mess, render_form


@dataclass
class Broken:
    """One broken document: file name, bytes, claimed kind, and what must come out of it."""

    name: str
    data: bytes
    kind: str
    broken: str
    expect: dict[str, Any]
    note: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


def _failed(*codes: str) -> dict[str, Any]:
    return {"status": "failed", "error_code": list(codes)}


def empty(i: int, **_: Any) -> Broken:
    """Zero bytes behind a .pdf name."""
    return Broken(f"empty-{i:02d}.pdf", b"", "pdf", "empty", _failed("EMPTY_DOCUMENT"))


def truncated_pdf(i: int, born_digital: bytes, **_: Any) -> Broken:
    """A born-digital PDF cut to its first third (no xref, no trailer, most objects gone)."""
    return Broken(f"truncated-{i:02d}.pdf", born_digital[: len(born_digital) // 3], "pdf", "truncated_pdf",
                  _failed("CORRUPT_DOCUMENT", "NO_FORM_FOUND", "EMPTY_DOCUMENT"),
                  note="mupdf may repair what is left; whatever it recovers is not a whole form")


def encrypted_pdf(i: int, born_digital: bytes, **_: Any) -> Broken:
    """A form PDF that needs a user password to open."""
    doc = pymupdf.open(stream=born_digital, filetype="pdf")
    data = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner-secret",
                       garbage=3, deflate=True, no_new_id=True)
    doc.close()
    return Broken(f"encrypted-{i:02d}.pdf", data, "pdf", "encrypted_pdf", _failed("ENCRYPTED_DOCUMENT"),
                  meta={"user_password": "secret"})


def garbage(i: int, rng: random.Random, **_: Any) -> Broken:
    """Random bytes (with NULs) named like a PDF."""
    data = bytes(rng.getrandbits(8) for _ in range(4096))
    return Broken(f"garbage-{i:02d}.pdf", b"\x00\x01" + data, "pdf", "garbage",
                  _failed("BINARY_CONTENT", "CORRUPT_DOCUMENT", "UNSUPPORTED_FORMAT"))


def letter_pdf(i: int, **_: Any) -> Broken:
    """A born-digital letter: Chinese text, no form."""
    doc = pymupdf.open()
    page = doc.new_page(width=pdf.PAGE_W, height=pdf.PAGE_H)
    writer = pymupdf.TextWriter(page.rect)
    y = 90.0
    for line in content.LETTER_LINES:
        for part in pdf.wrap(line, 460, 11):
            writer.append((70, y), part, font=pdf.font(), fontsize=11)
            y += 20
    writer.write_text(page)
    doc.subset_fonts()
    data = doc.tobytes(garbage=3, deflate=True, no_new_id=True, reproducible=True)
    doc.close()
    return Broken(f"letter-{i:02d}.pdf", data, "pdf", "letter", _failed("NO_FORM_FOUND"))


def letter_text(i: int, **_: Any) -> Broken:
    """A plain-text letter with a .txt name."""
    return Broken(f"letter-{i:02d}.txt", "\n".join(content.LETTER_LINES).encode("utf-8"), "text_export", "letter",
                  _failed("NO_FORM_FOUND"))


def cut_text(i: int, layout: FormLayout, rng: random.Random, **_: Any) -> Broken:
    """A text export whose only form stops half way through the indicator table."""
    lines = render_form(layout, rng, Mess.none()).split("\n")
    first = next(k for k, line in enumerate(lines) if line.startswith("绩效指标"))
    data = "\n".join(lines[: first + 3]).encode("utf-8")
    return Broken(f"cut-{i:02d}.txt", data, "text_export", "cut_form",
                  {"status": "ok", "forms": 1, "form_status": "needs_review",
                   "missing_fields": ["total_weight", "total_score", "grade"]})


def cut_pdf(i: int, layout: FormLayout, **_: Any) -> Broken:
    """A born-digital form whose table stops after the goals (the rest of the page never printed)."""
    stop = layout.row_kinds.index("ind_header")
    cut = FormLayout(layout.layout, layout.title, layout.year_line, layout.widths,
                     [c for c in layout.cells if c.row < stop and c.row + c.rowspan <= stop],
                     layout.row_kinds[:stop], layout.record)
    data, _ = pdf.render([cut])
    return Broken(f"cut-{i:02d}.pdf", data, "pdf", "cut_form",
                  {"status": "ok", "forms": 1, "form_status": "needs_review", "missing_fields": ["indicators"]})


MAKERS: tuple[Callable[..., Broken], ...] = (
    empty, truncated_pdf, encrypted_pdf, garbage, letter_pdf, letter_text, cut_text, cut_pdf,
)
