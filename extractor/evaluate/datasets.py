"""Evaluation datasets: a folder of documents with gold records, described by a manifest (or by the gold files)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

import extractor
from extractor.errors import ExtractorError
from extractor.records.models import FindingCode, Record

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
_REPO = Path(extractor.__file__).resolve().parent.parent
# Where a dataset given by name is looked for, in order (relative roots are taken from the working directory).
SEARCH_ROOTS = (Path("eval/datasets"), _REPO / "eval" / "datasets", _REPO / "tests" / "data")
_KIND_BY_SUFFIX = {".txt": "text_export", ".tsv": "text_export", ".csv": "text_export", ".pdf": "pdf",
                   ".png": "image", ".jpg": "image", ".jpeg": "image", ".tif": "image", ".tiff": "image",
                   ".bmp": "image", ".webp": "image",
                   # issue 14 (formats): a format is its own kind, as the corpus generator names it
                   ".html": "html", ".htm": "html", ".docx": "docx", ".xlsx": "xlsx", ".xls": "xls", ".doc": "doc",
                   ".wps": "wps", ".et": "et", ".ofd": "ofd"}


class DatasetError(ExtractorError):
    """A dataset folder, manifest or gold file that cannot be used; says which file and why."""

    code = "INVALID_DATASET"


class GoldForm(BaseModel):
    """One form's truth: the record and the warning/error codes the checker must report for it."""

    form_index: int = Field(ge=1, description="1-based position of the form in its document")
    record: Record
    expected_findings: list[FindingCode] = Field(default_factory=list)
    template: str | None = Field(default=None, description="the family the form belongs to (record.md v1.1)")
    skip_null: list[str] = Field(default_factory=list, description="record paths the form does not print at all")
    file: Path | None = Field(default=None, description="the gold file it was read from")


class DocumentEntry(BaseModel):
    """One document of a dataset and the gold of each form in it (an empty list: no form expected)."""

    path: Path
    kind: str
    gold: list[GoldForm] = Field(default_factory=list)
    expect: dict[str, Any] | None = Field(default=None, description="what reading it must give: status, "
                                          "error_code, forms, form_status, missing_fields")
    transcript: Path | None = Field(default=None, description="plain text of what the document prints (scans)")
    family: str | None = Field(default=None, description="the form family (templates.md) the document holds")
    layout: str | None = Field(default=None, description="how its text is laid out (tsv, pipe, glued, …)")
    partial: bool = Field(default=False, description="the gold covers only some of the document's forms "
                          "(e.g. those a reviewer approved): the others are not scored")

    @property
    def name(self) -> str:
        """The document's file name."""
        return self.path.name


class Dataset(BaseModel):
    """Documents with gold, read from one folder."""

    name: str
    root: Path
    description: str | None = None
    documents: list[DocumentEntry] = Field(default_factory=list)

    @property
    def kinds(self) -> list[str]:
        """The document kinds present, in first-seen order."""
        return list(dict.fromkeys(d.kind for d in self.documents))

    @property
    def layouts(self) -> list[str]:
        """The text layouts present (documents that name one), in first-seen order."""
        return list(dict.fromkeys(d.layout for d in self.documents if d.layout))

    @property
    def families(self) -> list[str]:
        """The form families present (documents that name one), in first-seen order."""
        return list(dict.fromkeys(d.family for d in self.documents if d.family))

    @property
    def forms(self) -> int:
        """How many gold forms the dataset holds."""
        return sum(len(d.gold) for d in self.documents)


def resolve_dataset(name_or_path: str | Path) -> Path:
    """The folder of a dataset given as a path, or by name under eval/datasets/ or tests/data/."""
    path = Path(name_or_path)
    if path.is_dir():
        return path
    if path.is_file() and path.name == MANIFEST:
        return path.parent
    if len(path.parts) == 1:
        for root in SEARCH_ROOTS:
            if (root / path).is_dir():
                return root / path
    searched = ", ".join(str(r) for r in SEARCH_ROOTS)
    raise DatasetError(f"no dataset {name_or_path!r}: not a folder, and not a name under {searched}",
                       dataset=str(name_or_path))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetError(f"cannot read {path}: {exc}", file=str(path)) from exc


def parse_gold(data: Any, file: Path | None = None) -> GoldForm:
    """A gold form from its JSON ({"form_index", "record", "expected_findings", …}); extra keys are ignored."""
    if not isinstance(data, dict) or "record" not in data:
        raise DatasetError(f"{file or 'gold entry'}: a gold form is an object with a 'record'", file=str(file))
    try:
        return GoldForm(form_index=data.get("form_index", 1), record=data["record"],
                        expected_findings=data.get("expected_findings", []), template=data.get("template"),
                        skip_null=data.get("skip_null", []), file=file)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise DatasetError(f"{file or 'gold entry'}: {where}: {first['msg']}", file=str(file),
                           errors=len(exc.errors())) from exc


def _kind_of(path: Path) -> str:
    return _KIND_BY_SUFFIX.get(path.suffix.lower(), "unknown")


def _document(entry: Any, root: Path, default_kind: str | None, manifest: Path) -> DocumentEntry:
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        raise DatasetError(f"{manifest}: each document needs a 'path'", file=str(manifest))
    if not isinstance(entry.get("forms", entry.get("gold", [])), list):
        raise DatasetError(f"{manifest}: 'forms' of {entry['path']} must be a list", file=str(manifest))
    path = (root / entry["path"]).resolve()
    if not path.is_file():
        raise DatasetError(f"{manifest}: document {entry['path']} does not exist", file=str(manifest))
    gold: list[GoldForm] = []
    # "forms" is what scripts/make_corpus.py writes; "gold" is accepted as well.
    for item in entry.get("forms", entry.get("gold", [])):
        if isinstance(item, str):
            gold_path = root / item
            gold.append(parse_gold(_read_json(gold_path), gold_path))
        else:
            gold.append(parse_gold(item, manifest))
    gold.sort(key=lambda g: g.form_index)
    transcript = (root / entry["transcript"]).resolve() if entry.get("transcript") else None
    expect = entry.get("expect")
    if expect is not None and not isinstance(expect, dict):
        raise DatasetError(f"{manifest}: 'expect' of {entry['path']} must be an object", file=str(manifest))
    # Deliberately broken inputs are their own group: their "accuracy" is whether they fail as they should.
    kind = "broken" if entry.get("broken") else (entry.get("kind") or default_kind or _kind_of(path))
    partial = bool(entry.get("partial")) or _has_gaps(gold)
    family = entry.get("family") or next((g.template for g in gold if g.template), None)
    layout = entry.get("text_layout") or entry.get("layout") if kind == "text_export" else None
    return DocumentEntry(path=path, kind=kind, gold=gold, expect=expect, transcript=transcript, partial=partial,
                         family=family, layout=layout)


def _has_gaps(gold: list[GoldForm]) -> bool:
    """Gold for forms 1, 3 and 10 only says nothing about forms 2 and 4–9: such a document is partial."""
    return [g.form_index for g in gold] != list(range(1, len(gold) + 1))


def _from_manifest(root: Path, manifest: Path, default_kind: str | None = None) -> tuple[dict[str, Any], list[DocumentEntry]]:
    data = _read_json(manifest)
    if not isinstance(data, dict) or not isinstance(data.get("documents"), list):
        raise DatasetError(f"{manifest}: a manifest is an object with a 'documents' list", file=str(manifest))
    kind = data.get("kind") or default_kind
    return data, [_document(entry, root, kind, manifest) for entry in data["documents"]]


def _from_gold_files(root: Path) -> list[DocumentEntry]:
    """No manifest: every JSON with a 'record' and a 'source' is a gold form of that source document."""
    by_source: dict[Path, list[GoldForm]] = {}
    for file in sorted(root.rglob("*.json")):
        data = _read_json(file)
        if not (isinstance(data, dict) and "record" in data and isinstance(data.get("source"), str)):
            continue
        source = next((base / data["source"] for base in (file.parent, file.parent.parent, root)
                       if (base / data["source"]).is_file()), None)
        if source is None:
            raise DatasetError(f"{file}: its source {data['source']} is not in the dataset", file=str(file))
        by_source.setdefault(source.resolve(), []).append(parse_gold(data, file))
    documents = []
    for path, forms in sorted(by_source.items()):
        gold = sorted(forms, key=lambda g: g.form_index)
        documents.append(DocumentEntry(path=path, kind=_kind_of(path), gold=gold, partial=_has_gaps(gold)))
    return documents


def load_dataset(name_or_path: str | Path) -> Dataset:
    """Read a dataset: its manifest, manifests of its sub-folders (one per kind), or its gold files alone."""
    root = resolve_dataset(name_or_path)
    manifest = root / MANIFEST
    name, description = root.name, None
    if manifest.is_file():
        data, documents = _from_manifest(root, manifest)
        name, description = data.get("name") or name, data.get("description")
    elif subs := sorted(p for p in root.glob(f"*/{MANIFEST}")):
        documents = []
        for sub in subs:
            documents += _from_manifest(sub.parent, sub, default_kind=sub.parent.name)[1]
    else:
        documents = _from_gold_files(root)
    if not documents:
        raise DatasetError(f"{root}: no documents with gold (add a {MANIFEST}, see README 'Evaluation')",
                           dataset=str(root))
    return Dataset(name=name, root=root.resolve(), description=description, documents=documents)


def write_manifest(root: Path, name: str | None = None, description: str | None = None) -> Path:
    """Write a manifest for a folder of documents and gold files (each naming its 'source'); returns its path."""
    root = Path(root)
    documents = _from_gold_files(root)
    if not documents:
        raise DatasetError(f"{root}: no gold files naming their source document", dataset=str(root))
    base = root.resolve()
    manifest = {
        "version": MANIFEST_VERSION,
        "name": name or root.name,
        **({"description": description} if description else {}),
        "documents": [{"path": d.path.relative_to(base).as_posix(), "kind": d.kind,
                       "forms": [g.file.resolve().relative_to(base).as_posix() for g in d.gold if g.file],
                       **({"partial": True} if d.partial else {})}
                      for d in documents],
    }
    path = root / MANIFEST
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path
