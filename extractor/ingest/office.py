"""Which office format a document is — by its content, never its name — and reading it into form grids.

Zip packages are told apart by their members (`word/document.xml`, `xl/workbook.xml`, `OFD.xml`), OLE2 compound
files by their streams (`WordDocument`; `Workbook`/`Book`; WPS writes the same binary formats and adds
`WpsCustomData` / `ETExtData`), web pages by their first tags. A container of another kind (an encrypted Office
file, an OpenDocument or PowerPoint file, a plain zip, RAR, 7z …) is refused naming what it is and what is read.
"""

from __future__ import annotations

import io
import time
from typing import Any

from extractor.errors import (
    CorruptDocumentError,
    EncryptedDocumentError,
    ResourceLimitError,
    UnsupportedFormatError,
)
from extractor.ingest.containers import OLE_MAGIC, ZIP_MAGIC, ole_stream, ole_streams, zip_names
from extractor.ingest.loader import DocumentKind, LoadedDocument
from extractor.layout import Grid
from extractor.settings import Settings

ACCEPTED = ("text exports (.txt, .tsv, .csv), PDF, images (PNG, JPEG, TIFF, BMP, WebP), web pages (.html), "
            "Word (.docx, .doc, .wps), Excel (.xlsx, .xls, .et) and OFD")
_OTHER_MAGIC = (
    (b"Rar!\x1a\x07", "a RAR archive"), (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"), (b"\x1f\x8b", "a gzip file"),
    (b"\x7fELF", "a Linux program (ELF)"), (b"MZ", "a Windows program"), (b"{\\rtf", "an RTF document"),
    (b"BZh", "a bzip2 file"), (b"\xfd7zXZ\x00", "an xz file"), (b"ID3", "an MP3 file"),
)
OFFICE_KINDS = frozenset({"html", "docx", "xlsx", "xls", "doc", "wps", "et", "ofd"})


def _ole_kind(streams: list[str]) -> DocumentKind:
    names = {s.split("/")[-1].lower() for s in streams}
    top = {s.lower() for s in streams if "/" not in s}
    if "encryptedpackage" in top or "encryptioninfo" in top:
        return DocumentKind.UNSUPPORTED  # an encrypted .docx/.xlsx: refused as ENCRYPTED_DOCUMENT by `refuse`
    if "worddocument" in top:
        return DocumentKind.WPS if "wpscustomdata" in names else DocumentKind.DOC
    if "workbook" in top or "book" in top:
        return DocumentKind.ET if "etextdata" in names else DocumentKind.XLS
    return DocumentKind.UNSUPPORTED


def sniff_office(data: bytes) -> DocumentKind | None:
    """The office kind of a document from its content; UNSUPPORTED for a container read by no reader here, None
    for anything that is not an office file, a web page or a container at all."""
    if data.startswith(ZIP_MAGIC):
        names = zip_names(data)
        if names is None:
            return DocumentKind.UNSUPPORTED
        lower = {n.lower() for n in names}
        if "word/document.xml" in lower:
            return DocumentKind.DOCX
        if "xl/workbook.xml" in lower:
            return DocumentKind.XLSX
        if "ofd.xml" in lower:
            return DocumentKind.OFD
        return DocumentKind.UNSUPPORTED
    if data.startswith(OLE_MAGIC):
        streams = ole_streams(data)
        return DocumentKind.UNSUPPORTED if streams is None else _ole_kind(streams)
    if any(data.startswith(magic) for magic, _ in _OTHER_MAGIC):
        return DocumentKind.UNSUPPORTED
    from extractor.ingest.html_tables import looks_like_html

    if looks_like_html(data):
        return DocumentKind.HTML
    return None


def describe(data: bytes) -> str:
    """What a document read by no reader here is, in words."""
    if data.startswith(ZIP_MAGIC):
        names = zip_names(data)
        if names is None:
            return "a damaged zip archive"
        lower = {n.lower() for n in names}
        if "mimetype" in lower or "content.xml" in lower:
            return "an OpenDocument file (.odt/.ods; save it as .docx or .xlsx)"
        if "ppt/presentation.xml" in lower:
            return "a PowerPoint presentation"
        if "xl/workbook.bin" in lower:
            return "a binary Excel workbook (.xlsb; save it as .xlsx)"
        return f"a zip archive of {len(names)} file(s), not an Office or OFD package"
    if data.startswith(OLE_MAGIC):
        streams = ole_streams(data) or []
        top = {s.lower() for s in streams if "/" not in s}
        if "powerpoint document" in top:
            return "a PowerPoint 97–2003 presentation"
        if any(s.startswith("__substg1.0_") for s in top):
            return "an Outlook message"
        return "an OLE2 compound file that is neither a Word nor an Excel document" + (
            f" (streams: {', '.join(sorted(top)[:6])})" if top else " (unreadable directory)")
    for magic, what in _OTHER_MAGIC:
        if data.startswith(magic):
            return what
    return "a file of unknown format"


def refuse(data: bytes) -> None:
    """Raise the typed error for a container no reader here takes (ENCRYPTED_DOCUMENT, UNSUPPORTED_FORMAT)."""
    if data.startswith(OLE_MAGIC):
        top = {s.lower() for s in (ole_streams(data) or []) if "/" not in s}
        if "encryptedpackage" in top or "encryptioninfo" in top:
            raise EncryptedDocumentError("the Office document is password-protected (an encrypted .docx/.xlsx)")
    raise UnsupportedFormatError(f"the file is {describe(data)}; accepted: {ACCEPTED}", accepted=ACCEPTED)


def _macros(streams: list[str]) -> bool:
    low = [s.lower() for s in streams]
    return any(s.startswith(("macros/", "_vba_project_cur/", "vba/")) or s in ("macros", "_vba_project_cur")
               for s in low)


def _word_encrypted(data: bytes) -> bool:
    """The FIB of a Word binary says fEncrypted (password) or fObfuscated (XOR)."""
    fib = ole_stream(data, "WordDocument", 16)
    if fib is None or len(fib) < 12:
        raise CorruptDocumentError("the Word document has no readable WordDocument stream")
    flags = int.from_bytes(fib[10:12], "little")
    return bool(flags & 0x0100) or bool(flags & 0x8000)


def read_office(data: bytes, kind: DocumentKind, settings: Settings) -> tuple[list[Grid], dict[str, Any]]:
    """Grids and notes of an office document of a known kind."""
    meta: dict[str, Any] = {}
    if kind is DocumentKind.HTML:
        from extractor.ingest.html_tables import read_html

        return read_html(data, settings), meta
    if kind is DocumentKind.DOCX:
        from extractor.ingest.word import read_docx

        return read_docx(data, settings), meta
    if kind is DocumentKind.XLSX:
        from extractor.ingest.spreadsheet import read_xlsx

        return read_xlsx(data, settings), meta
    if kind is DocumentKind.OFD:
        from extractor.ingest.ofd import read_ofd

        return read_ofd(data, settings, meta), meta
    streams = ole_streams(data) or []
    if _macros(streams):
        meta["macros"] = "present (never run)"
    if kind in (DocumentKind.XLS, DocumentKind.ET):
        from extractor.ingest.spreadsheet import read_xls

        try:
            return read_xls(data, settings), meta
        except (CorruptDocumentError, UnsupportedFormatError) as exc:
            if kind is DocumentKind.XLS:
                raise
            meta["converted"] = f"LibreOffice (xlrd: {exc.message})"
        from extractor.ingest.libreoffice import convert
        from extractor.ingest.spreadsheet import read_xlsx

        return read_xlsx(convert(data, "xls", "xlsx", settings), settings), meta
    if kind in (DocumentKind.DOC, DocumentKind.WPS):
        if _word_encrypted(data):
            raise EncryptedDocumentError("the Word document is password-protected")
        from extractor.ingest.libreoffice import convert, network_isolated
        from extractor.ingest.word import read_docx

        meta["converted"] = "LibreOffice" + ("" if network_isolated() else " (no network namespace available)")
        return read_docx(convert(data, "doc", "docx", settings), settings), meta
    refuse(data)
    raise AssertionError("unreachable")  # pragma: no cover


def check(data: bytes, kind: DocumentKind, settings: Settings) -> None:
    """What an upload service can check before keeping a file, without reading its forms: the container's limits
    and safety, encryption, and that this installation can read the kind at all (LibreOffice for .doc/.wps)."""
    if kind is DocumentKind.UNSUPPORTED:
        refuse(data)
    if kind in (DocumentKind.DOCX, DocumentKind.XLSX, DocumentKind.OFD):
        from extractor.ingest.containers import open_package

        open_package(data, settings, kind.value)
    elif kind is DocumentKind.HTML:
        from extractor.ingest.html_tables import decode_html

        decode_html(data)
    elif kind in (DocumentKind.DOC, DocumentKind.WPS):
        if _word_encrypted(data):
            raise EncryptedDocumentError("the Word document is password-protected")
        from extractor.ingest.libreoffice import soffice_path

        soffice_path(settings)
    elif kind in (DocumentKind.XLS, DocumentKind.ET):
        import xlrd

        try:
            xlrd.open_workbook(file_contents=data, on_demand=True, logfile=io.StringIO()).release_resources()
        except xlrd.XLRDError as exc:
            if "encrypt" in str(exc).lower():
                raise EncryptedDocumentError("the workbook is password-protected") from exc
            if kind is DocumentKind.XLS:
                raise CorruptDocumentError(f"the workbook cannot be read: {exc}") from exc
        except Exception as exc:  # xlrd raises struct.error, IndexError … on damaged files
            raise CorruptDocumentError(f"the workbook cannot be read: {type(exc).__name__}: {exc}") from exc


def load(data: bytes, *, kind: DocumentKind, sha256: str, settings: Settings) -> LoadedDocument:
    """An office document read into one grid per form; typed load errors for bad input."""
    if kind is DocumentKind.UNSUPPORTED:
        refuse(data)
    started = time.perf_counter()
    grids, meta = read_office(data, kind, settings)
    elapsed = time.perf_counter() - started
    if elapsed > settings.document_timeout_s:
        raise ResourceLimitError(f"reading took {elapsed:.0f} s, over the limit of {settings.document_timeout_s:.0f} s",
                                 limit_s=settings.document_timeout_s)
    if meta.get("macros"):
        for grid in grids:
            grid.notes.append("the document holds macros: never run")
    truncated = [note for grid in grids for note in grid.notes if "reading stopped" in note]
    if truncated:
        meta["failed_pages"] = [{"error": note} for note in dict.fromkeys(truncated)]
    pages = sorted({p for g in grids for p in g.pages}) if kind is DocumentKind.OFD else []
    return LoadedDocument(kind=kind, sha256=sha256, size=len(data), pages=meta.pop("pages_total", None) or (
        len(pages) or None), grids=grids, meta=meta, timings={"read": round(elapsed, 6)})
