"""Back-fill of an archive in unknown layouts: one LLM induction per layout across worker processes, every
other form read by rules; the run's summary counts the LLM requests per form. Against the local scripted
OpenAI-compatible server (real HTTP, real worker processes)."""

from __future__ import annotations

import pytest

from extractor.ingest.files import discover
from extractor.records.compare import compare_records
from extractor.records.cost import llm_usage
from extractor.records.models import FormStatus, Record
from extractor.runner.backfill import Backfill, BackfillOptions
from extractor.storage import Repository
from extractor.templates.store import TemplateStore
from scripts.induction_cost import measure
from tests.support.llm import llm_settings
from tests.support.openai_server import Answer, ScriptedServer
from tests.support.unknown_families import FAMILIES, family_of_request, write_archive

pytestmark = pytest.mark.slow


def test_two_hundred_forms_in_four_unknown_layouts_cost_four_requests_in_a_backfill(tmp_path):
    # 20 files of 10 forms, a family's files side by side: both workers start on the same unknown layout at once.
    gold, answers = write_archive(tmp_path / "archive", files_per_family=5, forms_per_file=10)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with ScriptedServer(responder=lambda body: Answer(answers[family_of_request(body)])) as server:
        settings = llm_settings(server, None, mapper="hybrid", data_dir=tmp_path / "data", trust_induced=True)
        with Repository.open(url) as repo:
            report = Backfill(repo, settings, BackfillOptions(workers=2, timeout_s=300.0)).run(
                discover([tmp_path / "archive"]), [str(tmp_path / "archive")])
    assert report.status == "finished", report.message
    c = report.counts
    assert len(server.requests) == 4  # one induction per layout, whichever worker asked first
    assert (c.processed, c.forms, c.forms_ok) == (20, 200, 200)
    assert c.llm_requests == 4 and c.llm_requests_per_form == pytest.approx(0.02)
    assert c.llm_prompt_tokens > 0 and c.llm_completion_tokens > 0
    with Repository.open(url) as repo:
        stored = list(repo.iter_forms())
        assert repo.get_run(report.run_id).counts["llm_requests"] == 4
    assert len(stored) == 200
    wrong = []
    for item in stored:
        form = item.form
        assert form.status is FormStatus.OK and form.template in FAMILIES
        expected = Record.model_validate(gold[(item.paths[0].rsplit("/", 1)[1], form.index)])
        wrong += [(item.paths[0], form.index, c.path, c.got, c.expected)
                  for c in compare_records(form.record, expected) if c.outcome.value != "correct"]
    assert wrong == []
    induced = [f.form for f in stored if f.form.provenance.llm["induction"].get("induced")]
    assert sorted(f.template for f in induced) == sorted(FAMILIES)  # the one form per layout that asked


def test_an_induction_counts_its_requests_and_tokens_on_the_form_that_asked():
    asked = {"status": "read_by_induced_template", "induction": {"induced": True, "requests": 2,
                                                                 "usage": {"prompt_tokens": 900,
                                                                           "completion_tokens": 300}}}
    waited = {"status": "read_by_induced_template", "induction": {"induced": False}}
    mapped = {"requests": 1, "usage": {"prompt_tokens": 50, "completion_tokens": 20}}
    assert llm_usage(asked) == (2, 900, 300, False)
    assert llm_usage(waited) == (0, 0, 0, False)
    assert llm_usage(mapped) == (1, 50, 20, False)
    assert llm_usage(None) == (0, 0, 0, False)


def test_the_cost_comparison_counts_one_request_per_layout_against_one_per_form():
    # scripts/induction_cost.py, as the docs run it, on a smaller archive: 4 layouts × 5 forms.
    rows = measure(forms=5, seed=31)
    induction, per_form = rows["induction (--mapper hybrid)"], rows["per-form LLM (--mapper llm)"]
    assert (induction["forms"], induction["requests"], induction["exact"]) == (20, 4, 20)
    assert per_form["forms"] == 20 and per_form["requests"] >= 20 and per_form["exact"] == 20
    assert induction["prompt_tokens"] + induction["completion_tokens"] < (
        per_form["prompt_tokens"] + per_form["completion_tokens"])


def test_forms_that_waited_for_approval_are_read_by_rules_once_it_is_approved(tmp_path):
    gold, answers = write_archive(tmp_path / "archive", files_per_family=2, forms_per_file=5)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    with ScriptedServer(responder=lambda body: Answer(answers[family_of_request(body)])) as server:
        settings = llm_settings(server, None, mapper="hybrid", data_dir=tmp_path / "data")

        def backfill(**options: object):
            with Repository.open(url) as repo:
                return Backfill(repo, settings, BackfillOptions(workers=2, timeout_s=300.0, **options)).run(
                    discover([tmp_path / "archive"]), [str(tmp_path / "archive")])

        first = backfill()
        assert (first.counts.forms, first.counts.forms_review, len(server.requests)) == (40, 40, 4)
        store = TemplateStore(tmp_path / "data")
        assert sorted(d.id for d in store.list()["candidates"]) == sorted(FAMILIES)
        assert backfill(reread_awaiting=True).counts.forms_ok == 0  # not approved yet: they keep waiting
        for family in FAMILIES:
            store.approve(family, "reviewer-1")
        again = backfill(reread_awaiting=True)
        assert again.counts.processed == 8 and again.counts.forms_ok == 40
        assert backfill(reread_awaiting=True).counts.processed == 0  # nothing waits any more
    assert len(server.requests) == 4  # the approved definitions read them: no further LLM request
    with Repository.open(url) as repo:
        stored = list(repo.iter_forms())
    assert len(stored) == 40
    for item in stored:
        assert item.form.status is FormStatus.OK
        assert item.form.provenance.llm["trusted"] == "approved"
        expected = Record.model_validate(gold[(item.paths[0].rsplit("/", 1)[1], item.form.index)])
        assert [c for c in compare_records(item.form.record, expected) if c.outcome.value != "correct"] == []
