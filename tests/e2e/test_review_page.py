"""The review page in headless Chromium (Debian's, driven by Playwright) against a real `extractor serve`:
log in, upload, wait for the job, see the flagged cells on both sides, correct, approve, check the database."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select

from extractor.service.settings import ServiceSettings
from extractor.service.store import ServiceStore
from extractor.storage.models import Correction
from extractor.storage.repository import Repository
from extractor.storage.service_tables import Approval
from tests.service.conftest import make_settings
from tests.service.helpers import ROOT, LiveServer, cli, seed_bytes, service_env

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = os.environ.get("EXTRACTOR_CHROMIUM", "/usr/bin/chromium")
# No network here: without these flags Chromium keeps trying to reach Google's services.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-dev-shm-usage"]
SCREENSHOT = ROOT / "docs" / "review-page.png"
PASSWORD = "clerk-password-1"
XSS = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2"><svg onload="window.__xss=3">'


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/setup.sh dev installs Debian's chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


class Site:
    """A live server with one user, and what the test needs to look into its database."""

    def __init__(self, server: LiveServer, settings: ServiceSettings) -> None:
        self.server, self.settings, self.url = server, settings, server.url

    def store(self) -> ServiceStore:
        return ServiceStore(Repository.open(settings=self.settings))


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    database = f"sqlite:///{tmp_path / 'service.db'}"
    settings = make_settings(tmp_path / "data", database)
    env = service_env(settings.data_dir, database)
    created = cli("user", "create", "clerk", "--password", PASSWORD, env=env)
    assert created.returncode == 0, created.stderr
    with LiveServer(env, workers=1, log=tmp_path / "server.log") as server:
        yield Site(server, settings)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def _login(page: Page, site: Site) -> None:
    page.goto(site.url + "/")
    expect(page).to_have_url(site.url + "/login")
    page.fill("input[name=username]", "clerk")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(site.url + "/")


def _upload(page: Page, path: Path) -> None:
    page.set_input_files("#upload-files", str(path))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#upload-list progress")).to_have_count(1)
    # The list reloads once every job has finished; the document shows up in it.
    expect(page.locator("#documents a", has_text=path.name)).to_be_visible(timeout=120_000)


def _edit(page: Page, path: str, value: str) -> None:
    cell = page.locator(f'td.val[data-path="{path}"]')
    cell.click()
    editor = cell.locator("input")
    expect(editor).to_be_visible()
    editor.fill(value)
    editor.press("Enter")
    expect(page.locator(f'td.val.corrected[data-path="{path}"] .v')).to_have_text(value)


def test_log_in_upload_review_correct_approve(page: Page, site: Site, tmp_path: Path) -> None:
    upload = tmp_path / "吴泾镇2024年自评表.txt"
    upload.write_bytes(seed_bytes())
    _login(page, site)
    _upload(page, upload)
    page.click(f"#documents a:has-text('{upload.name}')")
    page.click("nav.tabs a:has-text('表10')")
    expect(page.locator("#form-status")).to_have_text("需复核")

    # The finding, explained in Chinese, and its cells flagged on both sides.
    finding = page.locator("li.finding.sev-error", has_text="FUND_COMPONENTS").first
    expect(finding).to_contain_text("资金构成不平")
    table_cell = page.locator('td.val.sev-error[data-path="funds.current_year.annual_budget"]')
    expect(table_cell).to_have_text("3.53")
    flagged_source = page.locator("#source td[data-cell].sev-error")
    expect(flagged_source).to_have_count(8)  # four rows × budget and executed columns
    expect(page.locator("#source td[data-cell].sev-error", has_text="3.53")).to_have_count(2)
    table_cell.hover()
    expect(page.locator("#source td.active")).to_have_count(1)  # the linked source cell lights up
    page.mouse.move(0, 0)

    page.screenshot(path=str(tmp_path / "review-page.png"), full_page=False)
    assert (tmp_path / "review-page.png").stat().st_size > 50_000
    if os.environ.get("EXTRACTOR_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(tmp_path / "review-page.png", SCREENSHOT)

    _edit(page, "funds.current_year.annual_budget", "3.52")
    expect(page.locator("li.finding.sev-error")).to_have_count(1)  # re-checked live: one column balances now
    _edit(page, "funds.current_year.executed", "3.52")
    expect(page.locator("li.finding.sev-error")).to_have_count(0)
    expect(page.locator("#form-status")).to_have_text("通过")
    expect(page.locator("#source td[data-cell].sev-error")).to_have_count(0)
    expect(page.locator("#corrections tbody tr")).to_have_count(2)

    refused = page.locator('td.val[data-path="grade"]')
    refused.click()
    refused.locator("input").fill("excellent")
    refused.locator("input").press("Enter")
    expect(page.locator("#panel-error")).to_contain_text("grade")  # refused, with the reason shown
    expect(page.locator('td.val[data-path="grade"] .v')).to_have_text("优")

    page.click("#approve")
    expect(page.locator("#approval")).to_contain_text("已审核通过 · clerk")
    expect(page.locator("nav.tabs a.current.approved")).to_have_count(1)

    store = site.store()
    try:
        with store.repo.transaction() as s:
            corrections = list(s.scalars(select(Correction).order_by(Correction.id)))
            assert [(c.field_path, c.old_value, c.new_value, c.author) for c in corrections] == [
                ("funds.current_year.annual_budget", "3.53", "3.52", "clerk"),
                ("funds.current_year.executed", "3.53", "3.52", "clerk")]
            approval = s.scalar(select(Approval))
            assert approval is not None and approval.approved_by == "clerk"
            form_id = approval.form_id
        stored = store.repo.get_form(form_id)
        assert stored is not None and stored.form.index == 10 and stored.form.status.value == "ok"
        assert str(stored.form.record.funds.current_year.executed) == "3.52"
    finally:
        store.repo.close()


def test_markup_in_extracted_text_stays_text(page: Page, site: Site, tmp_path: Path) -> None:
    hostile = tmp_path / "hostile.txt"
    hostile.write_bytes(seed_bytes().decode("utf-8").replace("巡查员工作经费", XSS).encode("utf-8"))
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _login(page, site)
    _upload(page, hostile)
    page.click("#documents a:has-text('hostile.txt')")
    page.click("nav.tabs a:has-text('表1')")

    def inert() -> None:
        assert page.evaluate("window.__xss") is None  # no script ran
        assert page.locator("img[src='x'], svg[onload], [onerror]").count() == 0  # no element was injected
        assert dialogs == []

    expect(page.locator('td.val[data-path="project_name"] .v')).to_have_text(XSS)  # shown as the text it is
    expect(page.locator("#source td[data-cell]", has_text="<script>window.__xss=1</script>")).to_have_count(1)
    inert()
    # The panel is re-rendered after an edit (server HTML swapped in): a hostile correction stays text too.
    _edit(page, "implementing_unit", '<img src=x onerror="window.__xss=4">单位')
    inert()
    expect(page.locator('td.val[data-path="project_name"] .v')).to_have_text(XSS)


def _scan_of_seed_form_10(folder: Path) -> Path:
    """Seed form 10 printed and scanned (200 dpi, slight skew, noise, a red seal) by the corpus generator."""
    import sys

    sys.path.insert(0, str(ROOT))
    from scripts.corpus.dataset import Options, generate

    manifest = generate(folder, Options(seed=7, kinds=("scan",), count=0, include_seed=True, seed_forms=(10,),
                                        layouts=("seed",), dpi=(200, 200)))
    scan = folder / manifest["documents"][0]["path"]
    target = folder / "残保金抚恤金专项-扫描件.pdf"
    scan.rename(target)
    return target


def test_a_scanned_pdf_is_reviewed_on_its_page_image(page: Page, site: Site, tmp_path: Path) -> None:
    scan = _scan_of_seed_form_10(tmp_path / "corpus")
    _login(page, site)
    _upload(page, scan)
    page.click(f"#documents a:has-text('{scan.name}')")
    expect(page.locator(".doc-head .meta")).to_contain_text("PDF")
    image = page.locator("figure.page[data-page='1'] img")
    expect(image).to_be_visible()
    page.wait_for_function("() => { const i = document.querySelector('figure.page img'); "
                           "return i && i.complete && i.naturalWidth > 0; }")

    # The flagged cells drawn as boxes over the scan, where the provenance says they are.
    boxes = page.locator("figure.page .box.sev-error")
    expect(boxes).to_have_count(8)  # FUND_COMPONENTS: four fund rows × 全年预算数, 全年执行数
    box = page.locator('figure.page .box[data-paths~="funds.current_year.annual_budget"]')
    expect(box).to_have_count(1)
    frame, drawn = image.bounding_box(), box.bounding_box()
    assert frame is not None and drawn is not None
    assert frame["x"] < drawn["x"] < frame["x"] + frame["width"] / 2  # the budget column, left half of the page
    assert frame["y"] < drawn["y"] < frame["y"] + frame["height"] / 2  # the funds block, upper half
    assert 5 < drawn["height"] < 60 and 20 < drawn["width"] < 200  # one cell, not the page
    cell = page.locator('td.val.sev-error[data-path="funds.current_year.annual_budget"]')
    expect(cell).to_have_text("3.53")
    cell.hover()
    expect(page.locator("figure.page .box.active")).to_have_count(1)
    page.mouse.move(0, 0)

    page.screenshot(path=str(tmp_path / "review-page.png"), full_page=False)
    if os.environ.get("EXTRACTOR_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(tmp_path / "review-page.png", SCREENSHOT)

    _edit(page, "funds.current_year.annual_budget", "3.52")
    _edit(page, "funds.current_year.executed", "3.52")
    expect(page.locator("li.finding.sev-error")).to_have_count(0)
    expect(page.locator("figure.page .box.sev-error")).to_have_count(0)
    page.click("#approve")
    expect(page.locator("#approval")).to_contain_text("已审核通过 · clerk")

    store = site.store()
    try:
        with store.repo.transaction() as s:
            approval = s.scalar(select(Approval))
            assert approval is not None and approval.record["funds"]["current_year"]["annual_budget"] == "3.52"
            assert [c.new_value for c in s.scalars(select(Correction).order_by(Correction.id))] == ["3.52", "3.52"]
        [document] = store.repo.list_documents()
        assert document.kind == "pdf" and document.pages == 1 and document.status == "ok"
        stored = store.repo.get_form(approval.form_id)
        assert stored is not None and stored.form.status.value == "ok"
        cited = stored.form.provenance.fields["funds.current_year.annual_budget"]
        assert cited.method.value == "human" and cited.cells[0].page == 1 and cited.cells[0].bbox is not None
    finally:
        store.repo.close()
