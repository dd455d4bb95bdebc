"""Logins kept on the server (logout, password change and `user disable` end them), login limits, and uploads
refused from their headers before their body is read."""

from __future__ import annotations

import re
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from extractor.service.app import create_app
from extractor.service.settings import ServiceSettings
from extractor.service.store import ServiceStore
from tests.service.conftest import make_settings
from tests.service.helpers import Caller, cli, seed_bytes, service_env


@pytest.fixture
def db_url(sqlite_url: str) -> str:  # sessions live in one table; the HTTP surface is the subject
    return sqlite_url


def _csrf(client: TestClient) -> str:
    page = client.get("/login")
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def _login(client: TestClient, username: str, password: str) -> Any:
    return client.post("/login", data={"username": username, "password": password, "csrf": _csrf(client)},
                       follow_redirects=False)


def _page_csrf(client: TestClient) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/").text).group(1)  # type: ignore[union-attr]


def test_a_session_cookie_replayed_after_logout_is_refused(app: FastAPI, alice: Caller) -> None:
    browser = TestClient(app)
    assert _login(browser, "alice", "alice-password").status_code == 303
    cookie = browser.cookies.get("extractor_session")
    assert cookie and browser.get("/api/v1/me").json()["username"] == "alice"
    assert browser.post("/logout", data={"csrf": _page_csrf(browser)}, follow_redirects=False).status_code == 303

    replay = TestClient(app, cookies={"extractor_session": cookie})  # the cookie an attacker kept
    assert replay.get("/api/v1/me").status_code == 401
    assert replay.get("/", follow_redirects=False).headers["location"] == "/login"
    assert replay.delete("/api/v1/forms/1/approval").status_code == 401  # writes too


def test_a_password_change_and_disabling_a_user_end_their_sessions(app: FastAPI, store: ServiceStore,
                                                                   alice: Caller) -> None:
    first, second = TestClient(app), TestClient(app)
    for browser in (first, second):
        assert _login(browser, "alice", "alice-password").status_code == 303
    assert store.session_count(store.get_user(username="alice").id) == 2  # type: ignore[union-attr]
    store.set_password("alice", "a-new-password")
    assert first.get("/api/v1/me").status_code == 401 and second.get("/api/v1/me").status_code == 401
    assert _login(first, "alice", "alice-password").status_code == 401
    assert _login(first, "alice", "a-new-password").status_code == 303
    assert first.get("/api/v1/me").status_code == 200

    assert store.set_disabled("alice", True) == 1
    assert first.get("/api/v1/me").status_code == 401
    assert alice.get("/api/v1/me").status_code == 401  # the API token of a disabled user is refused too
    assert _login(first, "alice", "a-new-password").status_code == 401
    store.set_disabled("alice", False)
    assert alice.get("/api/v1/me").status_code == 200


def test_user_disable_is_a_command(tmp_path, sqlite_url: str) -> None:
    env = service_env(tmp_path / "data", sqlite_url, EXTRACTOR_NEW_PASSWORD="clerk-password")
    assert cli("user", "create", "clerk", env=env).returncode == 0
    done = cli("user", "disable", "clerk", env=env)
    assert done.returncode == 0 and "disabled" in done.stdout
    assert cli("user", "disable", "nobody", env=env).returncode == 1
    assert cli("user", "enable", "clerk", env=env).returncode == 0


@pytest.fixture
def limited(tmp_path) -> FastAPI:
    settings = make_settings(tmp_path / "data", f"sqlite:///{tmp_path / 'l.db'}", login_per_account="3/minute",
                             login_per_address="5/minute")
    app = create_app(settings)
    app.state.store.create_user("alice", "alice-password")
    app.state.store.create_user("bob", "bob-password")
    return app


def test_logins_are_limited_per_account_and_per_address(limited: FastAPI) -> None:
    browser = TestClient(limited)
    assert [_login(browser, "alice", "wrong").status_code for _ in range(3)] == [401, 401, 401]
    refused = _login(browser, "alice", "alice-password")  # even the right password: the account is resting
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert _login(browser, "bob", "bob-password").status_code == 303  # another account from the same address
    # The address has used its five attempts: any account from it now waits.
    assert _login(TestClient(limited), "bob", "bob-password").status_code == 429


def _upload_scope(headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
            "path": "/api/v1/uploads", "raw_path": b"/api/v1/uploads", "query_string": b"", "root_path": "",
            "headers": [(b"host", b"testserver"), (b"content-type", b"multipart/form-data; boundary=x"),
                        (b"content-length", b"250000000"), *headers], "client": ("127.0.0.1", 5000),
            "server": ("testserver", 80)}


@pytest.mark.parametrize("headers", [[], [(b"authorization", b"Bearer pfx_forged")],
                                     [(b"cookie", b"extractor_session=forged")]])
def test_an_unauthenticated_upload_is_refused_before_its_body_is_read(app: FastAPI, settings: ServiceSettings,
                                                                      headers: list[tuple[bytes, bytes]]) -> None:
    read: list[int] = []
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        read.append(1)
        return {"type": "http.request", "body": b"x" * 65536, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    anyio.run(app, _upload_scope(headers), receive, send)
    assert sent[0]["status"] == 401 and read == []  # answered from the headers alone
    assert not (settings.uploads_dir() / "tmp").exists() or not any((settings.uploads_dir() / "tmp").iterdir())


def test_a_sessions_upload_without_its_csrf_token_is_refused_before_its_body(app: FastAPI, alice: Caller) -> None:
    browser = TestClient(app)
    assert _login(browser, "alice", "alice-password").status_code == 303
    response = browser.post("/api/v1/uploads", files=[("files", ("a.txt", seed_bytes()))])
    assert response.status_code == 403 and response.json()["detail"]["code"] == "CSRF_FAILED"
    ok = browser.post("/api/v1/uploads", files=[("files", ("a.txt", seed_bytes()))],
                      headers={"X-CSRF-Token": _page_csrf(browser)})
    assert ok.status_code == 202


def test_a_json_body_over_its_small_cap_is_refused(alice: Caller) -> None:
    response = alice.patch("/api/v1/forms/1/fields/project_name", json={"value": "长" * 2_000_000})
    assert response.status_code == 413 and response.json()["detail"]["code"] == "REQUEST_TOO_LARGE"
