"""Read a document's bytes once, in the parent: the hash decides what is skipped and what workers receive."""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from extractor.errors import FileAccessError, ResourceLimitError


@dataclass(frozen=True)
class ReadFile:
    """A file's content with the identity the database keeps for it."""

    path: str
    data: bytes
    sha256: str
    size: int
    mtime_ns: int


def read_file(path: Path, max_bytes: int) -> ReadFile:
    """The file's bytes, hash, size and mtime; access problems and limits as typed load errors."""
    try:
        # O_NONBLOCK: a FIFO that slipped through discovery opens at once instead of waiting for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError as exc:
        raise FileAccessError(f"{path} does not exist (or vanished)") from exc
    except PermissionError as exc:
        raise FileAccessError(f"no permission to read {path}") from exc
    except OSError as exc:
        raise FileAccessError(f"cannot open {path}: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "rb") as fh:
        try:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise FileAccessError(f"{path} is not a regular file", mode=stat.filemode(st.st_mode))
            if st.st_size > max_bytes:
                raise ResourceLimitError(f"file is {st.st_size} bytes, over the limit of {max_bytes}",
                                         size=st.st_size, limit=max_bytes)
            data = fh.read(max_bytes + 1)
        except OSError as exc:
            raise FileAccessError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:  # grew while we read it
        raise ResourceLimitError(f"file is over the limit of {max_bytes} bytes", limit=max_bytes)
    return ReadFile(path=str(path), data=data, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                    mtime_ns=st.st_mtime_ns)
