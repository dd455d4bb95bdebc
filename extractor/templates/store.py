"""Induced and user definitions on disk: candidates wait for a reviewer, approved ones join the built-in families.

Layout under the data directory (`EXTRACTOR_DATA_DIR`, default `.extractor`)::

    templates/candidates/<id>.toml    proposed by `extractor templates induce` (or hybrid mapping), proved on samples
    templates/approved/<id>.toml      approved by a reviewer: read like a built-in family from then on
    templates/candidates/<id>.sample.json  the cell texts of a sample form it was proved on
    templates/locks/<fingerprint>.lock held while one process induces a layout (the others wait, then read it)
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock
from pydantic import ValidationError

from extractor.domain.text import norm_key
from extractor.layout import Grid
from extractor.templates.model import TemplateDefinition, TemplateError


class TemplateStore:
    """The candidate and approved definitions of one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.root = Path(data_dir) / "templates"
        self.candidates = self.root / "candidates"
        self.approved = self.root / "approved"

    @classmethod
    def from_env(cls) -> TemplateStore:
        """The store of the data directory the environment names (as Settings would)."""
        return cls(Path(os.environ.get("EXTRACTOR_DATA_DIR", ".extractor")))

    def _write(self, folder: Path, definition: TemplateDefinition) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{definition.id}.toml"
        # Not `*.toml`: another worker globbing the folder must never read a definition half written.
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".part")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(definition.to_toml())
        os.replace(tmp, path)  # a reader sees the old definition or the new one, never half of one
        return path

    @contextmanager
    def layout_lock(self, fingerprint: str) -> Iterator[None]:
        """Hold one layout's lock across processes: back-fill workers meeting the same unknown layout at once
        wait for the first one's induction instead of each asking the LLM (the OS frees it if a worker dies)."""
        locks = self.root / "locks"
        locks.mkdir(parents=True, exist_ok=True)
        with FileLock(str(locks / f"{fingerprint}.lock")):
            yield

    def propose(self, definition: TemplateDefinition, sample: list[list[str]] | None = None) -> Path:
        """Keep an induced definition as a candidate (replacing an earlier candidate of the same id), with the
        cell texts of a sample form it was proved on (the review page shows them beside the definition)."""
        if (self.approved / f"{definition.id}.toml").exists():
            raise TemplateError(f"a family {definition.id!r} is already approved; induce under another id",
                                family=definition.id)
        path = self._write(self.candidates, definition)
        if sample is not None:
            (self.candidates / f"{definition.id}.sample.json").write_text(
                json.dumps(sample, ensure_ascii=False), encoding="utf-8")
        return path

    def sample(self, family: str) -> list[list[str]]:
        """The sample form's rows of cell texts kept with a candidate ([] when none was kept)."""
        path = self.candidates / f"{family}.sample.json"
        if not path.is_file():
            return []
        rows = json.loads(path.read_text(encoding="utf-8"))
        return [[str(text) for text in row] for row in rows] if isinstance(rows, list) else []

    def restore(self, text: str) -> Path | None:
        """Write an approved definition kept elsewhere (the database) back as a file when none of its id is here."""
        try:
            definition = TemplateDefinition.model_validate({"origin": "induced", **tomllib.loads(text)})
        except (tomllib.TOMLDecodeError, ValidationError) as exc:
            raise TemplateError(f"a stored definition cannot be read: {exc}") from exc
        if (self.approved / f"{definition.id}.toml").exists():
            return None
        return self._write(self.approved, definition)

    def candidate(self, family: str) -> TemplateDefinition:
        """A candidate by id."""
        path = self.candidates / f"{family}.toml"
        if not path.is_file():
            raise TemplateError(f"no candidate definition {family!r} in {self.candidates}", family=family)
        return TemplateDefinition.from_file(path, "induced")

    def list(self) -> dict[str, list[TemplateDefinition]]:
        """Candidates and approved definitions."""
        return {
            "candidates": [TemplateDefinition.from_file(p, "induced") for p in _definitions(self.candidates)],
            "approved": [TemplateDefinition.from_file(p, "induced") for p in _definitions(self.approved)],
        }

    def approve(self, family: str, reviewer: str) -> Path:
        """Make a candidate active: it is read like a built-in family from now on (recorded with who and when)."""
        definition = self.candidate(family)
        provenance = {**definition.provenance, "approved_by": reviewer,
                      "approved_at": datetime.now(UTC).isoformat(timespec="seconds")}
        path = self._write(self.approved, definition.model_copy(update={"provenance": provenance}))
        (self.candidates / f"{family}.toml").unlink(missing_ok=True)
        (self.candidates / f"{family}.sample.json").unlink(missing_ok=True)
        return path

    def import_file(self, path: Path, approve: bool = False, reviewer: str = "import") -> Path:
        """Add a definition file (exported elsewhere) as a candidate, or approved at once."""
        definition = TemplateDefinition.from_file(path, "user")
        if approve:
            provenance = {**definition.provenance, "approved_by": reviewer,
                          "approved_at": datetime.now(UTC).isoformat(timespec="seconds")}
            return self._write(self.approved, definition.model_copy(update={"provenance": provenance}))
        return self._write(self.candidates, definition)

    def find(self, family: str) -> TemplateDefinition | None:
        """An approved or candidate definition by id (approved first)."""
        for folder in (self.approved, self.candidates):
            path = folder / f"{family}.toml"
            if path.is_file():
                return TemplateDefinition.from_file(path, "induced")
        return None

    def by_fingerprint(self, fingerprint: str) -> TemplateDefinition | None:
        """The approved or candidate definition induced for a layout fingerprint, if any."""
        for folder in (self.approved, self.candidates):
            for path in _definitions(folder):
                definition = TemplateDefinition.from_file(path, "induced")
                if definition.provenance.get("fingerprint") == fingerprint:
                    return definition
        return None


def sample_rows(grid: Grid) -> list[list[str]]:
    """A form's rows of cell texts, blanks kept, as a candidate's sample is shown beside its definition."""
    return [[cell.text for cell in row] for row in grid.rows]


def fingerprint(grid: Grid) -> str:
    """A layout's fingerprint: the texts of its header rows, in order.

    Forms of one layout print the same header rows whatever their projects; a row of five or more short cells
    without a digit, and nothing else, is a header row (an indicator row always holds a number; the head's
    rows of labels and names hold four cells at most).
    """
    parts: list[str] = []
    for row in grid.rows:
        cells = [c for c in row if not c.blank]
        labels = [norm_key(c.text) for c in cells if 1 < len(norm_key(c.text)) <= 12
                  and not any(ch.isdigit() for ch in c.text)]
        if len(labels) >= 5 and len(labels) == len(cells):
            parts.append("|".join(labels))
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]


def _definitions(folder: Path) -> list[Path]:
    """The definition files of a folder, in order (a hidden file is some writer's, never a definition)."""
    return sorted(p for p in folder.glob("*.toml") if not p.name.startswith("."))
