"""Security: authentication everywhere but health, ownership, CSRF, hostile file names and payloads, limits."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pymupdf
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from extractor.service.app import create_app
from extractor.service.settings import ServiceSettings
from extractor.service.store import ServiceStore
from extractor.service.worker import Worker
from tests.service.conftest import make_settings
from tests.service.helpers import Caller, seed_bytes

XSS_NAME = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'


@pytest.fixture
def db_url(sqlite_url: str) -> str:  # these tests are about the HTTP surface: SQLite is enough
    return sqlite_url


def _document(caller: Caller, worker: Worker, data: bytes = b"", name: str = "export.txt") -> dict:
    job = caller.upload((name, data or seed_bytes())).json()["jobs"][0]
    worker.drain()
    job = caller.get(f"/api/v1/jobs/{job['id']}").json()
    return caller.get(f"/api/v1/documents/{job['document_id']}").json()


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: "xlsx" if m.group(0) == "{fmt}" else
                  "total_score" if m.group(0) == "{path}" else "1", path)


def test_every_endpoint_but_health_needs_a_token(client: TestClient, alice: Caller) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    checked = 0
    for path, methods in schema["paths"].items():
        for method in methods:
            url = _concrete(path)
            response = client.request(method.upper(), url)
            if path == "/api/v1/health":
                assert response.status_code == 200
                continue
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.headers.get("www-authenticate") == "Bearer"
            bad = client.request(method.upper(), url, headers={"Authorization": "Bearer pfx_not-a-token"})
            assert bad.status_code == 401, (method, path)
            checked += 1
    assert checked >= 14  # uploads, jobs, documents, source, pages, forms, fields, corrections, approval, exports…
    assert client.get("/api/v1/me", headers={"Authorization": "Basic YWxpY2U6eA=="}).status_code == 401


def test_another_users_document_is_not_found(alice: Caller, bob: Caller, worker: Worker) -> None:
    doc = _document(alice, worker)
    form_id = doc["forms"][0]["id"]
    job_id = doc["job_ids"][0]
    for url in (f"/api/v1/documents/{doc['id']}", f"/api/v1/documents/{doc['id']}/source",
                f"/api/v1/documents/{doc['id']}/pages/1", f"/api/v1/forms/{form_id}",
                f"/api/v1/forms/{form_id}/corrections", f"/api/v1/jobs/{job_id}",
                f"/api/v1/exports/jsonl?document_id={doc['id']}"):
        assert bob.get(url).status_code == 404, url
    assert bob.patch(f"/api/v1/forms/{form_id}/fields/grade", json={"value": "差"}).status_code == 404
    assert bob.post(f"/api/v1/forms/{form_id}/approval").status_code == 404
    assert bob.get("/api/v1/documents").json() == [] and bob.get("/api/v1/jobs").json() == []
    assert bob.get("/api/v1/exports/jsonl").text == ""  # an export of everything is an export of his nothing
    assert alice.get(f"/api/v1/forms/{form_id}").json()["record"]["grade"] == "优"  # untouched


def test_a_path_in_the_upload_file_name_never_becomes_a_path(alice: Caller, worker: Worker,
                                                             settings: ServiceSettings, tmp_path: Path) -> None:
    names = ["../../../../tmp/evil.txt", "..\\..\\windows\\evil.txt", "/etc/passwd", "....//x.txt", "a<b>:c?.txt"]
    for name in names:
        response = alice.upload((name, seed_bytes()))
        assert response.status_code == 202, name
        job = response.json()["jobs"][0]
        assert "/" not in job["filename"] and "\\" not in job["filename"] and not job["filename"].startswith(".")
    assert [j["filename"] for j in alice.get("/api/v1/jobs").json()][::-1] == [
        "evil.txt", "evil.txt", "passwd", "x.txt", "a_b__c_.txt"]
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()
    stored = [p for p in settings.data_dir.rglob("*") if p.is_file() and p.suffix == ".txt"]
    assert stored and all(p.parent.parent == settings.data_dir / "uploads" for p in stored)
    assert {p.stem for p in stored} == {__import__("hashlib").sha256(seed_bytes()).hexdigest()}


@pytest.fixture
def tight(tmp_path: Path) -> ServiceSettings:
    return make_settings(tmp_path / "tight", f"sqlite:///{tmp_path / 'tight.db'}", max_file_bytes=40_000,
                         max_request_bytes=100_000, max_pages=3, max_image_pixels=1_000_000, max_upload_files=3)


@pytest.fixture
def tight_alice(tight: ServiceSettings) -> Caller:
    app = create_app(tight)
    token, _ = app.state.store.create_token("alice")
    return Caller(TestClient(app), token, "alice")


def _pdf(pages: int) -> bytes:
    doc = pymupdf.open()
    for _ in range(pages):
        doc.new_page()
    return bytes(doc.tobytes())


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("L", (width, height), 255).save(out, format="PNG")
    return out.getvalue()


def _zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("form.docx", b"\x00\x01" * 100)
    return out.getvalue()


@pytest.mark.parametrize(("name", "data", "status", "code"), [
    ("big.txt", seed_bytes() * 3, 413, "FILE_TOO_LARGE"),
    ("scan.pdf", _pdf(4), 413, "TOO_MANY_PAGES"),
    ("scan.png", _png(1200, 1000), 413, "TOO_MANY_PIXELS"),
    ("form.pdf", _zip(), 415, "UNSUPPORTED_MEDIA_TYPE"),  # judged by content, not by the name
    ("form.txt", bytes(range(256)) * 20, 415, "UNSUPPORTED_MEDIA_TYPE"),
    ("empty.txt", b"", 422, "EMPTY_DOCUMENT"),
    ("broken.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 50, 422, "CORRUPT_DOCUMENT"),
    ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, 422, "CORRUPT_DOCUMENT"),
])
def test_bad_uploads_are_refused_with_a_clear_4xx(tight_alice: Caller, tight: ServiceSettings, name: str,
                                                  data: bytes, status: int, code: str) -> None:
    response = tight_alice.upload((name, data))
    assert response.status_code == status, response.text
    assert response.json()["detail"]["code"] == code
    assert tight_alice.get("/api/v1/jobs").json() == []  # nothing queued
    assert not [p for p in (tight.data_dir / "uploads").rglob("*") if p.is_file()]  # nothing kept


def test_one_bad_file_refuses_the_whole_request(tight_alice: Caller) -> None:
    response = tight_alice.upload(("good.txt", seed_bytes()), ("bad.pdf", _zip()))
    assert response.status_code == 415 and response.json()["detail"]["filename"] == "bad.pdf"
    assert tight_alice.get("/api/v1/jobs").json() == []
    assert tight_alice.upload(*[(f"{i}.txt", seed_bytes()) for i in range(4)]).status_code == 413  # > 3 files


def test_a_request_over_the_cap_is_refused_before_it_is_read(tight_alice: Caller) -> None:
    response = tight_alice.upload(("a.txt", seed_bytes()), ("b.txt", seed_bytes()), ("c.txt", b"x" * 80_000))
    assert response.status_code == 413 and response.json()["detail"]["code"] == "REQUEST_TOO_LARGE"


def test_a_streamed_request_is_cut_off_at_the_cap(tight_alice: Caller) -> None:
    boundary = "cut-off-boundary"

    def body():  # no Content-Length: the size is only known while reading
        yield f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\n\r\n".encode()
        for _ in range(30):
            yield b"x" * 10_000
        yield f"\r\n--{boundary}--\r\n".encode()

    response = tight_alice.client.post("/api/v1/uploads", content=body(), headers={
        **tight_alice.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert response.status_code == 413 and response.json()["detail"]["code"] == "REQUEST_TOO_LARGE"
    assert tight_alice.get("/api/v1/jobs").json() == []


def test_content_decides_the_kind_not_the_name(tight_alice: Caller) -> None:
    response = tight_alice.upload(("scan.txt", _png(300, 200)), ("export.pdf", seed_bytes()))
    assert response.status_code == 202
    assert [j["kind"] for j in response.json()["jobs"]] == ["image", "text_export"]


def _login(client: TestClient, username: str, password: str) -> tuple[int, str]:
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    response = client.post("/login", data={"username": username, "password": password, "csrf": csrf},
                           follow_redirects=False)
    return response.status_code, csrf


def test_session_login_csrf_and_headers(app, client: TestClient, store: ServiceStore, alice: Caller,
                                        worker: Worker) -> None:
    doc = _document(alice, worker)
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    assert _login(client, "alice", "wrong-password")[0] == 401
    assert _login(client, "nobody", "alice-password")[0] == 401
    status, _ = _login(client, "alice", "alice-password")
    assert status == 303
    cookie = client.cookies.get("extractor_session")
    assert cookie
    page = client.get("/")
    assert page.status_code == 200 and "export.txt" in page.text
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    form_id = doc["forms"][9]["id"]
    url = f"/api/v1/forms/{form_id}/fields/grade"
    assert client.patch(url, json={"value": "良"}).status_code == 403  # a session write without the token
    assert client.patch(url, json={"value": "良"}, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.patch(url, json={"value": "良"}, headers={"X-CSRF-Token": csrf}).status_code == 200
    assert client.get("/api/v1/jobs").status_code == 200  # reads need no CSRF token
    headers = page.headers
    assert "script-src 'self'" in headers["content-security-policy"] and "unsafe-inline" not in headers[
        "content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    set_cookie = client.post("/login", data={"username": "alice", "password": "alice-password", "csrf": csrf},
                             follow_redirects=False).headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie
    assert client.post("/logout", data={"csrf": "forged"}).status_code == 403


def test_extracted_html_is_escaped_on_the_page(client: TestClient, alice: Caller, worker: Worker) -> None:
    payload = seed_bytes().decode("utf-8").replace("巡查员工作经费", XSS_NAME).encode("utf-8")
    doc = _document(alice, worker, payload, name='<b>bold<i>.txt')
    assert doc["forms"][0]["record"]["project_name"] == XSS_NAME  # the API hands the text back as it was read
    assert _login(client, "alice", "alice-password")[0] == 303
    page = client.get(f"/documents/{doc['id']}?form=1").text
    assert "<script>window.__xss" not in page and "<img src=x" not in page
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in page
    assert "_b_bold_i_.txt" in page and "<b>bold<i>" not in page  # markup in a file name is defused too
    listing = client.get("/").text
    assert "_b_bold_i_.txt" in listing and "<b>bold<i>" not in listing


def test_another_users_pages_are_not_found_in_the_browser_either(client: TestClient, store: ServiceStore,
                                                                 alice: Caller, worker: Worker) -> None:
    doc = _document(alice, worker)
    store.create_user("mallory", "mallory-password")
    assert _login(client, "mallory", "mallory-password")[0] == 303
    form_id = doc["forms"][0]["id"]
    assert client.get(f"/documents/{doc['id']}").status_code == 404
    assert client.get(f"/documents/{doc['id']}/forms/{form_id}/panel").status_code == 404
    assert client.get(f"/api/v1/documents/{doc['id']}/source").status_code == 404
    assert "export.txt" not in client.get("/").text


def test_bidi_and_format_characters_leave_display_names(alice: Caller) -> None:
    name = "invoice\u202eTXT.exe\u2066\u200b.txt"
    job = alice.upload((name, seed_bytes())).json()["jobs"][0]
    assert job["filename"] == "invoiceTXT.exe.txt"


def test_a_readers_error_does_not_show_the_servers_staging_path(tight_alice: Caller, tight: ServiceSettings) -> None:
    for name, data in (("broken.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 50),
                       ("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)):
        response = tight_alice.upload((name, data))
        assert response.status_code == 422
        assert str(tight.data_dir) not in response.text and "/tmp" not in response.text and ".part" not in response.text


def test_personal_data_is_never_cached(client: TestClient, alice: Caller, worker: Worker) -> None:
    doc = _document(alice, worker)
    for url in ("/api/v1/documents", f"/api/v1/documents/{doc['id']}", f"/api/v1/forms/{doc['forms'][0]['id']}",
                "/api/v1/jobs", "/api/v1/exports/jsonl", "/api/v1/me"):
        assert alice.get(url).headers["cache-control"] == "no-store", url
    assert client.get("/login").headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/static/review.js").headers.get("cache-control", "")


def test_the_openapi_schema_is_public_and_holds_no_data(client: TestClient, alice: Caller, worker: Worker) -> None:
    # A decision (README, Security): the schema is the API's contract, the same for every installation and
    # in the source; clients generate code from it without a token. It must never carry a user's data.
    _document(alice, worker, name="secret-name.txt")
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert "secret-name" not in schema.text and "alice" not in schema.text


def test_a_text_export_starting_with_BM_uploads_as_a_text_export(tight_alice: Caller) -> None:
    response = tight_alice.upload(("bm.txt", b"BM\t" + seed_bytes()))
    assert response.status_code == 202, response.text
    assert [j["kind"] for j in response.json()["jobs"]] == ["text_export"]
