"""A disk cache of LLM answers keyed by (model, prompt hash, input hash): re-runs and evaluations cost nothing."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def digest(value: Any) -> str:
    """sha256 of a JSON-serialisable value (key order fixed)."""
    return hashlib.sha256(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")).hexdigest()


class AnswerCache:
    """One JSON file per answer under `root/<2 hex>/<key>.json`; written atomically, never holding credentials."""

    def __init__(self, root: Path | None) -> None:
        self.root = root

    @staticmethod
    def key(model: str, prompt_hash: str, input_hash: str) -> str:
        """The cache key of one question."""
        return digest({"model": model, "prompt": prompt_hash, "input": input_hash})

    def _path(self, key: str) -> Path:
        assert self.root is not None
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored entry, or None (a corrupt file counts as a miss)."""
        if self.root is None:
            return None
        path = self._path(key)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable cache entry %s: %s", path, exc)
            return None
        return entry if isinstance(entry, dict) else None

    def put(self, key: str, entry: dict[str, Any]) -> None:
        """Store an entry; a cache that cannot be written only costs a warning."""
        if self.root is None:
            return
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(entry, fh, ensure_ascii=False, indent=1, default=str)
            os.replace(tmp, path)  # readers see the old file or the new one, never half of one
        except OSError as exc:
            log.warning("could not write cache entry %s: %s", path, exc)
