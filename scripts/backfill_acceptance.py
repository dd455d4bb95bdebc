#!/usr/bin/env python3
"""The back-fill acceptance on any folder: an uninterrupted run, then on SQLite and on PostgreSQL a run killed
with SIGKILL part-way and restarted; the three databases must hold the same records, one row per document.

    python scripts/backfill_acceptance.py CORPUS --scratch-pg postgresql+psycopg://u:p@127.0.0.1/scratch

The PostgreSQL database is EMPTIED first. When CORPUS (or a folder below it) holds make_corpus manifests, the
stored form count of each document is compared with the manifest's expectation too.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
EXTRACTOR = str(Path(sys.executable).parent / "extractor")
app = typer.Typer(add_completion=False, help=__doc__)


def _stored(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM documents")).scalar() or 0
    except Exception:
        return 0
    finally:
        engine.dispose()


def _run(url: str, corpus: Path, workers: int) -> tuple[int, float, str]:
    start = time.perf_counter()
    done = subprocess.run([EXTRACTOR, "backfill", str(corpus), "--db", url, "--workers", str(workers)],
                          capture_output=True, text=True)
    return done.returncode, time.perf_counter() - start, done.stdout


def _kill_midway(url: str, corpus: Path, workers: int, at: int) -> int:
    proc = subprocess.Popen([EXTRACTOR, "backfill", str(corpus), "--db", url, "--workers", str(workers)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    while _stored(url) < at:
        if proc.poll() is not None:
            raise SystemExit(f"the run ended before {at} documents were stored")
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return _stored(url)


def _expected_forms(corpus: Path) -> dict[str, int]:
    expected = {}
    for manifest in corpus.rglob("manifest.json"):
        for doc in json.loads(manifest.read_text(encoding="utf-8")).get("documents", []):
            if doc.get("expect", {}).get("status") != "failed":
                expected[str((manifest.parent / doc["path"]).absolute())] = int(doc["expect"].get("forms", 0))
    return expected


@app.command()
def main(
    corpus: Annotated[Path, typer.Argument(help="the folder to back-fill")],
    scratch_pg: Annotated[str, typer.Option(help="a PostgreSQL URL to EMPTY and use")],
    workers: Annotated[int, typer.Option(help="worker processes")] = 2,
    kill_at: Annotated[float, typer.Option(help="kill when this share of the documents is stored")] = 0.4,
    output: Annotated[Path | None, typer.Option(help="write the figures as JSON here")] = None,
) -> None:
    """Run the acceptance and print what was compared."""
    from extractor.storage import Repository
    from extractor.storage.database import downgrade, upgrade
    from extractor.storage.snapshot import snapshot

    scratch = Path(tempfile.mkdtemp(prefix="backfill-acceptance-"))
    reference = f"sqlite:///{scratch / 'reference.db'}"
    rc, seconds, summary = _run(reference, corpus, workers)
    typer.echo(f"reference run: exit {rc}, {seconds:.1f} s\n{summary}")
    with Repository.open(reference) as repo:
        wanted = snapshot(repo)
        totals = repo.totals()
    with Repository.open(scratch_pg) as repo:
        downgrade(repo.engine, "base")
        upgrade(repo.engine)
    figures: dict[str, object] = {"corpus": str(corpus), "documents": totals.documents, "forms": totals.forms,
                                  "paths": totals.paths, "pages": totals.pages,
                                  "documents_by_status": totals.documents_by_status,
                                  "forms_by_status": totals.forms_by_status, "reference_seconds": round(seconds, 1),
                                  "load": os.getloadavg()[0]}
    at = max(1, int(totals.documents * kill_at))
    for name, url in (("sqlite", f"sqlite:///{scratch / 'killed.db'}"), ("postgresql", scratch_pg)):
        midway = _kill_midway(url, corpus, workers, at)
        rc, seconds, summary = _run(url, corpus, workers)
        with Repository.open(url) as repo:
            same = snapshot(repo) == wanted
            t = repo.totals()
        figures[name] = {"killed_at": midway, "restart_exit": rc, "restart_seconds": round(seconds, 1),
                         "documents": t.documents, "forms": t.forms, "paths": t.paths, "same_as_reference": same}
        typer.echo(f"{name}: killed with {midway} stored; restart exit {rc} in {seconds:.1f} s; "
                   f"{t.documents} documents, {t.forms} forms; identical to the uninterrupted run: {same}")
    expected = _expected_forms(corpus)
    if expected:
        with Repository.open(reference) as repo:
            stored = {p: d for d in repo.list_documents(limit=None) for p in d.paths}
        wrong = {p: (n, stored[p].form_count if p in stored else None) for p, n in expected.items()
                 if p not in stored or stored[p].form_count != n}
        figures["manifest"] = {"documents_expected_ok": len(expected), "form_count_differs": len(wrong),
                               "examples": dict(list(wrong.items())[:10])}
        typer.echo(f"manifest: {len(expected)} documents expected readable, {len(wrong)} with another form count")
    typer.echo(json.dumps(figures, indent=2, ensure_ascii=False, default=str))
    if output:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(figures, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    ok = all(isinstance(v, dict) and v.get("same_as_reference") for k, v in figures.items()
             if k in ("sqlite", "postgresql"))
    raise typer.Exit(0 if ok else 1)


if __name__ == "__main__":
    app()
