"""The API against a real database (SQLite and PostgreSQL): upload → job → document → correct → approve → export."""

from __future__ import annotations

import io
import json
import zipfile
from decimal import Decimal

import openpyxl
from sqlalchemy import func, select

from extractor.service.store import ServiceStore
from extractor.service.worker import Worker
from extractor.storage.models import Correction, Document
from extractor.storage.service_tables import Approval, Job
from tests.service.helpers import Caller, seed_bytes, seed_variant


def _process(caller: Caller, worker: Worker, *files: tuple[str, bytes]) -> list[dict]:
    response = caller.upload(*files)
    assert response.status_code == 202, response.text
    jobs = response.json()["jobs"]
    assert worker.drain() == len(jobs)
    return [caller.get(f"/api/v1/jobs/{j['id']}").json() for j in jobs]


def _document(caller: Caller, worker: Worker) -> dict:
    job = _process(caller, worker, ("2024-export.txt", seed_bytes()))[0]
    assert job["status"] == "done", job
    return caller.get(f"/api/v1/documents/{job['document_id']}").json()


def test_health_needs_no_token_but_reports_the_database(client) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_upload_writes_a_queued_job_before_answering_and_a_worker_makes_it_a_document(alice: Caller, store: ServiceStore,
                                                                                     worker: Worker) -> None:
    response = alice.upload(("2024-export.txt", seed_bytes()))
    assert response.status_code == 202
    job = response.json()["jobs"][0]
    assert response.headers["location"] == f"/api/v1/jobs/{job['id']}"
    assert job["status"] == "queued" and job["kind"] == "text_export" and job["document_id"] is None
    with store.repo.transaction() as s:  # durable before any worker ran: the row is committed
        row = s.get(Job, job["id"])
        assert row is not None and row.status == "queued" and row.attempts == 0
    assert worker.drain() == 1
    done = alice.get(f"/api/v1/jobs/{job['id']}").json()
    assert done["status"] == "done" and done["attempts"] == 1 and done["document_id"] is not None
    assert done["seconds"] is not None and done["finished_at"] is not None

    listed = alice.get("/api/v1/documents").json()
    assert [d["id"] for d in listed] == [done["document_id"]]
    assert listed[0]["form_count"] == 10 and listed[0]["needs_review"] == 3 and listed[0]["approved"] == 0


def test_document_has_forms_records_findings_explained_and_provenance(alice: Caller, worker: Worker) -> None:
    doc = _document(alice, worker)
    assert doc["status"] == "ok" and doc["kind"] == "text_export" and doc["filenames"] == ["2024-export.txt"]
    assert [f["index"] for f in doc["forms"]] == list(range(1, 11))
    form10 = doc["forms"][9]
    assert form10["status"] == "needs_review" and form10["has_errors"]
    assert form10["record"]["funds"]["total"]["annual_budget"] == "3.52"
    codes = [f["code"] for f in form10["findings"] if f["severity"] == "error"]
    assert codes == ["FUND_COMPONENTS", "FUND_COMPONENTS"]
    finding = form10["findings"][0]
    assert "年度资金总额应等于" in finding["explanation"]  # explained in Chinese
    assert "年度资金总额·全年预算数" in finding["field_labels"]
    src = form10["provenance"]["fields"]["funds.total.annual_budget"]
    assert src["cells"][0]["line"] is not None and src["alignment"] == "exact"
    # The flagged cells of the source, by line and column for an export.
    lit = {(h["path"], h["severity"]) for h in form10["highlights"]}
    assert ("funds.total.annual_budget", "error") in lit and ("funds.current_year.executed", "error") in lit
    assert all(h["line"] and h["column"] for h in form10["highlights"])
    assert form10["flags"]["funds.total.executed"]["codes"] == ["FUND_COMPONENTS"]

    source = alice.get(f"/api/v1/documents/{doc['id']}/source").json()
    assert source["kind"] == "text_export" and source["pages"] == [] and len(source["grids"]) == 10
    cell_ids = {c["id"] for row in source["grids"][9] for c in row if c}
    assert {h["cell_id"] for h in form10["highlights"]} <= cell_ids  # every highlight is on the shown grid
    assert alice.get(f"/api/v1/documents/{doc['id']}/pages/1").status_code == 404  # exports have no page images


def test_correction_rechecks_records_who_when_old_new_and_approval_keeps_the_record(
        alice: Caller, worker: Worker, store: ServiceStore) -> None:
    doc = _document(alice, worker)
    form = doc["forms"][9]
    url = f"/api/v1/forms/{form['id']}/fields/"
    first = alice.patch(url + "funds.current_year.annual_budget", json={"value": "3.52", "note": "按汇总数"})
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["correction"]["old_value"] == "3.53" and body["correction"]["new_value"] == "3.52"
    assert body["correction"]["author"] == "alice" and body["correction"]["note"] == "按汇总数"
    # Re-checked: the budget column balances now, the executed column still does not.
    remaining = [f for f in body["form"]["findings"] if f["code"] == "FUND_COMPONENTS"]
    assert len(remaining) == 1 and "funds.total.executed" in remaining[0]["fields"]
    assert {f["code"] for f in body["form"]["findings"]} >= {"LABEL_REPAIRED"}  # the other findings are kept
    corrected = body["form"]["provenance"]["fields"]["funds.current_year.annual_budget"]
    assert corrected["method"] == "human" and corrected["alignment"] == "corrected"
    assert corrected["cells"][0]["text"] == "3.53"  # the citation stays: the page still shows where it sits

    second = alice.patch(url + "funds.current_year.executed", json={"value": "3.52"}).json()
    assert second["form"]["status"] == "ok" and not second["form"]["has_errors"]

    approval = alice.post(f"/api/v1/forms/{form['id']}/approval")
    assert approval.status_code == 200 and approval.json()["approved_by"] == "alice"
    with store.repo.transaction() as s:
        rows = list(s.scalars(select(Correction).where(Correction.form_id == form["id"]).order_by(Correction.id)))
        assert [(r.field_path, r.old_value, r.new_value, r.author) for r in rows] == [
            ("funds.current_year.annual_budget", "3.53", "3.52", "alice"),
            ("funds.current_year.executed", "3.53", "3.52", "alice")]
        approved = s.scalar(select(Approval).where(Approval.form_id == form["id"]))
        assert approved is not None and approved.approved_by == "alice"
        assert approved.record["funds"]["current_year"]["executed"] == "3.52" and approved.findings == []
    stored = store.repo.get_form(form["id"])
    assert stored is not None and stored.form.record.funds.current_year.executed == Decimal("3.52")
    assert stored.form.status.value == "ok"
    listed = alice.get("/api/v1/documents").json()[0]
    assert listed["needs_review"] == 2 and listed["approved"] == 1

    # A later edit withdraws the approval: the approved record is no longer the record.
    alice.patch(url + "grade", json={"value": "良"})
    assert alice.get(f"/api/v1/forms/{form['id']}").json()["approval"] is None
    assert len(alice.get(f"/api/v1/forms/{form['id']}/corrections").json()) == 3


def test_a_value_the_source_does_not_hold_is_kept_when_a_person_sets_it(alice: Caller, worker: Worker) -> None:
    doc = _document(alice, worker)
    form = doc["forms"][0]
    result = alice.patch(f"/api/v1/forms/{form['id']}/fields/project_name", json={"value": "巡查员工作经费（更正）"}).json()
    assert result["form"]["record"]["project_name"] == "巡查员工作经费（更正）"
    assert "UNGROUNDED_VALUE" not in {f["code"] for f in result["form"]["findings"]}


def test_bad_corrections_are_422_with_a_reason(alice: Caller, worker: Worker) -> None:
    form = _document(alice, worker)["forms"][2]
    url = f"/api/v1/forms/{form['id']}/fields/"
    cases = {"grade": "excellent", "indicators[99].score": "1", "total_score": 9.5, "funds.total.executed": "abc",
             "indicators[0].level2": "不存在的指标", "nonsense": "x"}
    for path, value in cases.items():
        response = alice.patch(url + path, json={"value": value})
        assert response.status_code == 422, (path, response.text)
        assert response.json()["detail"]["code"] == "INVALID_CORRECTION"
    assert alice.get(f"/api/v1/forms/{form['id']}/corrections").json() == []  # nothing was recorded


def test_several_files_in_one_request_become_several_jobs(alice: Caller, worker: Worker) -> None:
    jobs = _process(alice, worker, ("a.txt", seed_variant(1)), ("b.txt", seed_variant(2)))
    assert [j["status"] for j in jobs] == ["done", "done"]
    assert len({j["document_id"] for j in jobs}) == 2
    assert {d["filename"] for d in alice.get("/api/v1/documents").json()} == {"a.txt", "b.txt"}


def test_the_same_bytes_again_reuse_the_document_and_never_overwrite_a_review(alice: Caller, worker: Worker,
                                                                              store: ServiceStore) -> None:
    doc = _document(alice, worker)
    form = doc["forms"][9]
    alice.patch(f"/api/v1/forms/{form['id']}/fields/funds.current_year.annual_budget", json={"value": "3.52"})
    again = _process(alice, worker, ("copy.txt", seed_bytes()))[0]
    assert again["status"] == "done" and again["document_id"] == doc["id"]
    with store.repo.transaction() as s:
        assert s.scalar(select(func.count(Document.id))) == 1
    kept = alice.get(f"/api/v1/forms/{form['id']}").json()
    assert kept["record"]["funds"]["current_year"]["annual_budget"] == "3.52"
    assert alice.get(f"/api/v1/documents/{doc['id']}").json()["filenames"] == ["2024-export.txt", "copy.txt"]


def test_exports_of_a_selection(alice: Caller, worker: Worker) -> None:
    first = _process(alice, worker, ("a.txt", seed_variant(1)))[0]["document_id"]
    _process(alice, worker, ("b.txt", seed_variant(2)))
    forms = alice.get(f"/api/v1/documents/{first}").json()["forms"]
    assert alice.post(f"/api/v1/forms/{forms[4]['id']}/approval").status_code == 200

    xlsx = alice.get("/api/v1/exports/xlsx", params={"document_id": first})
    assert xlsx.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 10  # header + the first document's forms only
    header = list(rows[0])
    assert "项目名称" in header
    assert {r[header.index("项目名称")] for r in rows[1:]} >= {"巡查员工作经费1"}

    jsonl = alice.get("/api/v1/exports/jsonl", params={"approved": "true"})
    lines = [json.loads(line) for line in jsonl.text.splitlines()]
    assert [line["form_id"] for line in lines] == [forms[4]["id"]]

    review = alice.get("/api/v1/exports/csv", params={"status": "needs_review"})
    archive = zipfile.ZipFile(io.BytesIO(review.content))
    assert "forms.csv" in archive.namelist()
    table = archive.read("forms.csv").decode("utf-8-sig").splitlines()
    assert len(table) == 1 + 6  # three forms need review in each document


def test_tokens_are_stored_hashed_and_a_revoked_token_stops_working(alice: Caller, store: ServiceStore) -> None:
    tokens = store.list_tokens("alice")
    assert len(tokens) == 1 and alice.token.startswith(tokens[0].prefix)
    from extractor.storage.service_tables import ApiToken

    with store.repo.transaction() as s:
        stored = s.scalar(select(ApiToken.token_hash))
    assert stored != alice.token and len(stored) == 64
    assert alice.get("/api/v1/me").json()["username"] == "alice"
    assert store.revoke_token(tokens[0].id)
    assert alice.get("/api/v1/me").status_code == 401


def test_correction_values_are_bounded_by_field_with_typed_422s(alice: Caller, worker: Worker) -> None:
    form = _document(alice, worker)["forms"][2]
    url = f"/api/v1/forms/{form['id']}/fields/"
    refused = {("funds.total.executed", "1E-20000000"): "NUMBER_OUT_OF_RANGE",
               ("funds.total.executed", "1E-999999999"): "NUMBER_OUT_OF_RANGE",
               ("funds.total.executed", "1E+999999999"): "NUMBER_OUT_OF_RANGE",
               ("funds.total.executed", "1" * 41): "NUMBER_OUT_OF_RANGE",
               ("funds.total.executed", "123456789012345"): "NUMBER_OUT_OF_RANGE",
               ("funds.total.executed", "0.0000001"): "NUMBER_OUT_OF_RANGE",
               ("funds.total.executed", 10**40): "NUMBER_OUT_OF_RANGE",
               ("total_score", "1" * 5000): "NUMBER_OUT_OF_RANGE",
               ("project_name", "长" * 2001): "TEXT_TOO_LONG",
               ("indicators[0].target", "x" * 300_000): "TEXT_TOO_LONG",
               ("year", "20240"): "INVALID_CORRECTION",
               ("year", "1E+999999999"): "INVALID_CORRECTION"}
    for (path, value), code in refused.items():
        response = alice.patch(url + path, json={"value": value})
        assert response.status_code == 422, (path, str(value)[:30], response.status_code)
        assert response.json()["detail"]["code"] == code, (path, str(value)[:30])
        assert len(response.content) < 2000  # the refusal does not echo a huge value back
    assert alice.get(f"/api/v1/forms/{form['id']}/corrections").json() == []
    ok = alice.patch(url + "funds.total.executed", json={"value": "12345678901234.5"})
    assert ok.status_code == 200 and ok.json()["correction"]["new_value"] == "12345678901234.5"
    assert alice.patch(url + "funds.total.initial_budget", json={"value": "1E+3"}).json()["correction"][
        "new_value"] == "1000"
    assert alice.patch(url + "project_name", json={"value": "长" * 2000}).status_code == 200
