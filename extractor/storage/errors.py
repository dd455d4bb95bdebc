"""Storage failures: the database is unreachable, full or read-only; the run stops cleanly."""

from __future__ import annotations

from typing import Any

from extractor.errors import ExtractorError


class StorageError(ExtractorError):
    """The database refused a read or write that is not the document's fault."""

    code = "STORAGE_ERROR"

    @classmethod
    def from_exception(cls, exc: BaseException, message: str, **details: Any) -> StorageError:
        """Wrap a driver error, naming a full disk or a read-only database when that is the cause."""
        text = str(getattr(exc, "orig", None) or exc)
        lowered = text.lower()
        if "disk is full" in lowered or "no space left" in lowered or "could not extend file" in lowered:
            kind = "disk_full"
        elif "readonly" in lowered or "read-only" in lowered or "read only" in lowered:
            kind = "read_only"
        elif "unable to open" in lowered or "could not connect" in lowered or "connection" in lowered:
            kind = "unreachable"
        else:
            kind = "other"
        return cls(f"{message}: {text.splitlines()[0] if text else type(exc).__name__}", reason=kind, **details)
