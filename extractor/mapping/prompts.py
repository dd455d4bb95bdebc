"""Prompt files: found (installed package or source tree), rendered in a sandbox, hashed for provenance and caching."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, Template
from jinja2.sandbox import ImmutableSandboxedEnvironment

from extractor.errors import ConfigurationError
from extractor.layout import Grid, SourceKind

_PACKAGE_DIR = Path(__file__).resolve().parent.parent / "_prompts"  # the wheel's copy (setup.py build_py)
_SOURCE_DIR = Path(__file__).resolve().parent.parent.parent / "prompts"  # a source checkout / editable install

_ID_HINTS = {
    SourceKind.TEXT_EXPORT: "L24C3 is line 24, column 3 of the text export",
    SourceKind.PDF_TEXT: "p1r5c2 is page 1, table row 5, column 2",
    SourceKind.OCR: "p1r5c2 is page 1, table row 5, column 2 of the scan",
    SourceKind.HTML: "t1r5c2 is table 1, row 5, column 2 of the web page; para3 is its 3rd line outside the tables",
    SourceKind.WORD: "t1r5c2 is table 1, row 5, column 2 of the Word document; para3 is its 3rd paragraph",
    SourceKind.SPREADSHEET: "Sheet1!C5 is cell C5 of the sheet named Sheet1",
    SourceKind.OFD: "p1r5c2 is page 1, table row 5, column 2 of the OFD document",
}


def prompts_dir(override: Path | None = None) -> Path:
    """The folder holding the prompt files: an explicit one, the installed package's, or the source tree's."""
    for candidate in (override, _PACKAGE_DIR, _SOURCE_DIR):
        if candidate is not None and candidate.is_dir():
            return candidate
    raise ConfigurationError("prompt files not found: the package is incomplete (no extractor/_prompts)",
                             searched=[str(_PACKAGE_DIR), str(_SOURCE_DIR)])


@dataclass(frozen=True)
class Prompt:
    """One version of a prompt: its files (part name → text) and their hash."""

    name: str
    version: str
    files: dict[str, str] = field(default_factory=dict)

    @property
    def hash(self) -> str:
        """sha256 over the version's files, names included (16 hex digits are plenty to tell versions apart)."""
        digest = hashlib.sha256()
        for part in sorted(self.files):
            digest.update(part.encode() + b"\0" + self.files[part].encode("utf-8") + b"\0")
        return digest.hexdigest()[:16]

    def describe(self) -> dict[str, str]:
        """What goes into provenance.llm.prompt."""
        return {"name": self.name, "version": self.version, "hash": self.hash}

    def render(self, part: str, **context: Any) -> str:
        """Render one template part in the sandbox; a variable the template names but is not given is an error."""
        source = self.files.get(f"{part}.jinja")
        if source is None:
            raise ConfigurationError(f"prompt {self.name}/{self.version} has no part {part!r}", parts=sorted(self.files))
        return _template(source).render(**context).strip() + "\n"

    def data(self, part: str) -> Any:
        """A JSON file of the version (the worked example)."""
        return json.loads(self.files[f"{part}.json"])


@lru_cache(maxsize=1)
def _environment() -> ImmutableSandboxedEnvironment:
    # Prompts are data: a template may not reach into Python objects or mutate what it is given.
    return ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


@lru_cache(maxsize=32)
def _template(source: str) -> Template:
    return _environment().from_string(source)


def load_prompt(name: str, version: str, directory: Path | None = None) -> Prompt:
    """Read the files `<name>/<version>.*` of a prompt."""
    folder = prompts_dir(directory) / name
    prefix = f"{version}."
    files = {p.name.removeprefix(prefix): p.read_text(encoding="utf-8")
             for p in sorted(folder.glob(f"{version}.*")) if p.is_file()}
    if not files:
        raise ConfigurationError(f"prompt {name}/{version} not found", folder=str(folder))
    return Prompt(name=name, version=version, files=files)


def id_hint(kind: SourceKind) -> str:
    """How to read a cell id of this kind of source."""
    return _ID_HINTS.get(kind, "")


def listing(rows: list[list[tuple[str, str]]]) -> str:
    """Cells as the model sees them: one table row per line, each non-blank cell as `[id] text`."""
    lines = []
    for row in rows:
        cells = [f"[{cid}] {' '.join(text.split())}" for cid, text in row if text.strip()]
        if cells:
            lines.append(" | ".join(cells))
    return "\n".join(lines)


def grid_rows(grid: Grid, only: set[int] | None = None) -> list[list[tuple[str, str]]]:
    """A grid's cells as (id, text) rows, optionally only some row indexes."""
    return [[(c.id, c.text) for c in row] for i, row in enumerate(grid.rows) if only is None or i in only]
