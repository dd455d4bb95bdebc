"""Zip packages (.docx, .xlsx, OFD) and OLE2 compound files (.doc, .xls, .wps, .et), opened defensively.

Office files are archives an attacker controls: a member may inflate to gigabytes (a zip bomb), a package may hold
thousands of members, an XML part may declare entities (billion laughs) or point at external ones (XXE). Every
package is checked here before any library sees it: member count, declared and *actual* inflated sizes (headers
can lie, so members are inflated in chunks and counted), and no XML part may carry a document type declaration —
Office Open XML and OFD never use one, so refusing it outright is safe and needs no entity handling at all.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from extractor.errors import CorruptDocumentError, ResourceLimitError, UnsafeDocumentError
from extractor.settings import Settings

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CHUNK = 1 << 16
# A DTD (and so any entity declaration) in an XML part; checked across chunk borders.
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.I)
_XML_SUFFIXES = (".xml", ".rels", ".vml")


@dataclass
class Package:
    """A zip package whose members passed the limits; members are read through `read` only."""

    zip: zipfile.ZipFile
    names: list[str]
    sizes: dict[str, int] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        """True when the package holds the member (names compare case-insensitively, as Office does)."""
        return name.lower() in self.sizes

    def read(self, name: str) -> bytes:
        """A member's bytes (already inflated once under the limits by `open_package`)."""
        real = next((n for n in self.names if n.lower() == name.lower()), None)
        if real is None:
            raise CorruptDocumentError(f"the package has no member {name}", member=name)
        return self.zip.read(real)


def zip_names(data: bytes) -> list[str] | None:
    """The member names of a zip (central directory only, nothing inflated); None when it is no readable zip."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return zf.namelist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return None


def _is_xml(name: str) -> bool:
    return name.lower().endswith(_XML_SUFFIXES)


def _inflate_counted(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, settings: Settings) -> int:
    """Inflate a member in chunks, counting real bytes (headers can lie); XML parts are scanned for a DTD."""
    total = 0
    tail = b""
    xml = _is_xml(info.filename)
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(_CHUNK):
                total += len(chunk)
                if total > settings.max_member_bytes or total > budget:
                    raise ResourceLimitError(
                        f"member {info.filename} inflates past the limit ({settings.max_member_bytes} bytes per "
                        f"member, {settings.max_unpacked_bytes} in all): a zip bomb or far larger than any form",
                        member=info.filename, limit=settings.max_member_bytes)
                if xml:
                    window = tail + chunk
                    if total == len(chunk) and window[:2] in (b"\xff\xfe", b"\xfe\xff"):
                        window = window.decode("utf-16", errors="ignore").encode("utf-8")
                    if _DTD.search(window):
                        raise UnsafeDocumentError(
                            f"XML part {info.filename} declares a document type (entities): Office and OFD files "
                            "never do; refused rather than parsed (entity expansion, external entities)",
                            member=info.filename)
                    tail = chunk[-32:]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError) as exc:
        if "encrypted" in str(exc).lower():
            from extractor.errors import EncryptedDocumentError

            raise EncryptedDocumentError(f"member {info.filename} is encrypted", member=info.filename) from exc
        raise CorruptDocumentError(f"member {info.filename} cannot be inflated: {exc}", member=info.filename) from exc
    return total


def open_package(data: bytes, settings: Settings, what: str) -> Package:
    """Open a zip package under the limits: member count, inflated bytes per member and in all, no DTD in XML."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise CorruptDocumentError(f"the {what} is not a readable zip package: {exc}") from exc
    infos = zf.infolist()
    if len(infos) > settings.max_archive_members:
        raise ResourceLimitError(f"the {what} holds {len(infos)} members, over the limit of "
                                 f"{settings.max_archive_members}", members=len(infos),
                                 limit=settings.max_archive_members)
    declared = sum(i.file_size for i in infos)
    if declared > settings.max_unpacked_bytes:
        raise ResourceLimitError(f"the {what} would inflate to {declared} bytes, over the limit of "
                                 f"{settings.max_unpacked_bytes}: a zip bomb or far larger than any form",
                                 declared=declared, limit=settings.max_unpacked_bytes)
    sizes: dict[str, int] = {}
    budget = settings.max_unpacked_bytes
    for info in infos:
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            from extractor.errors import EncryptedDocumentError

            raise EncryptedDocumentError(f"the {what} is password-protected (member {info.filename} is encrypted)")
        size = _inflate_counted(zf, info, budget, settings)
        budget -= size
        sizes[info.filename.lower()] = size
    return Package(zip=zf, names=[i.filename for i in infos if not i.is_dir()], sizes=sizes)


def ole_streams(data: bytes) -> list[str] | None:
    """Stream paths of an OLE2 compound file (`WordDocument`, `Workbook`, `Macros/VBA/…`); None when unreadable."""
    try:
        import olefile
    except ImportError:  # pragma: no cover - the office extra is not installed
        return None
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            return ["/".join(parts) for parts in ole.listdir(streams=True, storages=True)]
    except Exception:  # olefile raises OSError and its own errors on broken files
        return None


def ole_stream(data: bytes, name: str, limit: int = 4096) -> bytes | None:
    """The first `limit` bytes of one stream of an OLE2 file, or None."""
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            if not ole.exists(name):
                return None
            with ole.openstream(name) as fh:
                return bytes(fh.read(limit))
    except Exception:
        return None
