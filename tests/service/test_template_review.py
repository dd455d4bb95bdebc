"""The review page's template-induction pages without a browser: who may see and approve a candidate
definition, CSRF, unknown families, what the database keeps, and the files given back at start-up."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from extractor.ingest.text_export import read_text_export
from extractor.mapping.induction import InducedTemplate
from extractor.service.app import create_app
from extractor.service.settings import ServiceSettings
from extractor.service.store import ServiceStore
from extractor.templates.store import TemplateStore, fingerprint, sample_rows
from tests.service.helpers import Caller
from tests.support.unknown_families import export, faithful_answer


def _propose(settings: ServiceSettings) -> TemplateStore:
    text, _ = export("tianshan", 2, 41)
    grid = read_text_export(text.encode("utf-8"))[0][0]
    definition = InducedTemplate.model_validate(faithful_answer("tianshan", grid)).definition(
        {"fingerprint": fingerprint(grid), "model": "scripted-model", "proved_on": 1})
    families = TemplateStore(settings.data_dir)
    families.propose(definition, sample=sample_rows(grid))
    return families


def _login(client: TestClient) -> str:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    assert client.post("/login", data={"username": "alice", "password": "alice-password", "csrf": csrf},
                       follow_redirects=False).status_code == 303
    page = client.get("/templates")
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def test_a_candidate_is_shown_and_approved_once_with_a_valid_token(client: TestClient, store: ServiceStore,
                                                                   settings: ServiceSettings, alice: Caller) -> None:
    families = _propose(settings)
    assert client.get("/templates", follow_redirects=False).headers["location"] == "/login"
    csrf = _login(client)
    listing = client.get("/templates")
    assert listing.status_code == 200 and 'href="/templates/tianshan"' in listing.text
    shown = client.get("/templates/tianshan")
    assert shown.status_code == 200
    assert re.search(r'<td class="mapped" title="→ 全年执行数">实际支出', shown.text)  # the sample cell, marked
    assert client.get("/templates/nosuch").status_code == 404

    forged = client.post("/templates/tianshan/approve", data={"csrf": "forged"}, follow_redirects=False)
    assert forged.status_code == 403
    assert store.approved_templates() == [] and families.list()["approved"] == []
    assert client.post("/templates/nosuch/approve", data={"csrf": csrf}, follow_redirects=False).status_code == 404

    approved = client.post("/templates/tianshan/approve", data={"csrf": csrf}, follow_redirects=False)
    assert approved.status_code == 303 and approved.headers["location"].startswith("/templates?approved=tianshan")
    [kept] = store.approved_templates()
    assert (kept.family, kept.status, kept.approved_by) == ("tianshan", "approved", "alice")
    assert kept.fingerprint and "实际支出" in kept.definition
    assert [d.id for d in families.list()["approved"]] == ["tianshan"] and families.list()["candidates"] == []
    assert client.post("/templates/tianshan/approve", data={"csrf": csrf}, follow_redirects=False).status_code == 404

    # The database keeps it: a data directory that lost the file gets it back when the service starts.
    (families.approved / "tianshan.toml").unlink()
    create_app(settings, workers=0).state.store.repo.close()
    assert (families.approved / "tianshan.toml").is_file()


def test_an_unreadable_stored_definition_does_not_keep_the_service_from_starting(
        store: ServiceStore, settings: ServiceSettings, caplog) -> None:
    store.record_template(family="broken", name="broken", definition="id = [unclosed", provenance={},
                          approved_by="someone")
    with caplog.at_level("ERROR", logger="extractor.service.web"):
        create_app(settings, workers=0).state.store.repo.close()
    assert "approved definition broken not restored" in caplog.text
    assert not (settings.data_dir / "templates" / "approved" / "broken.toml").exists()
