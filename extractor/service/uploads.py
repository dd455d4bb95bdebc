"""Accepting an upload: stream it to disk under a cap, judge its type by content, check its limits, keep it.

Files are stored content-addressed (uploads/ab/abcdef…), so the client's file name never becomes a path.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from extractor.errors import BinaryContentError, EmptyDocumentError, EncodingError
from extractor.ingest.files import path_text, read_document
from extractor.ingest.loader import DocumentKind, sniff
from extractor.service.settings import ServiceSettings

CHUNK = 1024 * 1024
_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"|?*]")
_SUFFIX = {DocumentKind.TEXT_EXPORT: ".txt", DocumentKind.PDF: ".pdf", DocumentKind.IMAGE: ".img"}
_SUFFIX.update({kind: f".{kind.value}" for kind in DocumentKind if kind.value not in ("text_export", "pdf", "image")})


class UploadRejected(Exception):  # noqa: N818 - an HTTP answer, not an internal failure
    """An upload the service refuses, with the HTTP status and a code a client can act on."""

    def __init__(self, status_code: int, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status_code, self.code, self.message, self.details = status_code, code, message, details

    def to_dict(self) -> dict[str, Any]:
        """The JSON error body."""
        return {"code": self.code, "message": self.message, **({"details": self.details} if self.details else {})}


@dataclass(frozen=True)
class StagedUpload:
    """A received file in the staging area: hashed, sized, its kind known, not yet kept."""

    filename: str
    temp_path: Path
    sha256: str
    size: int
    kind: DocumentKind
    pages: int | None


def safe_filename(name: str | None) -> str:
    """A display name from a client-given file name: last path component only, no control or odd characters."""
    name = unicodedata.normalize("NFC", path_text(name or ""))  # lone surrogates become \\x escapes
    # Format characters (bidi overrides U+202E, isolates, zero-width joiners) make a name display as another.
    name = "".join(ch for ch in name if unicodedata.category(ch) != "Cf")
    name = re.split(r"[\\/]", name)[-1]  # C:\x\..\y.pdf and ../../etc/passwd alike keep only their last part
    name = _UNSAFE.sub("_", name).strip().lstrip(".")
    return name[:200] or "upload"


def receive(stream: BinaryIO, filename: str | None, settings: ServiceSettings) -> StagedUpload:
    """Copy an uploaded stream to the staging area (refusing it past the size limit), then inspect it."""
    staging = settings.uploads_dir() / "tmp"
    staging.mkdir(mode=0o700, parents=True, exist_ok=True)
    temp = staging / f"{secrets.token_hex(16)}.part"
    digest = hashlib.sha256()
    size = 0
    name = safe_filename(filename)
    try:
        with os.fdopen(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > settings.max_file_bytes:
                    raise UploadRejected(413, "FILE_TOO_LARGE",
                                         f"{name} is larger than the limit of {settings.max_file_bytes} bytes",
                                         filename=name, limit=settings.max_file_bytes)
                digest.update(chunk)
                out.write(chunk)
        kind, pages = inspect(temp, name, size, settings)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return StagedUpload(filename=name, temp_path=temp, sha256=digest.hexdigest(), size=size, kind=kind, pages=pages)


def inspect(path: Path, name: str, size: int, settings: ServiceSettings) -> tuple[DocumentKind, int | None]:
    """The document kind judged by content (never by extension), with its page/pixel limits checked."""
    if size == 0:
        raise UploadRejected(422, "EMPTY_DOCUMENT", f"{name} is empty", filename=name)
    with path.open("rb") as fh:
        head = fh.read(4096)
    kind = sniff(head, size)
    # Zip/OLE2 packages are judged on the whole file (their directory is at its end).
    if kind not in (DocumentKind.TEXT_EXPORT, DocumentKind.PDF, DocumentKind.IMAGE) or head.startswith(
            (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return _check_office(path, name, settings)
    if kind is DocumentKind.TEXT_EXPORT:
        from extractor.service.budgets import check_text_size

        check_text_size(size, name, settings)  # before the text is decoded in memory
        _check_text(path, name, settings)
        return kind, None
    if kind is DocumentKind.PDF:
        return kind, _check_pdf(path, name, settings)
    return kind, _check_image(path, name, settings)


_OFFICE_STATUS = {"RESOURCE_LIMIT": 413, "UNSUPPORTED_FORMAT": 415, "CONFIGURATION_ERROR": 415}


def _check_office(path: Path, name: str, settings: ServiceSettings) -> tuple[DocumentKind, int | None]:
    """A web page, Word, Excel or OFD file: its kind by content, its package checked under the reader's limits
    (members, inflated size, no DTD, not encrypted), so what the worker would refuse is refused here."""
    from extractor.errors import ExtractorError
    from extractor.ingest.office import check

    data = read_document(path, settings.max_file_bytes).data
    kind = sniff(data)
    try:
        check(data, kind, settings)
    except ExtractorError as exc:
        # The API's own code for a type it cannot take stays UNSUPPORTED_MEDIA_TYPE (the reader's code as reason).
        code = "UNSUPPORTED_MEDIA_TYPE" if _OFFICE_STATUS.get(exc.code) == 415 else exc.code
        raise UploadRejected(_OFFICE_STATUS.get(exc.code, 422), code, f"{name}: {exc.message}", filename=name,
                             reason=exc.code, **{k: v for k, v in exc.details.items() if k != "reason"}) from exc
    return kind, None


def _check_text(path: Path, name: str, settings: ServiceSettings) -> None:
    from extractor.ingest.text_export import decode_bytes

    try:
        decode_bytes(read_document(path, settings.max_file_bytes).data)
    except (BinaryContentError, EncodingError) as exc:
        raise UploadRejected(415, "UNSUPPORTED_MEDIA_TYPE",
                             f"{name} is neither a PDF, an image nor a text export ({exc.message})",
                             filename=name, reason=exc.code) from exc
    except EmptyDocumentError as exc:
        raise UploadRejected(422, "EMPTY_DOCUMENT", f"{name} holds no text", filename=name) from exc


def _check_pdf(path: Path, name: str, settings: ServiceSettings) -> int:
    try:
        import pymupdf
    except ImportError as exc:
        raise UploadRejected(415, "UNSUPPORTED_MEDIA_TYPE", "this installation cannot read PDFs (the pdf extra "
                             "is not installed)", filename=name) from exc
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except Exception as exc:  # pymupdf raises several types for a broken file
        raise UploadRejected(422, "CORRUPT_DOCUMENT", f"{name} claims to be a PDF but cannot be opened",
                             filename=name, reason=_reason(exc, path, name)) from exc
    with doc:
        if doc.needs_pass:
            raise UploadRejected(422, "ENCRYPTED_DOCUMENT", f"{name} is password-protected", filename=name)
        pages = doc.page_count
        if pages == 0:
            raise UploadRejected(422, "EMPTY_DOCUMENT", f"{name} has no pages", filename=name)
        if pages > settings.max_pages:
            raise UploadRejected(413, "TOO_MANY_PAGES", f"{name} has {pages} pages, over the limit of "
                                 f"{settings.max_pages}", filename=name, pages=pages, limit=settings.max_pages)
        from extractor.service.budgets import check_pdf_pages

        check_pdf_pages(doc, name, settings)
    return pages


def _check_image(path: Path, name: str, settings: ServiceSettings) -> int:
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError as exc:
        raise UploadRejected(415, "UNSUPPORTED_MEDIA_TYPE", "this installation cannot read images (the pdf extra "
                             "is not installed)", filename=name) from exc
    try:
        # Only the header is read: the pixel count is known before a single pixel is decoded.
        with Image.open(path) as img:
            frames = getattr(img, "n_frames", 1)
            width, height = img.size
            if frames <= settings.max_pages:
                from extractor.service.budgets import check_image_frames

                check_image_frames(img, name, settings)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise UploadRejected(422, "CORRUPT_DOCUMENT", f"{name} looks like an image but cannot be read",
                             filename=name, reason=_reason(exc, path, name)) from exc
    except Image.DecompressionBombError as exc:
        raise UploadRejected(413, "TOO_MANY_PIXELS", f"{name}: {exc}", filename=name,
                             limit=settings.max_image_pixels) from exc
    if width * height > settings.max_image_pixels:
        raise UploadRejected(413, "TOO_MANY_PIXELS", f"{name} is {width}×{height} pixels, over the limit of "
                             f"{settings.max_image_pixels}", filename=name, width=width, height=height,
                             limit=settings.max_image_pixels)
    if frames > settings.max_pages:
        raise UploadRejected(413, "TOO_MANY_PAGES", f"{name} has {frames} pages, over the limit of "
                             f"{settings.max_pages}", filename=name, pages=frames, limit=settings.max_pages)
    return frames


def kept_relative(staged: StagedUpload) -> Path:
    """Where a staged file is kept, relative to the data directory (its content address)."""
    return Path("uploads") / staged.sha256[:2] / (staged.sha256 + _SUFFIX[staged.kind])


def _reason(exc: BaseException, path: Path, name: str) -> str:
    """A reader's error message for the client, with the server's staging path replaced by the file's name."""
    text = str(exc).replace(str(path), name).replace(str(path.parent), "")
    return re.sub(r"(/[^\s'\"]+)+", "…", text)[:200]  # any other absolute path the library names


def keep(staged: StagedUpload, settings: ServiceSettings) -> str:
    """Move a staged file to its content address; returns that path relative to the data directory."""
    relative = kept_relative(staged)
    target = settings.data_dir / relative
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if target.exists():
        staged.temp_path.unlink(missing_ok=True)  # the same bytes were uploaded before
    else:
        os.replace(staged.temp_path, target)
    return relative.as_posix()


def discard(staged: StagedUpload) -> None:
    """Drop a staged file that will not be kept."""
    staged.temp_path.unlink(missing_ok=True)


def read_kept(relative: str, settings: ServiceSettings) -> bytes:
    """The bytes of a kept upload (the path comes from the database, never from a client), read like any
    document: a regular file under the size cap, else a typed load error."""
    return read_document(settings.data_dir / relative, settings.max_file_bytes).data

