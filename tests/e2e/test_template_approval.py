"""Template induction on the review page, in headless Chromium against a real `extractor serve`: a candidate
definition induced by `extractor templates induce` (scripted local LLM server) is shown beside its sample,
approved by a reviewer, kept in the database, and from then on reads the layout's forms by rules."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from extractor.ingest.files import discover
from extractor.ingest.text_export import read_text_export
from extractor.records.compare import compare_records
from extractor.records.models import FormResult, Record
from extractor.runner.backfill import Backfill, BackfillOptions, Counts
from extractor.storage.repository import Repository
from tests.e2e.test_review_page import PASSWORD, Site, _upload, browser, page, site  # noqa: F401 (fixtures)
from tests.service.helpers import ROOT, cli, service_env
from tests.support.llm import MODEL, SECRET, llm_settings
from tests.support.openai_server import Answer, ScriptedServer
from tests.support.unknown_families import FAMILIES, export, faithful_answer, family_of_request, write_archive

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCREENSHOT = ROOT / "docs" / "induction-review.png"


def _forms(live: Site) -> list[FormResult]:
    store = live.store()
    try:
        return [stored.form for stored in store.repo.iter_forms()]
    finally:
        store.repo.close()


def test_a_reviewer_approves_an_induced_definition_on_the_review_page(page: Page, site: Site,  # noqa: F811
                                                                      tmp_path: Path) -> None:
    text, records = export("kunlun", 4, 21)
    sample = tmp_path / "昆仑样表.txt"
    sample.write_text(text, encoding="utf-8")
    answer = faithful_answer("kunlun", read_text_export(text.encode("utf-8"))[0][0])
    env = service_env(site.settings.data_dir, site.settings.database_url or "")
    with ScriptedServer(responder=lambda body: Answer(answer)) as llm:
        induced = cli("templates", "induce", str(sample), env={
            **env, "EXTRACTOR_LLM_BASE_URL": llm.base_url, "EXTRACTOR_LLM_MODEL": MODEL,
            "EXTRACTOR_LLM_API_KEY": SECRET, "EXTRACTOR_LLM_CACHE": "false"})
    assert induced.returncode == 0, induced.stderr
    assert len(llm.requests) == 1

    page.goto(site.url + "/")
    expect(page).to_have_url(site.url + "/login")
    page.fill("input[name=username]", "clerk")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(site.url + "/")
    # An upload of the layout before its definition is approved: the rules cannot read it, it waits for review.
    _upload(page, sample)
    waiting = _forms(site)
    assert len(waiting) == 4 and {f.status.value for f in waiting} == {"needs_review"}
    assert {f.template for f in waiting} != {"kunlun"}

    page.click("nav.top-links a:has-text('表样模板')")
    page.click("#candidates a:has-text('kunlun')")
    # The sample beside the definition: the cell printing 实支数 is marked as read for 全年执行数.
    expect(page.locator("#mapping tr", has_text="实支数")).to_contain_text("全年执行数")
    mapped = page.locator("#sample td.mapped", has_text="实支数").first
    expect(mapped).to_have_attribute("title", "→ 全年执行数")
    expect(page.locator("#sample td.mapped")).not_to_have_count(0)
    page.screenshot(path=str(tmp_path / "induction-review.png"), full_page=False)
    if os.environ.get("EXTRACTOR_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(tmp_path / "induction-review.png", SCREENSHOT)

    page.click("#approve-template")
    expect(page.locator("#approved-notice")).to_contain_text("kunlun")
    expect(page.locator("#approved-notice")).to_contain_text("4 张待复核的表")
    expect(page.locator("#approved tr[data-family=kunlun]")).to_contain_text("clerk")
    expect(page.locator("#no-candidates")).to_be_visible()

    store = site.store()
    try:
        approved = store.approved_templates()
    finally:
        store.repo.close()
    assert [(t.family, t.status, t.approved_by) for t in approved] == [("kunlun", "approved", "clerk")]
    assert "实支数" in approved[0].definition and approved[0].fingerprint
    data = Path(site.settings.data_dir) / "templates"
    assert (data / "approved" / "kunlun.toml").is_file() and not (data / "candidates" / "kunlun.toml").exists()

    # The waiting upload was read again by rules with the approved definition: every form ok and equal to gold.
    reread = sorted(_forms(site), key=lambda f: f.index)
    assert [(f.status.value, f.template) for f in reread] == [("ok", "kunlun")] * 4
    for form, gold in zip(reread, records, strict=True):
        assert [c for c in compare_records(form.record, Record.model_validate(gold))
                if c.outcome.value != "correct"] == []
        assert form.provenance.llm["reread_after_approval"] is True

    # The approved family now reads the layout by rules alone (no LLM configured at all).
    out = cli("run", str(sample), "--format", "json", env=env)
    assert out.returncode == 0, out.stderr
    forms = json.loads(out.stdout)["documents"][0]["forms"]
    assert {f["template"] for f in forms} == {"kunlun"} and {f["status"] for f in forms} == {"ok"}
    for form, gold in zip(forms, records, strict=True):
        assert [c for c in compare_records(Record.model_validate(form["record"]), Record.model_validate(gold))
                if c.outcome.value != "correct"] == []

    # The database keeps the definition: a data directory that lost the file gets it back at start-up.
    (data / "approved" / "kunlun.toml").unlink()
    site.server.stop()
    site.server.start()
    assert (data / "approved" / "kunlun.toml").is_file()


def test_an_archive_of_four_unknown_layouts_costs_four_requests_and_is_approved_on_the_review_page(
        page: Page, site: Site) -> None:  # noqa: F811
    # The acceptance: 200 forms in 4 unknown layouts, a back-fill (2 workers) asks the LLM once per
    # layout, a reviewer approves the 4 candidates in the browser, the waiting forms are read by rules.
    archive = Path(site.settings.data_dir).parent / "archive"
    gold, answers = write_archive(archive, files_per_family=5, forms_per_file=10)
    url = site.settings.database_url or ""
    with ScriptedServer(responder=lambda body: Answer(answers[family_of_request(body)])) as llm:
        settings = llm_settings(llm, None, mapper="hybrid", data_dir=site.settings.data_dir)

        def backfill(**options: object) -> Counts:
            with Repository.open(url) as repo:
                report = Backfill(repo, settings, BackfillOptions(workers=2, timeout_s=300.0, **options)).run(
                    discover([archive]), [str(archive)])
            assert report.status == "finished", report.message
            return report.counts

        first = backfill()
        assert (first.forms, first.forms_review, first.llm_requests, len(llm.requests)) == (200, 200, 4, 4)

        page.goto(site.url + "/login")
        page.fill("input[name=username]", "clerk")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page).to_have_url(site.url + "/")
        for family in sorted(FAMILIES):
            page.goto(site.url + "/templates")
            page.click(f"#candidates a:has-text('{family}')")
            expect(page.locator("#sample td.mapped")).not_to_have_count(0)
            page.click("#approve-template")
            expect(page.locator("#approved-notice")).to_contain_text(family)
        expect(page.locator("#approved tbody tr")).to_have_count(4)
        expect(page.locator("#no-candidates")).to_be_visible()

        again = backfill(reread_awaiting=True)
        assert (again.processed, again.forms_ok, again.llm_requests) == (20, 200, 0)
    assert len(llm.requests) == 4

    store = site.store()
    try:
        approved = store.approved_templates()
        stored = list(store.repo.iter_forms())
    finally:
        store.repo.close()
    assert sorted((t.family, t.approved_by) for t in approved) == [(f, "clerk") for f in sorted(FAMILIES)]
    assert len(stored) == 200
    wrong = []
    for item in stored:
        assert item.form.status.value == "ok" and item.form.provenance.llm["trusted"] == "approved"
        expected = Record.model_validate(gold[(item.paths[0].rsplit("/", 1)[1], item.form.index)])
        wrong += [(item.paths[0], item.form.index, c.path) for c in compare_records(item.form.record, expected)
                  if c.outcome.value != "correct"]
    assert wrong == []
