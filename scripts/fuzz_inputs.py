#!/usr/bin/env python3
"""The fuzz corpus and its harness (issue 12: nothing lost, nothing silently wrong).

    python scripts/fuzz_inputs.py make DIR [--seed 12]       write the bad inputs and DIR/manifest.json
    python scripts/fuzz_inputs.py run DIR [--jobs 2] [--timeout 120] [--report FILE.md]

`make` is deterministic (same seed, same bytes); tests/data/bad/ is `make tests/data/bad --seed 12`. `run` runs
`extractor run --format jsonl` over every input in its own process and prints the summary as Markdown
(scripts/fuzzing/harness.py says what counts as a problem). Exit code 1 when any input has a problem.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: make `scripts.fuzzing` importable

from scripts.fuzzing.harness import markdown, run_all  # noqa: E402
from scripts.fuzzing.inputs import make_inputs, runtime_inputs  # noqa: E402

app = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=True)

GOALS = ("every input: no traceback, exit code 0 or 1, no INTERNAL_ERROR, no hang, peak memory under 1.5 GB; "
         "its outcome one of `accept`; no form `ok` with a value its text does not print (inputs with `gold`)")


@app.command()
def make(folder: Annotated[Path, typer.Argument(help="where to write the inputs (created)")],
         seed: Annotated[int, typer.Option(help="same seed, same bytes")] = 12) -> None:
    """Write the bad inputs and their manifest."""
    old = folder / "manifest.json"
    if old.exists():  # remove what the last `make` wrote, nothing else
        for entry in json.loads(old.read_text(encoding="utf-8"))["inputs"]:
            if not entry.get("runtime"):
                (folder / entry["name"]).unlink(missing_ok=True)
    inputs = make_inputs(seed)
    for item in inputs:
        assert item.data is not None
        path = folder / item.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(item.data)
    entries = [i.manifest() for i in inputs] + [i.manifest() for i in runtime_inputs()]
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry["category"]] = counts.get(entry["category"], 0) + 1
    manifest = {"version": 1, "command": f"python scripts/fuzz_inputs.py make {folder} --seed {seed}", "seed": seed,
                "goals": GOALS, "count": {"committed": len(inputs), "runtime": len(entries) - len(inputs), **counts},
                "inputs": entries}
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    size = sum(len(i.data or b"") for i in inputs)
    typer.echo(f"{len(inputs)} inputs ({size / 1e6:.2f} MB) + {len(entries) - len(inputs)} made at run time → {folder}")


@app.command()
def run(folder: Annotated[Path, typer.Argument(help="a folder written by `make`")],
        jobs: Annotated[int, typer.Option(help="inputs run at once")] = 1,
        timeout: Annotated[float, typer.Option(help="seconds before an input counts as a hang")] = 120.0,
        max_rss_mb: Annotated[float, typer.Option(help="kill a child whose memory passes this (MB)")] = 2048.0,
        only: Annotated[str | None, typer.Option(help="only inputs whose name contains this")] = None,
        runtime: Annotated[bool, typer.Option(help="also the inputs made at run time")] = True,
        report: Annotated[Path | None, typer.Option(help="write the full Markdown report (every input) here")] = None,
        ) -> None:
    """Run the extractor over every input and tabulate what happened."""
    done = [0]

    def progress(outcome: object) -> None:
        done[0] += 1
        o = outcome
        mark = "ok" if o.acceptable else "PROBLEM"  # type: ignore[attr-defined]
        typer.echo(f"[{done[0]}] {o.name}: {mark} ({o.wall_s:.1f} s, {o.peak_mb:.0f} MB)", err=True)  # type: ignore[attr-defined]

    outcomes = run_all(folder, timeout, max_rss_mb, jobs, only, runtime, progress)
    command = f"python scripts/fuzz_inputs.py run {folder} --jobs {jobs} --timeout {timeout:.0f}"
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(markdown(outcomes, command, timeout, full=True), encoding="utf-8")
    typer.echo(markdown(outcomes, command, timeout, full=False))
    raise typer.Exit(1 if any(o.problems for o in outcomes) else 0)


if __name__ == "__main__":
    app()
