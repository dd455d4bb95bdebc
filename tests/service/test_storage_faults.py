"""Storage faults are typed answers with nothing half-written: a full disk (a real small tmpfs) is 507, a
read-only one 503; no kept upload is left without its job; ids past what a column holds are 404."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from extractor.service.app import create_app
from extractor.service.store import ServiceStore
from extractor.storage.errors import StorageError
from tests.service.conftest import make_settings
from tests.service.helpers import Caller, seed_bytes, seed_variant


def _kept(data_dir: Path) -> list[Path]:
    return [p for p in (data_dir / "uploads").rglob("*") if p.is_file()]


def test_a_database_that_refuses_the_jobs_leaves_no_kept_upload(alice: Caller, store: ServiceStore, settings,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*_args: object, **_kw: object) -> None:
        raise StorageError("database write failed: database or disk is full", reason="disk_full")

    monkeypatch.setattr(store, "enqueue_many", full)
    response = alice.upload(("a.txt", seed_variant(1)), ("b.txt", seed_variant(2)))
    assert response.status_code == 507, response.text
    assert response.json()["detail"]["code"] == "INSUFFICIENT_STORAGE"
    assert _kept(settings.data_dir) == []  # neither file stays without a job
    monkeypatch.undo()
    assert alice.get("/api/v1/jobs").json() == []

    def read_only(*_args: object, **_kw: object) -> None:
        raise StorageError("database write failed: attempt to write a readonly database", reason="read_only")

    monkeypatch.setattr(store, "enqueue_many", read_only)
    response = alice.upload(("a.txt", seed_variant(1)))
    assert response.status_code == 503 and response.json()["detail"]["code"] == "STORAGE_READ_ONLY"
    assert _kept(settings.data_dir) == []


def test_a_failed_request_keeps_the_file_another_job_refers_to(alice: Caller, settings, store: ServiceStore,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    assert alice.upload(("a.txt", seed_bytes())).status_code == 202
    before = _kept(settings.data_dir)

    def full(*_args: object, **_kw: object) -> None:
        raise StorageError("disk is full", reason="disk_full")

    monkeypatch.setattr(store, "enqueue_many", full)
    assert alice.upload(("again.txt", seed_bytes())).status_code == 507
    assert _kept(settings.data_dir) == before  # the first job's file is still there


@pytest.mark.parametrize("job_id", [2**31, 2**63, 2**64 + 5])
def test_ids_past_what_a_column_holds_are_not_found(alice: Caller, job_id: int) -> None:
    for url in (f"/api/v1/jobs/{job_id}", f"/api/v1/documents/{job_id}", f"/api/v1/documents/{job_id}/source",
                f"/api/v1/documents/{job_id}/pages/1", f"/api/v1/forms/{job_id}",
                f"/api/v1/forms/{job_id}/corrections", f"/api/v1/exports/jsonl?document_id={job_id}"):
        assert alice.get(url).status_code == 404, url
    assert alice.patch(f"/api/v1/forms/{job_id}/fields/grade", json={"value": "良"}).status_code == 404
    assert alice.post(f"/api/v1/forms/{job_id}/approval").status_code == 404


def _mount(where: Path, options: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                          capture_output=True, check=False).returncode == 0


@pytest.mark.slow
def test_a_full_then_read_only_disk_is_typed_and_stores_nothing_half(tmp_path: Path) -> None:
    small = tmp_path / "small"
    if os.geteuid() != 0 or not _mount(small, "size=4m,mode=0700"):
        pytest.fail("this test needs root to mount a small tmpfs (CI runs as root)")
    try:
        settings = make_settings(small / "data", f"sqlite:///{small / 'data' / 'service.db'}")
        app = create_app(settings)
        store: ServiceStore = app.state.store
        token, _ = store.create_token("clerk")
        caller = Caller(TestClient(app), token, "clerk")
        filler = small / "filler"
        with filler.open("wb") as fh:  # fill the disk to the last block
            try:
                while True:
                    fh.write(b"\0" * 65536)
                    fh.flush()
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
        response = caller.upload(("a.txt", seed_variant(1)))
        assert response.status_code == 507, response.text
        assert response.json()["detail"]["code"] == "INSUFFICIENT_STORAGE"
        assert str(small) not in response.text  # no server path in the answer
        assert _kept(settings.data_dir) == [] and store.list_jobs() == []
        assert not [p for p in (settings.uploads_dir() / "tmp").iterdir()]  # no partial staging file

        filler.unlink()
        store.repo.engine.dispose()  # a file open for writing keeps a remount read-only from happening
        subprocess.run(["mount", "-o", "remount,ro", str(small)], check=True)
        response = caller.upload(("a.txt", seed_variant(1)))
        assert response.status_code == 503, response.text
        assert response.json()["detail"]["code"] in ("STORAGE_READ_ONLY", "STORAGE_UNAVAILABLE")
        assert caller.client.get("/api/v1/health").status_code == 503
        assert _kept(settings.data_dir) == []
        store.repo.engine.dispose()

        subprocess.run(["mount", "-o", "remount,rw", str(small)], check=True)
        assert caller.upload(("a.txt", seed_variant(1))).status_code == 202  # room again: the same request works
        assert len(store.list_jobs()) == 1 and len(_kept(settings.data_dir)) == 1
        app.state.store.repo.close()
    finally:
        subprocess.run(["umount", "-l", str(small)], check=False)


def test_the_database_and_the_uploads_are_private(alice: Caller, settings) -> None:
    assert alice.upload(("a.txt", seed_bytes())).status_code == 202
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(settings.uploads_dir().stat().st_mode) == 0o700
    for path in _kept(settings.data_dir):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700, path.parent
    if settings.database_url.startswith("sqlite"):
        database = Path(settings.database_url.split("///", 1)[1])
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            if path.exists():
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
