"""`extractor eval` over the LLM and hybrid mappers, against a scripted local OpenAI-compatible server."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.support.gold_answers import answer_for, grid_of_request
from tests.support.llm import MODEL, SECRET, gold_record, seed_grids
from tests.support.openai_server import Answer, ScriptedServer

EXTRACTOR = Path(sys.executable).parent / "extractor"


def _replay():
    grids = seed_grids()
    answers = [answer_for(gold_record(i + 1), grid) for i, grid in enumerate(grids)]
    return lambda body: Answer(answers[grid_of_request(body, grids)])


def _eval(server: ScriptedServer, cache: Path, out: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXTRACTOR_")}
    env |= {"EXTRACTOR_LLM_BASE_URL": server.base_url, "EXTRACTOR_LLM_MODEL": MODEL,
            "EXTRACTOR_LLM_API_KEY": SECRET, "EXTRACTOR_LLM_CACHE_DIR": str(cache)}
    proc = subprocess.run([str(EXTRACTOR), "eval", "--dataset", "seed", "--mapper", "rules,llm,hybrid",
                           "-o", str(out)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    assert SECRET not in proc.stdout + proc.stderr + (out / "report.json").read_text(encoding="utf-8")
    return {r["label"]: r for r in json.loads((out / "report.json").read_text(encoding="utf-8"))["results"]}


@pytest.mark.slow
def test_llm_requests_tokens_and_cache_are_reported(tmp_path):
    with ScriptedServer(responder=_replay()) as server:
        first = _eval(server, tmp_path / "cache", tmp_path / "first")
        sent = len(server.requests)
        second = _eval(server, tmp_path / "cache", tmp_path / "second")
    rules, llm, hybrid = (first[f"{m}/rapid"]["overall"] for m in ("rules", "llm", "hybrid"))
    # A faithful model reproduces the gold records, one request per form; hybrid needs none on the seed.
    assert llm["field_accuracy"] == 1.0 and llm["cost"]["llm_requests"] == 10 == sent
    assert llm["cost"]["llm_tokens"] > 1000 and llm["cost"]["llm_cached_forms"] == 0
    assert hybrid["field_accuracy"] == 1.0 and hybrid["cost"]["llm_requests"] == 0
    assert rules["cost"]["llm_tokens"] == 0
    # Re-run: every answer comes from the cache, no request is sent, the recorded tokens stay comparable.
    again = second["llm/rapid"]["overall"]
    assert len(server.requests) == sent
    assert again["cost"]["llm_requests"] == 0 and again["cost"]["llm_cached_forms"] == 10
    assert again["cost"]["llm_tokens"] == llm["cost"]["llm_tokens"]
    table = (tmp_path / "second" / "report.md").read_text(encoding="utf-8")
    assert "(10 form(s) from cache)" in table
