"""A back-fill with the LLM mapper (against a local scripted OpenAI-compatible server): workers ask it, the
database keeps the mapper and the prompt's hash on every form."""

from __future__ import annotations

import shutil

from extractor.mapping.llm import PROMPT, PROMPT_VERSION
from extractor.mapping.prompts import load_prompt
from extractor.storage import FormQuery, Repository
from tests.storage.helpers import backfill
from tests.storage.variants import SEED
from tests.support.gold_answers import answer_for, grid_of_request
from tests.support.llm import gold_record, llm_settings, seed_grids
from tests.support.openai_server import Answer, ScriptedServer


def test_llm_mapped_forms_are_stored_with_their_prompt_hash(db_url, tmp_path):
    grids = seed_grids()
    answers = [answer_for(gold_record(i + 1), g) for i, g in enumerate(grids)]
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEED, folder / "seed.txt")
    with ScriptedServer(responder=lambda body: Answer(answers[grid_of_request(body, grids)])) as server:
        settings = llm_settings(server, None)
        report = backfill(db_url, [folder], settings=settings, workers=1)
        assert report.counts.processed == 1 and report.counts.forms == 10, report.counts.failures
        assert len(server.requests) >= 10  # the worker process asked the server for every form
    with Repository.open(db_url) as repo:
        forms = repo.list_forms(FormQuery())
        assert {f.mapper for f in forms} == {"llm"}
        assert {f.prompt_hash for f in forms} == {load_prompt(PROMPT, PROMPT_VERSION).hash}
        for summary in forms:
            assert repo.get_form(summary.id).form.record.project_name == gold_record(summary.form_index).project_name
