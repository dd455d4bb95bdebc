"""Open a document, tell its kind from its bytes (not its name), and hand back its form grids."""

from __future__ import annotations

import hashlib
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field

from extractor.errors import FileAccessError, ResourceLimitError, UnsupportedFormatError
from extractor.layout import Grid
from extractor.settings import Settings


class DocumentKind(StrEnum):
    """What a file is, judged by content."""

    TEXT_EXPORT = "text_export"
    PDF = "pdf"
    IMAGE = "image"
    # --- issue 14 (formats): read by extractor/ingest/office.py -------------------------------------------------
    HTML = "html"
    DOCX = "docx"
    XLSX = "xlsx"
    XLS = "xls"
    DOC = "doc"
    WPS = "wps"
    ET = "et"
    OFD = "ofd"
    UNSUPPORTED = "unsupported"  # a container no reader takes (encrypted Office, OpenDocument, zip …): refused
    # --- end issue 14 ---------------------------------------------------------------------------------------------


_OFFICE_KINDS = frozenset({"html", "docx", "xlsx", "xls", "doc", "wps", "et", "ofd", "unsupported"})  # issue 14
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"BM", b"GIF8")


class LoadedDocument(BaseModel):
    """A document read down to grids: one grid per form found."""

    kind: DocumentKind
    sha256: str
    size: int
    pages: int | None = None
    grids: list[Grid] = Field(default_factory=list)
    meta: dict[str, object] = Field(default_factory=dict)
    timings: dict[str, float] = Field(default_factory=dict)


def sniff(data: bytes) -> DocumentKind:
    """The kind of a document from its first bytes."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf")
    if b"%PDF-" in head[:1024]:
        return DocumentKind.PDF
    if data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return DocumentKind.IMAGE
    # --- issue 14 (formats): office files, web pages and OFD by their content ----------------------------------
    from extractor.ingest.office import sniff_office

    office = sniff_office(data)
    if office is not None:
        return office
    # --- end issue 14 ---------------------------------------------------------------------------------------------
    return DocumentKind.TEXT_EXPORT


def read_bytes(path: Path, settings: Settings) -> bytes:
    """A file's bytes, with access problems and size limits as typed load errors."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise FileAccessError(f"{path} is a directory")
        if size > settings.max_file_bytes:
            raise ResourceLimitError(f"file is {size} bytes, over the limit of {settings.max_file_bytes}",
                                     size=size, limit=settings.max_file_bytes)
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise FileAccessError(f"{path} does not exist (or vanished)") from exc
    except PermissionError as exc:
        raise FileAccessError(f"no permission to read {path}") from exc
    except IsADirectoryError as exc:
        raise FileAccessError(f"{path} is a directory") from exc
    except OSError as exc:
        raise FileAccessError(f"cannot read {path}: {exc.strerror or exc}") from exc


def load_bytes(data: bytes, settings: Settings) -> LoadedDocument:
    """Read a document's bytes into form grids, whatever its kind."""
    digest = hashlib.sha256(data).hexdigest()
    kind = sniff(data)
    if kind is DocumentKind.TEXT_EXPORT:
        from extractor.ingest.text_export import read_text_export

        grids, encoding = read_text_export(data)
        return LoadedDocument(kind=kind, sha256=digest, size=len(data), grids=grids, meta={"encoding": encoding})
    # --- issue 14 (formats) -----------------------------------------------------------------------------------------
    if kind.value in _OFFICE_KINDS:
        try:
            from extractor.ingest import office
        except ImportError as exc:  # pragma: no cover - the office extra is not installed
            raise UnsupportedFormatError(
                f"{kind.value} input needs the office extra: pip install 'perf-form-extractor[office]'") from exc
        return office.load(data, kind=kind, sha256=digest, settings=settings)
    # --- end issue 14 ---------------------------------------------------------------------------------------------
    try:
        from extractor.ingest import pages as page_reader
    except ImportError as exc:  # the PDF/OCR extra is not installed
        raise UnsupportedFormatError(
            f"{kind.value} input needs the PDF/OCR extra: pip install 'perf-form-extractor[pdf]'"
        ) from exc
    return page_reader.load(data, kind=kind, sha256=digest, settings=settings)


def load_path(path: Path, settings: Settings) -> LoadedDocument:
    """Read a file into form grids."""
    return load_bytes(read_bytes(path, settings), settings)
