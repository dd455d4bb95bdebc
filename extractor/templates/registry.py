"""The known families: built-in definitions plus a user's own; the label tables they make; picking a family."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field

from extractor.domain.repair import LabelTable
from extractor.domain.text import norm_key, simplified
from extractor.domain.vocabulary import VocabKind, vocabulary
from extractor.templates.model import TemplateDefinition, TemplateError

BUILTIN_DIR = Path(__file__).resolve().parent / "families"
DEFAULT_FAMILY = "central"
# Evidence below this is no evidence: the form is read with the default family's expectations.
MIN_EVIDENCE = 2.0


class TemplateChoice(BaseModel):
    """Which family a form was read as, and why (the cues found, the runner-up)."""

    id: str
    score: float
    cues: list[str] = Field(default_factory=list)
    supported: bool = True
    runner_up: str | None = None
    runner_up_score: float | None = None
    fallback: bool = Field(default=False, description="no family's cues were found: the default family was used")


def _key(text: str) -> str:
    return norm_key(simplified(text))


class TemplateRegistry:
    """Definitions by id, in load order; the label tables are the vocabulary extended by every supported family."""

    def __init__(self, definitions: Sequence[TemplateDefinition]) -> None:
        self.definitions: dict[str, TemplateDefinition] = {}
        for definition in definitions:
            if definition.id in self.definitions:
                raise TemplateError(f"two definitions of the family {definition.id!r}", family=definition.id)
            self.definitions[definition.id] = definition
        self._tables: dict[str | None, dict[VocabKind, LabelTable]] = {}

    def tables(self, family: str | None = None) -> dict[VocabKind, LabelTable]:
        """Label tables to read a form with: the vocabulary plus the family's own spellings.

        Without a family: the vocabulary plus every supported family's spellings that no two families read
        differently (年度总体目标完成情况 is a section title in one family and a column in another).
        """
        if family not in self._tables:
            self._tables[family] = self._build(family)
        return self._tables[family]

    def _build(self, family: str | None) -> dict[VocabKind, LabelTable]:
        tables: dict[VocabKind, LabelTable] = {}
        chosen = [self.get(family)] if family is not None else [d for d in self.definitions.values() if d.supported]
        for kind in VocabKind:
            merged = vocabulary(kind)
            seen: dict[str, set[str]] = {}
            for definition in chosen:
                for printed, canonical in definition.labels.by_kind()[kind].items():
                    seen.setdefault(printed, set()).add(canonical)
            for printed, canonicals in seen.items():
                if len(canonicals) == 1:
                    merged[printed] = next(iter(canonicals))
            tables[kind] = LabelTable(merged)
        return tables

    def table(self, kind: VocabKind, family: str | None = None) -> LabelTable:
        """One label table (see tables)."""
        return self.tables(family)[kind]

    def get(self, family: str) -> TemplateDefinition:
        """A definition by id (TemplateError when unknown)."""
        try:
            return self.definitions[family]
        except KeyError:
            raise TemplateError(f"no template family {family!r}; known: {', '.join(self.definitions)}",
                                family=family) from None

    @property
    def default(self) -> TemplateDefinition:
        """The family assumed when no cue speaks for another."""
        return self.definitions.get(DEFAULT_FAMILY) or next(iter(self.definitions.values()))

    def pick(self, texts: Iterable[str]) -> TemplateChoice:
        """The family whose cues the texts (a form's cells, title first) carry most, with the evidence."""
        joined = _key("\n".join(texts))
        scored: list[tuple[float, int, TemplateDefinition, list[str]]] = []
        for order, definition in enumerate(self.definitions.values()):
            found: list[str] = []
            score = 0.0
            for title in definition.cues.titles:
                if _key(title) in joined:
                    score += 3.0
                    found.append(title)
                    break
            for label, weight in definition.cues.labels.items():
                if _key(label) in joined:
                    score += weight
                    found.append(label)
            for label, weight in definition.cues.against.items():
                if _key(label) in joined:
                    score -= weight
                    found.append(f"-{label}")
            scored.append((score, -order, definition, found))
        scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
        best_score, _, best, cues = scored[0]
        runner = scored[1] if len(scored) > 1 else None
        if best_score < MIN_EVIDENCE:
            default = self.default
            return TemplateChoice(id=default.id, score=best_score, cues=cues, supported=default.supported,
                                  fallback=True)
        return TemplateChoice(id=best.id, score=best_score, cues=cues, supported=best.supported,
                              runner_up=runner[2].id if runner else None,
                              runner_up_score=runner[0] if runner else None)


def load_definitions(directory: Path, origin: str) -> list[TemplateDefinition]:
    """Every `*.toml` definition of a directory, in name order."""
    if not directory.is_dir():
        raise TemplateError(f"{directory}: not a directory of template definitions", directory=str(directory))
    # A hidden file is some writer's temporary, never a definition.
    return [TemplateDefinition.from_file(path, origin) for path in sorted(directory.glob("*.toml"))
            if not path.name.startswith(".")]


def build_registry(extra_dirs: Sequence[Path] = (), approved_dir: Path | None = None,
                   also: Sequence[TemplateDefinition] = ()) -> TemplateRegistry:
    """The built-in families, the definitions of further directories (a user's own), the approved induced ones,
    and any definitions given (a candidate trusted for one run)."""
    definitions = load_definitions(BUILTIN_DIR, "builtin")
    for directory in extra_dirs:
        definitions += load_definitions(directory, "user")
    if approved_dir is not None and approved_dir.is_dir():
        definitions += load_definitions(approved_dir, "induced")
    known = {d.id for d in definitions}
    definitions += [d for d in also if d.id not in known]
    return TemplateRegistry(definitions)


def _env_dirs() -> tuple[Path, ...]:
    value = os.environ.get("EXTRACTOR_TEMPLATES_DIR", "")
    return tuple(Path(p) for p in value.split(os.pathsep) if p)


def _approved_dir() -> Path:
    return Path(os.environ.get("EXTRACTOR_DATA_DIR", ".extractor")) / "templates" / "approved"


def _stamp(directories: Iterable[Path]) -> tuple[tuple[str, int], ...]:
    """What the directories hold now (names and modification times): a new or changed definition is noticed."""
    found = []
    for directory in directories:
        if directory.is_dir():
            found += [(str(p), p.stat().st_mtime_ns) for p in sorted(directory.glob("*.toml"))
                      if not p.name.startswith(".")]
    return tuple(found)


@lru_cache(maxsize=16)
def _cached(dirs: tuple[Path, ...], approved: Path, stamp: tuple[tuple[str, int], ...]) -> TemplateRegistry:
    return build_registry(dirs, approved)


def default_registry(extra_dirs: Sequence[Path] | None = None) -> TemplateRegistry:
    """The registry for this process: built-ins, `EXTRACTOR_TEMPLATES_DIR` (or the directories given) and the
    definitions approved in the data directory."""
    dirs = tuple(p.resolve() for p in (extra_dirs if extra_dirs is not None else _env_dirs()))
    approved = _approved_dir().resolve()
    return _cached(dirs, approved, _stamp((*dirs, approved)))


def with_candidate(definition: TemplateDefinition) -> TemplateRegistry:
    """The default registry plus one definition (a candidate trusted for a run, or one just approved)."""
    base = default_registry()
    return TemplateRegistry([*[d for d in base.definitions.values() if d.id != definition.id], definition])
