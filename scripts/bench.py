#!/usr/bin/env python3
"""Benchmarks: text exports (forms/s), PDFs and scans (s/page, RSS, accuracy), LLM mapper cost, back-fill throughput."""

from __future__ import annotations

import json
import platform
import resource
import statistics
import time
from pathlib import Path
from typing import Annotated

import typer

from extractor.pipeline import extract_bytes
from extractor.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "eval" / "datasets" / "seed" / "000_f0d77478487422c7.txt"
app = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=True)


@app.callback()
def main() -> None:
    """Pick a benchmark."""


def peak_rss_mb() -> float:
    """Peak resident memory of this process, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@app.command()
def text(
    repeat: Annotated[int, typer.Option(help="timed rounds over the seed export")] = 30,
    copies: Annotated[int, typer.Option(help="the seed concatenated this many times per document")] = 10,
    output: Annotated[Path | None, typer.Option(help="write the figures as JSON here")] = None,
) -> None:
    """Forms per second through the whole pipeline (ingest, rows, mapping, checking) on text exports."""
    settings = get_settings()
    data = ("\n".join([SEED.read_text(encoding="utf-8")] * copies)).encode("utf-8")
    warm = extract_bytes(data, "bench", settings)
    forms = len(warm.forms)
    assert forms == 10 * copies, forms
    rounds, stages = [], {}
    for _ in range(repeat):
        start = time.perf_counter()
        result = extract_bytes(data, "bench", settings)
        rounds.append(time.perf_counter() - start)
        for k, v in result.timings.items():
            stages[k] = stages.get(k, 0.0) + v
    median = statistics.median(rounds)
    figures = {
        "benchmark": "text_export",
        "forms_per_document": forms,
        "rounds": repeat,
        "median_s_per_document": round(median, 4),
        "forms_per_second": round(forms / median, 1),
        "ms_per_form": round(median / forms * 1000, 2),
        "stage_share": {k: round(v / sum(stages.values()), 3) for k, v in stages.items()},
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}",
    }
    typer.echo(json.dumps(figures, indent=2, ensure_ascii=False))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _corpus(corpus: Path | None, seed: int, count: int, kinds: str) -> Path:
    """The corpus to measure on: the one given, or a fresh one from make_corpus (a seed no fixture uses)."""
    if corpus is not None:
        return corpus
    import subprocess
    import sys

    out = ROOT / "eval" / "results" / "_scratch" / f"corpus-{seed}-{count}"
    if not (out / "manifest.json").exists():
        subprocess.run([sys.executable, str(ROOT / "scripts" / "make_corpus.py"), "-o", str(out), "--seed", str(seed),
                        "--kinds", kinds, "--count", str(count), "--include-seed"], check=True)
    return out


def _engine_run(args: tuple[str, dict[str, object], set[str], int | None]) -> dict[str, object]:
    # One process per engine, so each peak RSS is that engine's own.
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from pagebench import measure

    corpus, overrides, kinds, limit = args
    return measure(Path(corpus), kinds, get_settings(**overrides), limit)


def _run_isolated(corpus: Path, overrides: dict[str, object], kinds: set[str], limit: int | None) -> dict[str, object]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_engine_run, (str(corpus), overrides, kinds, limit)).result()


def _emit(figures: dict[str, object], output: Path | None) -> None:
    import os

    figures["machine"] = f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"
    figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(figures, indent=2, ensure_ascii=False)
    typer.echo(text if len(text) < 20000 else json.dumps(_summary(figures), indent=2, ensure_ascii=False))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text + "\n", encoding="utf-8")


def _summary(figures: dict[str, object]) -> dict[str, object]:
    return {k: ({kk: vv for kk, vv in v.items() if kk != "diffs"} if isinstance(v, dict) else v)
            for k, v in figures.items()}


@app.command()
def stream(
    forms: Annotated[str, typer.Option(help="form counts, comma-separated (the seed's ten forms repeated)")] =
        "1000,10000",
    titles: Annotated[str, typer.Option(help="exports of only title lines, comma-separated counts")] = "100000",
    output: Annotated[Path | None, typer.Option(help="write the figures as JSON here")] = None,
) -> None:
    """`extractor run --format jsonl` on huge exports, in a child process: wall time, the child's peak RSS, and
    whether output streamed (the first line came long before the end)."""
    import os
    import subprocess
    import sys
    import tempfile

    seed = SEED.read_text(encoding="utf-8")
    runs = []
    cases = [("forms", int(n)) for n in forms.split(",") if n] + [("titles", int(n)) for n in titles.split(",") if n]
    with tempfile.TemporaryDirectory() as tmp:
        for what, n in cases:
            path = Path(tmp) / f"{what}-{n}.txt"
            text = "\n".join([seed] * (n // 10)) if what == "forms" else "财政项目支出绩效自评表\n" * n
            path.write_text(text, encoding="utf-8")
            start = time.perf_counter()
            child = subprocess.Popen([sys.executable, "-m", "extractor.cli", "run", "--format", "jsonl", str(path)],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            assert child.stdout is not None
            first = None
            lines = 0
            for _ in child.stdout:
                lines += 1
                if first is None:
                    first = time.perf_counter() - start
            _, status, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - start
            runs.append({"input": what, "count": n, "bytes": path.stat().st_size, "exit": os.waitstatus_to_exitcode(status),
                         "output_lines": lines, "first_output_s": round(first or wall, 2), "wall_s": round(wall, 1),
                         "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
                         "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
                         "ms_per_form": round(1000 * wall / n, 2) if what == "forms" else None})
            typer.echo(json.dumps(runs[-1], ensure_ascii=False), err=True)
    _emit({"benchmark": "stream", "runs": runs}, output)


@app.command()
def pdf(
    corpus: Annotated[Path | None, typer.Option(help="a make_corpus directory (default: generate one)")] = None,
    seed: Annotated[int, typer.Option(help="corpus seed when generating")] = 4242,
    count: Annotated[int, typer.Option(help="random forms per kind when generating")] = 30,
    limit: Annotated[int | None, typer.Option(help="at most this many documents")] = None,
    output: Annotated[Path | None, typer.Option(help="write the figures as JSON here")] = None,
) -> None:
    """Born-digital PDFs (text layer + vector rulings): seconds per page, peak RSS, field accuracy vs gold."""
    path = _corpus(corpus, seed, count, "born_digital,scan,image")
    _emit({"benchmark": "pdf_text_layer", "corpus": str(path),
           "born_digital": _run_isolated(path, {}, {"pdf"}, limit)}, output)


@app.command()
def ocr(
    corpus: Annotated[Path | None, typer.Option(help="a make_corpus directory (default: generate one)")] = None,
    seed: Annotated[int, typer.Option(help="corpus seed when generating")] = 4242,
    count: Annotated[int, typer.Option(help="random forms per kind when generating")] = 30,
    engines: Annotated[str, typer.Option(help="comma-separated: rapid (PP-OCRv6), rapid-v4, tesseract, paddle")] = "rapid,tesseract",
    kinds: Annotated[str, typer.Option(help="manifest kinds: scan, image")] = "scan,image",
    limit: Annotated[int | None, typer.Option(help="at most this many documents per engine")] = None,
    output: Annotated[Path | None, typer.Option(help="write the figures as JSON here")] = None,
) -> None:
    """Scans and images through OCR, engine by engine (each in its own process): s/page, peak RSS, accuracy."""
    path = _corpus(corpus, seed, count, "born_digital,scan,image")
    figures: dict[str, object] = {"benchmark": "ocr", "corpus": str(path)}
    for engine in (e.strip() for e in engines.split(",") if e.strip()):
        overrides: dict[str, object] = {"ocr": engine.split("-")[0]}
        if engine == "rapid-v4":
            overrides["rapid_models"] = "v4"
        figures[engine] = _run_isolated(path, overrides, set(kinds.split(",")), limit)
    _emit(figures, output)


@app.command()
def backfill(
    corpus: Annotated[Path | None, typer.Option(help="a folder to back-fill (default: generated text exports)")] = None,
    documents: Annotated[int, typer.Option(help="generated documents when no --corpus is given")] = 200,
    workers: Annotated[list[int], typer.Option(help="worker counts to measure (repeatable)")] = [1, 2],  # noqa: B006
    db: Annotated[str | None, typer.Option("--scratch-db", help="a database URL to use AND EMPTY before each run "
                                                                "(default: a fresh SQLite file per run)")] = None,
    engine: Annotated[str, typer.Option(help="local | ray")] = "local",
    output: Annotated[Path | None, typer.Option(help="write the figures as JSON here")] = None,
) -> None:
    """Back-fill throughput (documents/min, pages/min, forms/min) into a fresh database per worker count."""
    import os
    import tempfile

    from extractor.ingest.files import discover
    from extractor.runner.backfill import Backfill, BackfillOptions
    from extractor.storage import Repository

    scratch = Path(tempfile.mkdtemp(prefix="bench-backfill-"))
    if corpus is None:
        import sys

        sys.path.insert(0, str(ROOT))
        from tests.storage.variants import write_corpus

        corpus = scratch / "corpus"
        write_corpus(corpus, good=documents)
    files = discover([corpus])
    settings = get_settings()
    runs = []
    for n in workers:
        url = db or f"sqlite:///{scratch / f'bench-{n}.db'}"
        with Repository.open(url) as repo:
            if db:  # a given database is emptied first, so every run processes everything
                from extractor.storage.database import downgrade, upgrade

                downgrade(repo.engine, "base")
                upgrade(repo.engine)
            load = os.getloadavg()[0]
            report = Backfill(repo, settings, BackfillOptions(engine=engine, workers=n)).run(files, [str(corpus)])
        c = report.counts
        runs.append({"workers": n, "documents": c.processed, "forms": c.forms, "pages": c.pages,
                     "failed": c.documents_failed, "seconds": round(c.seconds, 2),
                     "documents_per_min": round(c.documents_per_minute, 1),
                     "pages_per_min": round(c.pages_per_minute, 1),
                     "forms_per_min": round(c.forms / c.seconds * 60, 1) if c.seconds else 0.0,
                     "load_before": round(load, 2)})
    figures = {"benchmark": "backfill", "engine": engine, "corpus": str(corpus), "files": len(files),
               "database": (db.split("://")[0] if db else "sqlite"), "runs": runs,
               "cpus": os.cpu_count(), "machine": f"{platform.machine()}, {platform.python_implementation()} "
                                                  f"{platform.python_version()}"}
    typer.echo(json.dumps(figures, indent=2, ensure_ascii=False))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@app.command()
def llm(
    repeat: Annotated[int, typer.Option(help="timed rounds over the seed export")] = 10,
    concurrency: Annotated[int, typer.Option(help="EXTRACTOR_LLM_CONCURRENCY")] = 4,
    output: Annotated[Path | None, typer.Option(help="write the figures as JSON here")] = None,
) -> None:
    """The LLM mapper's own cost per form (prompt, validation, grounding, checking, HTTP through a local replay
    server answering at once): cold (every form asked) and warm (every answer from the disk cache)."""
    import sys
    import tempfile

    sys.path.insert(0, str(ROOT))
    from extractor.mapping import get_mapper
    from tests.support.gold_answers import answer_for, grid_of_request
    from tests.support.llm import gold_record, llm_settings, seed_grids
    from tests.support.openai_server import Answer, ScriptedServer

    grids = seed_grids()
    answers = [answer_for(gold_record(i + 1), g) for i, g in enumerate(grids)]
    data = SEED.read_bytes()
    figures: dict[str, object] = {"benchmark": "llm_mapper", "forms_per_document": 10, "rounds": repeat,
                                  "concurrency": concurrency}
    with ScriptedServer(responder=lambda body: Answer(answers[grid_of_request(body, grids)])) as server, \
            tempfile.TemporaryDirectory() as tmp:
        for phase in ("cold", "warm"):
            rounds = []
            for i in range(repeat):
                cache = Path(tmp) / (f"cold-{i}" if phase == "cold" else "warm")
                settings = llm_settings(server, cache, llm_concurrency=concurrency)
                mapper = get_mapper("llm", settings)
                if phase == "warm" and i == 0:
                    extract_bytes(data, "bench", settings, mapper)  # fill the cache
                start = time.perf_counter()
                result = extract_bytes(data, "bench", settings, mapper)
                rounds.append(time.perf_counter() - start)
                assert result.status.value == "ok" and len(result.forms) == 10, result.error
            median = statistics.median(rounds)
            figures[phase] = {"median_s_per_document": round(median, 4), "ms_per_form": round(median / 10 * 1000, 1),
                              "forms_per_second": round(10 / median, 1)}
        figures["requests"] = len(server.requests)
    figures["peak_rss_mb"] = round(peak_rss_mb(), 1)
    figures["machine"] = f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"
    typer.echo(json.dumps(figures, indent=2, ensure_ascii=False))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@app.command()
def service(
    uploads: Annotated[int, typer.Option(help="concurrent uploads (bounded to 500)")] = 50,
    workers: Annotated[int, typer.Option(help="job-worker processes of the server")] = 2,
    database_url: Annotated[str | None, typer.Option("--db", help="database URL (default: SQLite in a temp dir)")] = None,
    output: Annotated[Path | None, typer.Option(help="write the figures as JSON here")] = None,
) -> None:
    """The upload service on loopback: N concurrent uploads of the seed export, uploads/s and job latency."""
    import sys

    sys.path.insert(0, str(ROOT))
    from scripts.service_load import run_load

    figures = {"benchmark": "service", "python": platform.python_version(), "machine": platform.machine(),
               **run_load(uploads=uploads, workers=workers, database_url=database_url)}
    text_out = json.dumps(figures, indent=2, ensure_ascii=False)
    typer.echo(text_out)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text_out + "\n", encoding="utf-8")


if __name__ == "__main__":
    app()
