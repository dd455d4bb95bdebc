"""Uploads of the issue-14 formats: an .xlsx (named .txt: judged by content) becomes a document whose source is
its read grid with spreadsheet cell ids; an encrypted package and a zip bomb are refused at upload, with the
same limits as the back-fill."""

from __future__ import annotations

import io
import random
import zipfile

import pytest

from extractor.service.worker import Worker
from scripts.corpus.dataset import seed_forms
from scripts.corpus.formats import to_docx, to_xlsx
from scripts.corpus.layouts import Printing, build
from tests.service.helpers import Caller


def _layouts() -> list:
    rng = random.Random(7)
    return [build(form, "seed", Printing(), rng) for form in seed_forms()[:2]]


def test_an_xlsx_upload_becomes_a_document_with_its_grid_as_source(alice: Caller, worker: Worker) -> None:
    response = alice.upload(("forms.txt", to_xlsx(_layouts(), random.Random(1))))
    assert response.status_code == 202, response.text
    job = response.json()["jobs"][0]
    assert job["kind"] == "xlsx"
    assert worker.drain() == 1
    done = alice.get(f"/api/v1/jobs/{job['id']}").json()
    assert done["status"] == "done", done
    doc = alice.get(f"/api/v1/documents/{done['document_id']}").json()
    assert doc["kind"] == "xlsx" and len(doc["forms"]) == 2
    cells = doc["forms"][0]["provenance"]["fields"]["project_name"]["cells"]
    assert "!" in cells[0]["id"]  # Sheet1!C4: the spreadsheet's own address
    source = alice.get(f"/api/v1/documents/{doc['id']}/source").json()
    assert source["kind"] == "xlsx" and source["grids"] and not source["pages"]
    page = alice.client.get(f"/documents/{doc['id']}", headers=alice.headers)
    assert page.status_code in (200, 303, 307)


def test_an_encrypted_package_is_refused_at_upload(alice: Caller) -> None:
    msoffcrypto = pytest.importorskip("msoffcrypto.format.ooxml")
    out = io.BytesIO()
    msoffcrypto.OOXMLFile(io.BytesIO(to_docx(_layouts(), random.Random(1)))).encrypt("secret", out)
    response = alice.upload(("secret.docx", out.getvalue()))
    assert response.status_code == 422, response.text
    assert "ENCRYPTED_DOCUMENT" in response.text


def test_a_zip_bomb_is_refused_at_upload(alice: Caller) -> None:
    src = zipfile.ZipFile(io.BytesIO(to_docx(_layouts(), random.Random(1))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info.filename))
        dst.writestr("word/media/zeros.bin", b"\0" * (300 * 1024 * 1024))
    response = alice.upload(("bomb.docx", out.getvalue()))
    assert response.status_code == 413, response.text
    assert "RESOURCE_LIMIT" in response.text
