#!/usr/bin/env python3
"""Measure the issue-14 readers: lxml against selectolax on a generated web page, and the time per document of
every format (the whole pipeline: reading, rows, mapping, checking).

    python scripts/bench_formats.py [--rounds 15] [--output eval/results/bench-formats.json]
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extractor.ingest.html_tables import decode_html, page_rows  # noqa: E402
from extractor.pipeline import extract_bytes  # noqa: E402
from extractor.settings import Settings  # noqa: E402
from scripts.corpus.dataset import seed_forms  # noqa: E402
from scripts.corpus.formats import FORMATS, NEEDS_LIBREOFFICE, libreoffice_available, render_format  # noqa: E402
from scripts.corpus.forms import random_form  # noqa: E402
from scripts.corpus.layouts import FAMILY_LAYOUTS, Printing, build  # noqa: E402

app = typer.Typer(add_completion=False, help=__doc__)


def _layouts(n_random: int, seed: int = 2029) -> list:
    rng = random.Random(seed)
    layouts = [build(form, "seed", Printing(), rng) for form in seed_forms()]
    families = ("central", "anhui", "yunnan", "sichuan", "beijing", "ningxia")
    for k in range(n_random):
        family = families[k % len(families)]
        layouts.append(build(random_form(rng, 0.3, family=family), FAMILY_LAYOUTS[family][0], Printing(), rng))
    return layouts


def _lxml_cells(text: str) -> list[tuple[int, int, int, str]]:
    from lxml import html

    root = html.document_fromstring(text, parser=html.HTMLParser(no_network=True, remove_comments=True))
    out = []
    for t, table in enumerate(root.iter("table")):
        for tr in table.iter("tr"):
            for td in tr:
                if td.tag in ("td", "th"):
                    out.append((t, int(td.get("rowspan", 1)), int(td.get("colspan", 1)), td.text_content().strip()))
    return out


def _selectolax_cells(text: str) -> list[tuple[int, int, int, str]]:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(text)
    out = []
    for t, table in enumerate(tree.css("table")):
        for tr in table.css("tr"):
            for td in tr.iter():
                if td.tag in ("td", "th"):
                    attrs = td.attributes
                    out.append((t, int(attrs.get("rowspan") or 1), int(attrs.get("colspan") or 1),
                                td.text(separator="").strip()))
    return out


def _median(fn: Any, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@app.command()
def main(rounds: Annotated[int, typer.Option(help="repetitions (median)")] = 15,
         output: Annotated[Path | None, typer.Option(help="write the figures as JSON")] = None) -> None:
    """Run both measurements and print them."""
    settings = Settings()
    layouts = _layouts(30)
    page, _, _ = render_format("html", layouts, random.Random(1))
    text, _, _ = decode_html(page)
    html_figures: dict[str, Any] = {"page_bytes": len(page), "forms": len(layouts)}
    for name, fn in (("lxml", _lxml_cells), ("selectolax", _selectolax_cells)):
        try:
            cells = fn(text)
        except ImportError:
            html_figures[name] = "not installed"
            continue
        html_figures[name] = {"parse_and_cells_ms": round(_median(lambda fn=fn: fn(text), rounds) * 1000, 2),
                              "cells": len(cells)}
    html_figures["reader_page_rows_ms"] = round(_median(lambda: page_rows(page, settings), rounds) * 1000, 2)
    per_format: dict[str, Any] = {}
    docs = _layouts(2, seed=7)[:3]
    for fmt in FORMATS:
        if fmt in NEEDS_LIBREOFFICE and not libreoffice_available():
            per_format[fmt] = "LibreOffice not installed"
            continue
        data, _, _ = render_format(fmt, docs, random.Random(3))
        n = 1 if fmt in NEEDS_LIBREOFFICE else max(3, rounds // 3)
        cpu0 = time.process_time()
        wall = _median(lambda data=data, fmt=fmt: extract_bytes(data, f"x.{fmt}", settings), n)
        per_format[fmt] = {"bytes": len(data), "forms": len(docs), "seconds_per_document": round(wall, 3),
                           "cpu_seconds_per_document": round((time.process_time() - cpu0) / n, 3)}
    figures = {"html_library": html_figures, "per_format": per_format, "load_average": os.getloadavg()[0],
               "cpus": os.cpu_count()}
    typer.echo(json.dumps(figures, ensure_ascii=False, indent=2))
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    app()
