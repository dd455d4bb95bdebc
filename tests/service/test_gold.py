"""Approved forms exported as an evaluation dataset (perf-form-dataset/1: manifest.json + gold/*.json)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

from extractor.records.models import Record
from extractor.service.store import ServiceStore
from extractor.service.worker import Worker
from tests.conftest import load_gold
from tests.service.helpers import Caller, cli, seed_bytes, service_env


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    return sqlite_url


def _reviewed(alice: Caller, worker: Worker) -> dict:
    job = alice.upload(("seed.txt", seed_bytes())).json()["jobs"][0]
    worker.drain()
    document_id = alice.get(f"/api/v1/jobs/{job['id']}").json()["document_id"]
    doc = alice.get(f"/api/v1/documents/{document_id}").json()
    forms = {f["index"]: f for f in doc["forms"]}
    for path in ("funds.current_year.annual_budget", "funds.current_year.executed"):
        assert alice.patch(f"/api/v1/forms/{forms[10]['id']}/fields/{path}", json={"value": "3.52"}).status_code == 200
    for index in (1, 3, 10):
        assert alice.post(f"/api/v1/forms/{forms[index]['id']}/approval").status_code == 200
    return doc


def test_approved_forms_download_as_a_dataset(alice: Caller, bob: Caller, worker: Worker) -> None:
    _reviewed(alice, worker)
    response = alice.get("/api/v1/gold")
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["format"] == "perf-form-dataset/1" and manifest["name"] == "reviewed-alice"
    [entry] = manifest["documents"]
    digest = hashlib.sha256(seed_bytes()).hexdigest()
    assert entry == {"path": f"{digest[:16]}.txt", "kind": "text_export",
                     "gold": [f"gold/{digest[:16]}-form-{i:02d}.json" for i in (1, 3, 10)]}
    assert archive.read(entry["path"]) == seed_bytes()  # the document itself, byte for byte
    golds = [json.loads(archive.read(name)) for name in entry["gold"]]
    assert [g["form_index"] for g in golds] == [1, 3, 10] and {g["source"] for g in golds} == {entry["path"]}
    assert all(g["approved_by"] == "alice" for g in golds)
    for gold in golds:
        Record.model_validate(gold["record"])  # a valid record v1
    # Approved as extracted, the seed's forms 1 and 3 give the hand-made gold's expected findings…
    assert golds[0]["expected_findings"] == load_gold(1)["expected_findings"] == ["ACHIEVED_BUT_DEDUCTED"]
    assert sorted(golds[1]["expected_findings"]) == sorted(load_gold(3)["expected_findings"])
    # …and form 10, corrected to balance, expects none (its printed inconsistency was corrected away).
    assert golds[2]["record"]["funds"]["current_year"]["executed"] == "3.52" and golds[2]["expected_findings"] == []
    # Bob approved nothing: his dataset is empty.
    empty = zipfile.ZipFile(io.BytesIO(bob.get("/api/v1/gold").content))
    assert json.loads(empty.read("manifest.json"))["documents"] == []


def test_export_gold_command_writes_the_folder(alice: Caller, worker: Worker, settings, store: ServiceStore,
                                              tmp_path: Path) -> None:
    _reviewed(alice, worker)
    env = service_env(settings.data_dir, settings.database_url)
    out = tmp_path / "reviewed"
    result = cli("export-gold", str(out), "--user", "alice", "--name", "district-a", env=env)
    assert result.returncode == 0, result.stderr
    assert "3 approved form(s) of 1 document(s)" in result.stdout
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["name"] == "district-a" and len(manifest["documents"][0]["gold"]) == 3
    for name in manifest["documents"][0]["gold"]:
        gold = json.loads((out / name).read_text(encoding="utf-8"))
        assert set(gold) >= {"source", "form_index", "record", "expected_findings"}
        assert (out / gold["source"]).is_file()
    again = cli("export-gold", str(out), env=env)
    assert again.returncode == 2 and "not empty" in " ".join(again.stderr.split())  # never written over
    unknown = cli("export-gold", str(tmp_path / "x"), "--user", "nobody", env=env)
    assert unknown.returncode == 1
