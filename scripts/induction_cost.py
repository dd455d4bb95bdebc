#!/usr/bin/env python3
"""What an archive of unknown layouts costs at the LLM endpoint: template induction (`--mapper hybrid`, one
definition per layout, then rules) against per-form LLM mapping (`--mapper llm`), on the same generated archive.

    PYTHONPATH=. python scripts/induction_cost.py --forms 50

Both runs talk to the tests' local scripted OpenAI-compatible server (real HTTP, no network), which answers as a
faithful model would and counts every request; its token counts are estimates (characters / 2), not a real
tokenizer's. Prints a Markdown table: requests, requests per form, tokens, forms equal to gold.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from extractor.ingest.text_export import read_text_export  # noqa: E402
from extractor.pipeline import extract_bytes  # noqa: E402
from extractor.records.compare import compare_records  # noqa: E402
from extractor.records.cost import llm_usage  # noqa: E402
from extractor.records.models import Record  # noqa: E402
from tests.support.gold_answers import answer_for, grid_of_request  # noqa: E402
from tests.support.llm import llm_settings  # noqa: E402
from tests.support.openai_server import Answer, ScriptedServer  # noqa: E402
from tests.support.unknown_families import FAMILIES, export, faithful_answer, family_of_request  # noqa: E402

app = typer.Typer(add_completion=False, help=__doc__)


def measure(forms: int, seed: int = 31, families: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Run the archive (`forms` forms of each family) through both mappers; requests, tokens, exact forms."""
    families = families or list(FAMILIES)
    archive = {family: export(family, forms, seed) for family in families}
    twins = {family: export(family, forms, seed, relabel=False)[0] for family in families}
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        # Induction: one answer per layout (the family's definition); the rest of its forms are read by rules.
        definitions = {f: faithful_answer(f, read_text_export(text.encode("utf-8"))[0][0])
                       for f, (text, _) in archive.items()}
        with ScriptedServer(responder=lambda body: Answer(definitions[family_of_request(body)])) as server:
            settings = llm_settings(server, None, mapper="hybrid", data_dir=Path(scratch) / "induction",
                                    trust_induced=True)
            exact, usage = 0, [0, 0]
            for family, (text, records) in archive.items():
                result = extract_bytes(text.encode("utf-8"), f"{family}.txt", settings)
                exact += _exact(result.forms, records)
                usage = _add(usage, result.forms)
            results["induction (--mapper hybrid)"] = _row(server, forms * len(families), exact, usage)
        # Per-form LLM mapping: every form is one request (more when the answer is re-asked).
        current: dict[str, Any] = {}
        with ScriptedServer(responder=lambda body: Answer(
                current["answers"][grid_of_request(body, current["grids"])])) as server:
            settings = llm_settings(server, None, mapper="llm", data_dir=Path(scratch) / "llm")
            exact, usage = 0, [0, 0]
            for family, (text, records) in archive.items():
                grids, _ = read_text_export(text.encode("utf-8"))
                central, _ = read_text_export(twins[family].encode("utf-8"))
                # The faithful answer is found on the central twin (same cells, same ids, central labels).
                current["grids"] = grids
                current["answers"] = [answer_for(Record.model_validate(r), g) for r, g in zip(records, central,
                                                                                              strict=True)]
                result = extract_bytes(text.encode("utf-8"), f"{family}.txt", settings)
                exact += _exact(result.forms, records)
                usage = _add(usage, result.forms)
            results["per-form LLM (--mapper llm)"] = _row(server, forms * len(families), exact, usage)
    return results


def _exact(forms: list[Any], records: list[dict[str, Any]]) -> int:
    return sum(all(c.outcome.value == "correct" for c in compare_records(f.record, Record.model_validate(r)))
               for f, r in zip(forms, records, strict=True))


def _add(usage: list[int], forms: list[Any]) -> list[int]:
    for form in forms:
        spent = llm_usage(form.provenance.llm)
        usage = [usage[0] + spent.prompt_tokens, usage[1] + spent.completion_tokens]
    return usage


def _row(server: ScriptedServer, forms: int, exact: int, usage: list[int]) -> dict[str, Any]:
    requests = len(server.requests)
    return {"forms": forms, "requests": requests, "per_form": requests / forms, "prompt_tokens": usage[0],
            "completion_tokens": usage[1], "tokens_per_form": (usage[0] + usage[1]) / forms, "exact": exact}


@app.command()
def main(forms: Annotated[int, typer.Option(help="forms of each of the four made-up families")] = 50,
         seed: Annotated[int, typer.Option(help="the archive's random seed")] = 31) -> None:
    """Measure both mappers on one archive and print a Markdown table."""
    rows = measure(forms, seed)
    print("| mapper | forms | LLM requests | requests per form | tokens (prompt + completion) | tokens per form "
          "| forms equal to gold |")
    print("|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['forms']} | {r['requests']} | {r['per_form']:.3f} | "
              f"{r['prompt_tokens']} + {r['completion_tokens']} | {r['tokens_per_form']:.0f} | {r['exact']} |")


if __name__ == "__main__":
    app()
