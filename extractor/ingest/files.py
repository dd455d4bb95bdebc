"""Finding and reading document files: the one reader and the one discovery that `run`, `backfill` and the
service share, so a FIFO, a device or an oversized file meets the same typed error wherever it is named.

Only regular files are read. The size is learnt by reading under the cap, never from `stat` (which says 0 for
/dev/zero and for /proc files). A path becomes text in one way only (`path_text`), so a file name that is not
UTF-8 (usual after unzipping a Windows archive) can be printed, serialised and stored, while the file itself is
still opened by its real bytes.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extractor.errors import FileAccessError, ResourceLimitError

# What a folder search picks up; a file named explicitly is taken whatever its name.
SUFFIXES = frozenset({".txt", ".tsv", ".csv", ".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp",
                      # web pages, Word, Excel, WPS and OFD (the kind is still judged by content, not by suffix)
                      ".html", ".htm", ".shtml", ".docx", ".docm", ".doc", ".wps", ".xlsx", ".xlsm", ".xls", ".et",
                      ".ofd"})

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def path_text(path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> str:
    """The path as printable, storable text: bytes that are not UTF-8 appear as `\\xNN` escapes."""
    try:
        raw = os.fsencode(path)  # undoes the surrogateescape that os.fsdecode put on undecodable bytes
    except UnicodeEncodeError:  # a str with lone surrogates that did not come from the file system
        return os.fspath(path).encode("utf-8", "backslashreplace").decode("utf-8")  # type: ignore[union-attr]
    return raw.decode("utf-8", "backslashreplace")


def _what(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), f"not a regular file ({stat.filemode(mode)})")


def _not_regular(path: Path, mode: int) -> FileAccessError:
    shown = path_text(path)
    kind = _what(mode)
    try:
        target = os.path.realpath(path)
    except (OSError, ValueError):
        target = os.fspath(path)
    via = f" (a link to {path_text(target)})" if os.path.islink(path) else ""
    if stat.S_ISDIR(mode):
        return FileAccessError(f"{shown}{via} is a directory, not a document file", mode=stat.filemode(mode))
    # Opening a FIFO blocks until a writer comes and a device never ends: such a path is refused unread.
    return FileAccessError(f"{shown}{via} is {kind}, not a regular file: not read", mode=stat.filemode(mode))


def _access_error(path: Path, exc: OSError, doing: str) -> FileAccessError:
    shown = path_text(path)
    if isinstance(exc, FileNotFoundError):
        if os.path.lexists(path):
            return FileAccessError(f"{shown} is a broken link (its target does not exist)")
        return FileAccessError(f"{shown} does not exist (or vanished)")
    if isinstance(exc, PermissionError):
        return FileAccessError(f"no permission to read {shown}")
    if isinstance(exc, IsADirectoryError):
        return FileAccessError(f"{shown} is a directory, not a document file")
    return FileAccessError(f"cannot {doing} {shown}: {exc.strerror or exc}")


@dataclass(frozen=True)
class ReadFile:
    """A file's content with the identity the database keeps for it (`path` is its path_text)."""

    path: str
    data: bytes
    sha256: str
    size: int
    mtime_ns: int


def check_regular(path: Path) -> os.stat_result:
    """The file's stat, or FILE_ACCESS when it is missing, unreachable or anything but a regular file."""
    try:
        st = os.stat(path)  # follows links: /dev/zero behind a symlink is seen as the device it is
    except (OSError, ValueError) as exc:
        raise _access_error(path, exc if isinstance(exc, OSError) else OSError(str(exc)), "open") from exc
    if not stat.S_ISREG(st.st_mode):
        raise _not_regular(path, st.st_mode)
    return st


def read_document(path: Path, max_bytes: int) -> ReadFile:
    """A regular file's bytes, read under the cap (RESOURCE_LIMIT past it), with its hash, size and mtime."""
    check_regular(path)
    try:
        # O_NONBLOCK: should the path turn into a FIFO between the check and here, open returns at once.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise _access_error(path, exc, "open") from exc
    with os.fdopen(fd, "rb") as fh:
        try:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise _not_regular(path, st.st_mode)
            # One read of at most the cap plus a byte: the size is what was read, not what stat claimed.
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise _access_error(path, exc, "read") from exc
    if len(data) > max_bytes:
        raise ResourceLimitError(f"{path_text(path)} is larger than the limit of {max_bytes} bytes",
                                 limit=max_bytes)
    return ReadFile(path=path_text(path), data=data, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                    mtime_ns=st.st_mtime_ns)


@dataclass(frozen=True)
class Found:
    """A discovered path; `problem` is the typed error (as a dict) when it cannot be a readable document."""

    path: Path
    problem: dict[str, Any] | None = None
    folder: bool = False  # the problem is a folder that could not be listed (reported, not stored as a document)

    @property
    def text(self) -> str:
        """The path as text (see path_text)."""
        return path_text(self.path)


def _entry(path: Path) -> Found:
    try:
        check_regular(path)
    except FileAccessError as exc:
        return Found(path, exc.to_dict())
    return Found(path)


def discover(roots: list[Path]) -> list[Found]:
    """Files named directly, and files with a document suffix under named folders, in a stable sorted order.

    A named path that cannot be a document (missing, a FIFO, a device) is kept with its problem, so that it is
    reported as a failed document and the batch goes on; a folder that cannot be listed is kept as a problem too.
    """
    found: list[Found] = []
    for root in roots:
        if not root.is_dir():
            found.append(_entry(root))  # named explicitly: taken whatever its suffix; a missing one is reported
            continue
        problems: list[Found] = []

        def unlistable(exc: OSError, problems: list[Found] = problems, root: Path = root) -> None:
            where = Path(exc.filename) if exc.filename else root
            problems.append(Found(where, FileAccessError(
                f"cannot list folder {path_text(where)}: {exc.strerror or exc}").to_dict(), folder=True))

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


def output_problem(path: Path, folder: bool = False) -> str | None:
    """Why `path` cannot be written as an output file (or, with folder, as an output folder); None when it can.

    Checked before any work starts, so a typo in -o costs nothing; the parent folder is never created.
    """
    shown = path_text(path)
    parent = path.parent if path.parent != Path("") else Path(".")
    if folder:
        if path.exists() and not path.is_dir():
            return f"{shown} exists and is not a folder"
        if path.is_dir():
            return None if os.access(path, os.W_OK | os.X_OK) else f"no permission to write in {shown}"
    elif path.is_dir():
        return f"{shown} is a folder: name a file to write to"
    elif path.exists() and not os.access(path, os.W_OK):
        return f"no permission to write {shown}"
    if not parent.is_dir():
        return f"the folder {path_text(parent)} does not exist"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"no permission to write in {path_text(parent)}"
    return None
