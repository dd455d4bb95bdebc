"""Write a corpus: documents of each kind, one gold file per form, and the manifest that lists them."""

from __future__ import annotations

import json
import random
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from scripts.corpus import broken as broken_docs
from scripts.corpus import formats as format_docs
from scripts.corpus import pdf, scan
from scripts.corpus.forms import random_form
from scripts.corpus.layouts import FAMILY_LAYOUTS, LAYOUTS, FormLayout, Printing, build
from scripts.corpus.model import FAMILIES, FormSpec, form_from_gold
from scripts.corpus.text_export import (
    TEXT_LAYOUTS,
    Mess,
    encode,
    render_text,
    to_traditional,
    traditional_record,
)

ROOT = Path(__file__).resolve().parents[2]
SEED_GOLD = ROOT / "eval" / "datasets" / "seed" / "gold"
KINDS = ("born_digital", "scan", "image", "text_export")
MANIFEST_KIND = {"born_digital": "pdf", "scan": "scan", "image": "image", "text_export": "text_export"}
_PREFIX = {"born_digital": "bd", "scan": "scan", "image": "img", "text_export": "export"}
# Exports mostly come from the Shanghai-style system; printed PDFs and scans vary more by province.
_LAYOUT_WEIGHTS = {"seed": 2, "split": 1, "extended": 1}
_EXPORT_LAYOUT_WEIGHTS = {"seed": 4, "split": 1, "extended": 1}
MANIFEST_VERSION = 1


@dataclass
class Options:
    """What to generate (the CLI's flags)."""

    seed: int
    kinds: tuple[str, ...] = KINDS
    count: int | dict[str, int] = 10  # random forms per kind, or per kind by name
    include_seed: bool = False
    seed_kinds: tuple[str, ...] = KINDS  # the kinds --include-seed adds the seed forms to
    seed_forms: tuple[int, ...] = tuple(range(1, 11))
    broken: int = 0
    fault_rate: float = 0.4
    layouts: tuple[str, ...] = LAYOUTS
    forms_per_export: int = 10
    max_forms_per_pdf: int = 3
    dpi: tuple[int, int] = (150, 300)
    harsh: bool = False  # fax-grade scans (scan-trust bounds) instead of an office scanner's
    mess: bool = True
    gbk_share: float = 0.2
    fonts: tuple[str, ...] = pdf.FONTS
    families: tuple[str, ...] = ("central",)  # form families (templates.md); department: expected failures
    text_layouts: tuple[str, ...] = ("tsv",)  # how text exports lay their cells out (templates.md)
    traditional: float = 0.0  # share of text exports converted to Traditional characters
    formats: tuple[str, ...] = ()  # html, docx, xlsx, xls, doc, wps, et, ofd, csv (formats.py); none by default

    @property
    def legacy(self) -> bool:
        """Only central forms as tab-separated exports: the generator's original draws, byte for byte."""
        return self.families == ("central",) and self.text_layouts == ("tsv",) and not self.traditional


@dataclass
class Document:
    """One manifest entry."""

    path: str
    kind: str
    forms: list[str]
    family: str | None = None
    layout: str | None = None
    text_layout: str | None = None
    pages: int | None = None
    encoding: str | None = None
    broken: str | None = None
    expect: dict[str, Any] = field(default_factory=lambda: {"status": "ok"})
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Manifest JSON (None fields left out)."""
        return {k: v for k, v in asdict(self).items() if v is not None and v != {}}


def seed_forms(numbers: tuple[int, ...] = tuple(range(1, 11))) -> list[FormSpec]:
    """The seed's hand-checked gold forms."""
    forms = []
    for n in numbers:
        gold = json.loads((SEED_GOLD / f"form-{n:02d}.json").read_text(encoding="utf-8"))
        forms.append(form_from_gold(gold, f"seed/form-{n:02d}"))
    return forms


def _chunks(rng: random.Random, forms: list[FormSpec], kind: str, options: Options) -> list[list[FormSpec]]:
    if kind == "text_export":
        size = max(1, options.forms_per_export)
        return [forms[i:i + size] for i in range(0, len(forms), size)]
    if kind == "image":
        return [[f] for f in forms]
    chunks, i = [], 0
    while i < len(forms):
        size = min(options.max_forms_per_pdf, rng.choice((1, 1, 1, 2, 3)))
        chunks.append(forms[i:i + size])
        i += size
    return chunks


def _pick_layout(rng: random.Random, options: Options, kind: str) -> str:
    names = [name for name in LAYOUTS if name in options.layouts]
    weights = _EXPORT_LAYOUT_WEIGHTS if kind == "text_export" else _LAYOUT_WEIGHTS
    return rng.choices(names, weights=[weights[n] for n in names])[0]


def _gold(doc_path: str, index: int, form: FormSpec, layout: FormLayout, kind: str, pages: list[int] | None,
          record: dict[str, Any], text_layout: str | None = None, traditional: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {"kind": kind, "layout": layout.layout, "origin": form.origin, "planted": form.planted}
    if pages is not None:
        meta["pages"] = pages
    if text_layout is not None:
        meta["text_layout"] = text_layout
    if traditional:
        meta["traditional"] = True
    if layout.layout == "split":
        meta["target_convention"] = "指标性质+指标值+度量单位 concatenated; 定性 left out"
    if layout.layout == "extended":
        meta["money_unit"] = "元"
    return {"source": doc_path, "form_index": index, "template": layout.family, "skip_null": layout.skip_null,
            "record": record, "expected_findings": form.expected_findings, "meta": meta}


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _kind_seed(seed: int, kind: str) -> int:
    return zlib.crc32(f"{seed}:{kind}".encode())


def _chunk_size(rng: random.Random, kind: str, options: Options) -> int:
    """Forms in one document when several families or text layouts share the kind: few, so that each shows."""
    if kind == "image":
        return 1
    cap = options.forms_per_export if kind == "text_export" else options.max_forms_per_pdf
    return max(1, min(cap, rng.choice((1, 1, 2, 3) if kind == "text_export" else (1, 1, 1, 2, 3))))


def _plan(rng: random.Random, kind: str, options: Options, count: int) -> list[tuple[str, list[FormSpec]]]:
    """(family, forms) per document: the seed forms first (central), then random forms of the families in turn."""
    forms = seed_forms(options.seed_forms) if options.include_seed and kind in options.seed_kinds else []
    if options.legacy:
        forms += [random_form(rng, options.fault_rate, origin=f"random/{kind}/{k + 1:03d}") for k in range(count)]
        return [("central", chunk) for chunk in _chunks(rng, forms, kind, options)]
    plan = [("central", chunk) for chunk in _chunks(rng, forms, kind, options)]
    families = [f for f in options.families if f != "department"]
    if not families:
        return plan
    turn, made = rng.randrange(len(families)), 0
    while made < count:
        size = min(count - made, _chunk_size(rng, kind, options))
        family = families[turn % len(families)]
        plan.append((family, [random_form(rng, options.fault_rate, origin=f"random/{kind}/{made + k + 1:03d}",
                                          family=family) for k in range(size)]))
        made, turn = made + size, turn + 1
    return plan


def _render(out: Path, kind: str, stem: str, layouts: list[FormLayout], rng: random.Random,
            nrng: np.random.Generator, options: Options, text_layout: str | None, traditional: bool,
            seal_texts: list[str]) -> tuple[str, str | None, list[list[int]] | None, dict[str, Any]]:
    """Write one document; returns its path relative to `out`, encoding, pages of each form and meta."""
    encoding, pages_of, meta = None, None, {}
    if kind == "text_export":
        text = render_text(layouts, rng, Mess() if options.mess else Mess.none(), text_layout or "tsv")
        if traditional:
            text = to_traditional(text)
        data, encoding = encode(text, rng, options.gbk_share)
        name = f"{stem}.txt"
    else:
        style = pdf.Style(size=rng.choice((9.0, 9.5, 10.0, 10.0)), face=rng.choice(options.fonts),
                          repeat_header=rng.random() < 0.3)
        meta["print"] = {"font": style.face, "size": style.size, "repeat_header": style.repeat_header}
        data, pages_of = pdf.render(layouts, style)
        name = f"{stem}.pdf"
        if kind in ("scan", "image"):
            scanned = scan.scan_pages(data, nrng, options.dpi,
                                      [text for text, form_pages in zip(seal_texts, pages_of, strict=True)
                                       for _ in form_pages], harsh=options.harsh)
            meta["scan"] = [params.to_dict() for _, params in scanned]
            if kind == "scan":
                data = scan.to_pdf(scanned)
            else:
                fmt = "tiff" if len(scanned) > 1 else rng.choice(("png", "jpeg", "tiff"))
                data = scan.to_image(scanned, fmt)
                name = f"{stem}.{ {'png': 'png', 'jpeg': 'jpg', 'tiff': 'tif'}[fmt] }"
    rel = f"{kind}/{name}"
    (out / kind).mkdir(parents=True, exist_ok=True)
    (out / rel).write_bytes(data)
    return rel, encoding, pages_of, meta


def generate_kind(out: Path, kind: str, options: Options) -> list[Document]:
    """All documents of one kind (its own random stream: adding a kind changes no other)."""
    rng = random.Random(_kind_seed(options.seed, kind))
    nrng = np.random.default_rng(_kind_seed(options.seed, kind + ":pixels"))
    count = options.count.get(kind, 0) if isinstance(options.count, dict) else options.count
    plan = _plan(rng, kind, options, count)
    text_turn = rng.randrange(len(options.text_layouts)) if not options.legacy else 0
    documents = []
    for number, (family, chunk) in enumerate(plan, start=1):
        layout_name = _pick_layout(rng, options, kind) if family == "central" else FAMILY_LAYOUTS[family][0]
        printing = Printing(dash=rng.choice(("—", "—", "-", "")), year_style=rng.randrange(3))
        if kind == "text_export" and printing.dash == "":
            printing.dash = "—"
        text_layout, traditional = None, False
        if kind == "text_export":
            text_layout = options.text_layouts[(text_turn + number - 1) % len(options.text_layouts)]
            traditional = options.traditional > 0 and rng.random() < options.traditional
        layouts = [build(form, layout_name, printing, rng) for form in chunk]
        stem = f"{_PREFIX[kind]}-{number:04d}"
        rel, encoding, pages_of, meta = _render(out, kind, stem, layouts, rng, nrng, options, text_layout, traditional,
                                                [form.implementing_unit for form in chunk])
        gold_paths = []
        for index, (form, layout) in enumerate(zip(chunk, layouts, strict=True), start=1):
            gold_rel = f"gold/{kind}/{stem}/form-{index:02d}.json"
            record = traditional_record(layout.record) if traditional else layout.record
            _write_json(out / gold_rel, _gold(rel, index, form, layout, kind, pages_of[index - 1] if pages_of else None,
                                              record, text_layout, traditional))
            gold_paths.append(gold_rel)
        pages = sum(len(p) for p in pages_of) if pages_of else None
        documents.append(Document(rel, MANIFEST_KIND[kind], gold_paths, family=family, layout=layout_name,
                                  text_layout=text_layout, pages=pages, encoding=encoding,
                                  expect={"status": "ok", "forms": len(chunk)}, meta=meta))
    if "department" in options.families:
        documents += _department_documents(out, kind, options, count, len(documents))
    return documents


def _department_documents(out: Path, kind: str, options: Options, count: int, numbered: int) -> list[Document]:
    """Department-wide forms (部门整体支出绩效自评表): no gold, the reader must refuse them (own random stream)."""
    rng = random.Random(_kind_seed(options.seed, kind + ":department"))
    nrng = np.random.default_rng(_kind_seed(options.seed, kind + ":department:pixels"))
    documents = []
    for k in range(max(1, count // 10)):
        form = random_form(rng, 0.0, origin=f"random/{kind}/department-{k + 1:03d}")
        printing = Printing(dash=rng.choice(("—", "-")), year_style=rng.randrange(3))
        layout = build(form, "department", printing, rng)
        text_layout = rng.choice(options.text_layouts) if kind == "text_export" else None
        traditional = kind == "text_export" and options.traditional > 0 and rng.random() < options.traditional
        stem = f"{_PREFIX[kind]}-{numbered + k + 1:04d}"
        rel, encoding, pages_of, meta = _render(out, kind, stem, [layout], rng, nrng, options, text_layout,
                                                traditional, [form.department])
        if traditional:
            meta["traditional"] = True
        documents.append(Document(rel, MANIFEST_KIND[kind], [], family="department", layout="department",
                                  text_layout=text_layout, pages=sum(len(p) for p in pages_of) if pages_of else None,
                                  encoding=encoding, expect={"status": "failed", "error_code": ["UNSUPPORTED_TEMPLATE"]},
                                  meta=meta))
    return documents


def generate_format(out: Path, fmt: str, options: Options) -> list[Document]:
    """Documents of one format (formats.py): the seed forms (--include-seed) and random forms of the families,
    one to three forms per document, each format with its own random stream."""
    rng = random.Random(_kind_seed(options.seed, f"format:{fmt}"))
    count = options.count.get(fmt, 0) if isinstance(options.count, dict) else options.count
    forms = seed_forms(options.seed_forms) if options.include_seed else []
    plan = [("central", chunk) for chunk in _chunks(rng, forms, fmt, options)]
    families = [f for f in options.families if f != "department"] or ["central"]
    turn, made = rng.randrange(len(families)), 0
    while made < count:
        size = min(count - made, rng.choice((1, 1, 2, 3)))
        family = families[turn % len(families)]
        plan.append((family, [random_form(rng, options.fault_rate, origin=f"random/{fmt}/{made + k + 1:03d}",
                                          family=family) for k in range(size)]))
        made, turn = made + size, turn + 1
    documents = []
    for number, (family, chunk) in enumerate(plan, start=1):
        layout_name = _pick_layout(rng, options, fmt) if family == "central" else FAMILY_LAYOUTS[family][0]
        printing = Printing(dash=rng.choice(("—", "—", "-")), year_style=rng.randrange(3))
        layouts = [build(form, layout_name, printing, rng) for form in chunk]
        data, encoding, pages_of = format_docs.render_format(fmt, layouts, rng)
        stem = f"{fmt}-{number:04d}"
        rel = f"{fmt}/{stem}.{format_docs.SUFFIX[fmt]}"
        (out / fmt).mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)
        gold_paths = []
        for index, (form, layout) in enumerate(zip(chunk, layouts, strict=True), start=1):
            gold_rel = f"gold/{fmt}/{stem}/form-{index:02d}.json"
            _write_json(out / gold_rel, _gold(rel, index, form, layout, fmt, pages_of[index - 1] if pages_of else None,
                                              layout.record))
            gold_paths.append(gold_rel)
        documents.append(Document(rel, fmt, gold_paths, family=family, layout=layout_name,
                                  pages=sum(len(p) for p in pages_of) if pages_of else None, encoding=encoding,
                                  expect={"status": "ok", "forms": len(chunk)}))
    return documents


def generate_broken(out: Path, options: Options) -> list[Document]:
    """`options.broken` broken documents, cycling through every kind of breakage."""
    rng = random.Random(_kind_seed(options.seed, "broken"))
    documents = []
    for i in range(options.broken):
        form = random_form(rng, 0.0, origin=f"random/broken/{i + 1:03d}")
        layout = build(form, "seed", Printing(), rng)
        born_digital, _ = pdf.render([layout])
        maker = broken_docs.MAKERS[i % len(broken_docs.MAKERS)]
        item = maker(i + 1, born_digital=born_digital, layout=layout, rng=rng)
        rel = f"broken/{item.name}"
        (out / "broken").mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(item.data)
        meta = dict(item.meta)
        if item.note:
            meta["note"] = item.note
        documents.append(Document(rel, item.kind, [], family="central" if item.broken == "cut_form" else None,
                                  text_layout="tsv" if item.broken == "cut_form" and item.kind == "text_export" else None,
                                  broken=item.broken, expect=item.expect, meta=meta))
    return documents


def libraries() -> dict[str, str]:
    """Versions that decide the bytes of PDFs and images (same versions + same seed → same bytes)."""
    import cv2
    import PIL
    import pymupdf

    return {"pymupdf": pymupdf.VersionBind, "opencv": cv2.__version__, "numpy": np.__version__,
            "pillow": PIL.__version__}


def generate(out: Path, options: Options, command: str = "") -> dict[str, Any]:
    """Write the whole corpus under `out` and return the manifest (also written to out/manifest.json)."""
    unknown = set(options.kinds) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown kinds {sorted(unknown)}; choose from {KINDS}")
    for name, given, allowed in (("families", options.families, FAMILIES), ("text layouts", options.text_layouts,
                                                                           TEXT_LAYOUTS)):
        if not given or set(given) - set(allowed):
            raise ValueError(f"{name} {list(given)}: choose one or more of {allowed}")
    for face in options.fonts:
        pdf.font(face)  # a missing font fails here, before anything is written
    out.mkdir(parents=True, exist_ok=True)
    documents: list[Document] = []
    for kind in KINDS:
        if kind in options.kinds:
            documents += generate_kind(out, kind, options)
    skipped = []
    for fmt in format_docs.FORMATS:
        if fmt in options.formats:
            if fmt in format_docs.NEEDS_LIBREOFFICE and not format_docs.libreoffice_available():
                skipped.append(fmt)  # written only where LibreOffice is installed
                continue
            documents += generate_format(out, fmt, options)
    documents += generate_broken(out, options)
    settings = asdict(options)
    if not options.formats:
        settings.pop("formats")  # manifests of before the formats stay byte for byte the same
    if not options.harsh:
        settings.pop("harsh")  # likewise for manifests of before --harsh
    manifest = {
        "version": MANIFEST_VERSION,
        "generator": {"script": "scripts/make_corpus.py", "command": command, "options": settings,
                      "libraries": libraries(), **({"skipped_formats": skipped} if skipped else {})},
        "documents": [d.to_dict() for d in documents],
    }
    _write_json(out / "manifest.json", manifest)
    return manifest
