"""Open a document, tell its kind from its bytes (not its name), and hand back its form grids."""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field

from extractor.errors import UnsupportedFormatError
from extractor.ingest.files import read_document
from extractor.layout import Grid
from extractor.settings import Settings

# Called as OCR work goes: pages done so far, and the page count once known.
PageProgress = Callable[[int, int | None], None]


class DocumentKind(StrEnum):
    """What a file is, judged by content."""

    TEXT_EXPORT = "text_export"
    PDF = "pdf"
    IMAGE = "image"
    # Read by extractor/ingest/office.py:
    HTML = "html"
    DOCX = "docx"
    XLSX = "xlsx"
    XLS = "xls"
    DOC = "doc"
    WPS = "wps"
    ET = "et"
    OFD = "ofd"
    UNSUPPORTED = "unsupported"  # a container no reader takes (encrypted Office, OpenDocument, zip …): refused


_OFFICE_KINDS = frozenset({"html", "docx", "xlsx", "xls", "doc", "wps", "et", "ofd", "unsupported"})
# Signatures of at least three bytes; BMP's two-byte `BM` is taken only with a header that holds together.
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"GIF87a", b"GIF89a")
_PDF_MAGIC = re.compile(rb"%PDF-\d")
# The sizes of the DIB headers BMP writers use (BITMAPCOREHEADER … BITMAPV5HEADER, OS/2 2.x).
_BMP_DIB_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})


class LoadedDocument(BaseModel):
    """A document read down to grids: one grid per form found."""

    kind: DocumentKind
    sha256: str
    size: int
    pages: int | None = None
    grids: list[Grid] = Field(default_factory=list)
    meta: dict[str, object] = Field(default_factory=dict)
    timings: dict[str, float] = Field(default_factory=dict)


def is_bmp(data: bytes, size: int | None = None) -> bool:
    """A BMP header that makes sense: `BM`, a known DIB header size, a pixel offset past the headers and inside
    the file, and a file-size field that is 0 (allowed for uncompressed files) or at least that offset."""
    if len(data) < 26 or not data.startswith(b"BM"):
        return False
    size = len(data) if size is None else size
    file_size, offset, dib = struct.unpack_from("<I4xII", data, 2)
    if dib not in _BMP_DIB_SIZES or not 14 + dib <= offset <= size:
        return False
    return file_size == 0 or file_size >= offset  # a cut-off BMP is still a BMP (and reported as broken)


def sniff(data: bytes, size: int | None = None) -> DocumentKind:
    """The kind of a document from its first bytes (`size`: the whole file's, when `data` is only its head)."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf")
    if _PDF_MAGIC.search(head):
        return DocumentKind.PDF
    if data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP") or is_bmp(data, size):
        return DocumentKind.IMAGE
    if data.startswith(b"BM") and b"\x00" in data[2:26]:
        # `BM` and binary header fields that do not hold together: a broken BMP (CORRUPT_DOCUMENT naming it), not
        # text; a text export starting with `BM` has no NUL bytes there.
        return DocumentKind.IMAGE
    # Office files, web pages and OFD by their content.
    from extractor.ingest.office import sniff_office

    office = sniff_office(data)
    if office is not None:
        return office
    return DocumentKind.TEXT_EXPORT


def open_document(data: bytes, settings: Settings, on_page: PageProgress | None = None
                  ) -> tuple[LoadedDocument, Iterator[Grid]]:
    """The document's identity and meta at once, and its grids as an iterator: a text export's forms are cut one
    at a time as the iterator is drawn (a 100,000-form export never holds all its grids), a PDF's or image's come
    from the pages already read (`on_page` hears of each)."""
    digest = hashlib.sha256(data).hexdigest()
    kind = sniff(data)
    if kind is DocumentKind.TEXT_EXPORT:
        from extractor.ingest.text_export import iter_text_export

        grids, encoding = iter_text_export(data)
        return LoadedDocument(kind=kind, sha256=digest, size=len(data), meta={"encoding": encoding}), grids
    if kind.value in _OFFICE_KINDS:
        try:
            from extractor.ingest import office
        except ImportError as exc:  # pragma: no cover - the office extra is not installed
            raise UnsupportedFormatError(
                f"{kind.value} input needs the office extra: pip install 'perf-form-extractor[office]'") from exc
        doc = office.load(data, kind=kind, sha256=digest, settings=settings)
        return doc, iter(doc.grids)
    try:
        from extractor.ingest import pages as page_reader
    except ImportError as exc:  # the PDF/OCR extra is not installed
        raise UnsupportedFormatError(
            f"{kind.value} input needs the PDF/OCR extra: pip install 'perf-form-extractor[pdf]'"
        ) from exc
    doc = page_reader.load(data, kind=kind, sha256=digest, settings=settings, on_page=on_page)
    return doc, iter(doc.grids)


def load_bytes(data: bytes, settings: Settings) -> LoadedDocument:
    """Read a document's bytes into form grids, whatever its kind (all grids at once)."""
    doc, grids = open_document(data, settings)
    if doc.kind is DocumentKind.TEXT_EXPORT:
        doc.grids = list(grids)
    return doc


def load_path(path: Path, settings: Settings) -> LoadedDocument:
    """Read a file into form grids (through the shared reader: regular files only, under the size cap)."""
    return load_bytes(read_document(path, settings.max_file_bytes).data, settings)
