"""Find the documents under the given folders (recursively), keeping what cannot be read as a reported problem."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extractor.errors import FileAccessError

SUFFIXES = frozenset({".txt", ".tsv", ".csv", ".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"})
# issue 14 (formats): web pages, Word, Excel, WPS and OFD (the kind is still judged by content, not by suffix)
SUFFIXES = SUFFIXES | {".html", ".htm", ".shtml", ".docx", ".docm", ".doc", ".wps", ".xlsx", ".xlsm", ".xls", ".et",
                       ".ofd"}


@dataclass(frozen=True)
class Found:
    """A discovered path; `problem` is the typed error (as a dict) when it cannot be a readable document."""

    path: Path
    problem: dict[str, Any] | None = None
    folder: bool = False  # the problem is a folder that could not be listed (reported, not stored as a document)


def _entry(path: Path) -> Found:
    try:
        st = path.stat()
    except FileNotFoundError:
        return Found(path, FileAccessError(f"{path} is a broken link or vanished").to_dict())
    except OSError as exc:
        return Found(path, FileAccessError(f"cannot stat {path}: {exc.strerror or exc}").to_dict())
    if not stat.S_ISREG(st.st_mode):
        # A FIFO, socket or device named like a document: opening it could block forever, so never read it.
        return Found(path, FileAccessError(f"{path} is not a regular file", mode=stat.filemode(st.st_mode)).to_dict())
    return Found(path)


def discover(roots: list[Path]) -> list[Found]:
    """Files named directly, and files with a document suffix under named folders, in a stable sorted order."""
    found: list[Found] = []
    for root in roots:
        if not root.is_dir():
            found.append(_entry(root))  # named explicitly: taken whatever its suffix; a missing one is reported
            continue
        problems: list[Found] = []

        def unlistable(exc: OSError, problems: list[Found] = problems, root: Path = root) -> None:
            where = Path(exc.filename) if exc.filename else root
            problems.append(Found(where, FileAccessError(f"cannot list folder {where}: {exc.strerror or exc}").to_dict(),
                                  folder=True))

        for dirpath, dirnames, filenames in os.walk(root, onerror=unlistable):
            dirnames.sort()
            for name in sorted(filenames):
                if Path(name).suffix.lower() in SUFFIXES:
                    found.append(_entry(Path(dirpath) / name))
        found += problems
    unique: dict[Path, Found] = {}
    for item in found:  # overlapping roots (a folder and its sub-folder) list a file once
        unique.setdefault(item.path.absolute(), item)
    return list(unique.values())
