#!/usr/bin/env python3
"""Render gold records into a test corpus: born-digital PDFs, scans, images, messy text exports, broken files.

The dataset format (manifest.json + gold/) is described in scripts/corpus/__init__.py and the README
("### Test corpus"). Same seed and options → the same bytes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: make `scripts.corpus` importable

from scripts.corpus.dataset import KINDS, Options, generate  # noqa: E402
from scripts.corpus.formats import FORMATS  # noqa: E402
from scripts.corpus.layouts import LAYOUTS  # noqa: E402
from scripts.corpus.model import FAMILIES  # noqa: E402
from scripts.corpus.pdf import FONTS, MissingFontError  # noqa: E402
from scripts.corpus.text_export import TEXT_LAYOUTS  # noqa: E402

app = typer.Typer(add_completion=False, help=__doc__)


def _csv(value: str, allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    items = tuple(v.strip() for v in value.split(",") if v.strip())
    unknown = [v for v in items if v not in allowed]
    if unknown:
        raise typer.BadParameter(f"unknown {what} {unknown}; choose from {', '.join(allowed)}")
    return items


@app.command()
def main(
    output: Annotated[Path, typer.Option("-o", "--output", help="directory to write (created)")],
    seed: Annotated[int, typer.Option(help="random seed: same seed, same bytes")] = 0,
    kinds: Annotated[str, typer.Option(help=f"comma-separated: {','.join(KINDS)}")] = ",".join(KINDS),
    count: Annotated[str, typer.Option(help="random forms per kind: N, or per kind: born_digital=2,scan=1")] = "10",
    include_seed: Annotated[bool, typer.Option("--include-seed", help="add the seed's ten gold forms to each kind")] = False,
    seed_forms: Annotated[str, typer.Option(help="which seed forms --include-seed adds, e.g. 1,2,3")] = "1,2,3,4,5,6,7,8,9,10",
    seed_kinds: Annotated[str, typer.Option(help="the kinds --include-seed adds them to")] = ",".join(KINDS),
    broken: Annotated[int, typer.Option(help="add N deliberately broken documents")] = 0,
    fault_rate: Annotated[float, typer.Option(help="share of random forms with planted faults")] = 0.4,
    layouts: Annotated[str, typer.Option(help=f"comma-separated: {','.join(LAYOUTS)}")] = ",".join(LAYOUTS),
    forms_per_export: Annotated[int, typer.Option(help="forms per text export file")] = 10,
    dpi_min: Annotated[int, typer.Option(help="lowest scan resolution")] = 150,
    dpi_max: Annotated[int, typer.Option(help="highest scan resolution")] = 300,
    harsh: Annotated[bool, typer.Option("--harsh", help="fax-grade scans: 120–200 dpi, 1.5–4°, JPEG 20–45, "
                                        "100–400 specks (overrides --dpi-min/--dpi-max)")] = False,
    fonts: Annotated[str, typer.Option(help=f"comma-separated PDF fonts: {','.join(FONTS)}")] = ",".join(FONTS),
    clean_exports: Annotated[bool, typer.Option("--clean-exports", help="text exports without the seed's mess")] = False,
    families: Annotated[str, typer.Option(help=f"comma-separated form families: {','.join(FAMILIES)} (default: central "
                                                "only, the layouts of --layouts; department: documents the reader "
                                                "must refuse)")] = "central",
    text_layouts: Annotated[str, typer.Option(help=f"comma-separated text export layouts: {','.join(TEXT_LAYOUTS)}; "
                                                   "taken in turn")] = "tsv",
    traditional: Annotated[float, typer.Option(help="share of text exports converted to Traditional characters "
                                                    "(OpenCC s2t)")] = 0.0,
    formats: Annotated[str, typer.Option(help=f"comma-separated document formats besides the kinds: {','.join(FORMATS)} "
                                              "(xls, doc, wps, et only where LibreOffice is installed; default: none)")] = "",
) -> None:
    """Generate a corpus under OUTPUT."""
    options = Options(
        seed=seed, kinds=_csv(kinds, KINDS, "kinds"), count=_count(count), include_seed=include_seed,
        seed_kinds=_csv(seed_kinds, KINDS, "kinds"),
        seed_forms=tuple(int(n) for n in seed_forms.split(",") if n.strip()), broken=broken, fault_rate=fault_rate,
        layouts=_csv(layouts, LAYOUTS, "layouts"), forms_per_export=forms_per_export, dpi=(dpi_min, dpi_max), harsh=harsh,
        mess=not clean_exports, fonts=_csv(fonts, FONTS, "fonts"), families=_csv(families, FAMILIES, "families"),
        text_layouts=_csv(text_layouts, TEXT_LAYOUTS, "text layouts"), traditional=traditional,
        formats=_csv(formats, FORMATS, "formats"),
    )
    start = time.perf_counter()
    command = " ".join(["python scripts/make_corpus.py", *(a for a in _without_output(sys.argv[1:]))])
    try:
        manifest = generate(output, options, command=command)
    except MissingFontError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    docs = manifest["documents"]
    forms = sum(len(d["forms"]) for d in docs)
    typer.echo(f"{len(docs)} documents, {forms} forms in {output} ({time.perf_counter() - start:.1f} s)")


def _count(value: str) -> int | dict[str, int]:
    """`10` or `born_digital=2,scan=1`."""
    try:
        if "=" not in value:
            return int(value)
        pairs = dict(item.split("=", 1) for item in value.split(",") if item.strip())
        _csv(",".join(pairs), KINDS + FORMATS, "kinds")
        return {kind.strip(): int(n) for kind, n in pairs.items()}
    except ValueError as exc:
        raise typer.BadParameter(f"--count {value!r}: {exc}") from exc


def _without_output(argv: list[str]) -> list[str]:
    """The command line without -o DIR (so the manifest does not depend on where it was written)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        if arg in ("-o", "--output"):
            skip = True
            continue
        if arg.startswith("--output="):
            continue
        out.append(arg)
    return out


if __name__ == "__main__":
    app()
