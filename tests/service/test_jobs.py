"""Durable jobs: exactly-once claims under races, leases that expire, poison documents, crashes and restarts
(real worker processes and a real server, killed for real)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from extractor.service.settings import ServiceSettings
from extractor.service.store import JobInfo, ServiceStore
from extractor.service.uploads import keep, receive
from extractor.service.worker import Supervisor
from extractor.storage.repository import Repository
from tests.service.conftest import make_settings
from tests.service.helpers import LiveServer, big_export, seed_variant, service_env, wait_for


def _enqueue(store: ServiceStore, user_id: int, n: int, max_attempts: int = 3) -> list[JobInfo]:
    return [store.enqueue(user_id=user_id, filename=f"{i}.txt", stored_path=f"uploads/none/{i}.txt",
                          sha256=f"{i:064d}", size=1, kind="text_export", max_attempts=max_attempts)
            for i in range(n)]


@pytest.fixture
def user_id(store: ServiceStore) -> int:
    return store.create_user("clerk").id


def test_racing_workers_claim_each_job_exactly_once(settings: ServiceSettings, store: ServiceStore,
                                                    user_id: int) -> None:
    jobs = _enqueue(store, user_id, 12)
    claimed: list[tuple[str, int]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def claimer(name: str) -> None:
        own = ServiceStore(Repository.open(settings=settings))  # its own engine and connections
        try:
            barrier.wait()
            while (job := own.claim(name, lease_s=60)) is not None:
                with lock:
                    claimed.append((name, job.id))
        finally:
            own.repo.close()

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    ids = [job_id for _, job_id in claimed]
    assert sorted(ids) == sorted(j.id for j in jobs)  # every job once: none lost, none twice
    rows = store.list_jobs(user_id)
    assert all(j.status == "running" and j.attempts == 1 for j in rows)
    assert {j.lease_owner for j in rows} == {name for name, _ in claimed}


def test_an_expired_lease_is_claimed_again_and_the_old_owner_cannot_finish(store: ServiceStore, user_id: int) -> None:
    [job] = _enqueue(store, user_id, 1)
    first = store.claim("w1", lease_s=0.2)
    assert first is not None and first.id == job.id and first.attempts == 1
    assert store.claim("w2", lease_s=0.2) is None  # still leased
    assert store.renew(job.id, "w1", lease_s=0.2)
    time.sleep(0.5)
    second = store.claim("w2", lease_s=30)
    assert second is not None and second.id == job.id and second.attempts == 2
    assert not store.renew(job.id, "w1", 30)
    assert not store.finish(job.id, "w1", status="done", document_id=None, error=None, seconds=1.0)
    assert store.finish(job.id, "w2", status="done", document_id=None, error=None, seconds=1.0)
    assert store.get_job(job.id).status == "done"  # type: ignore[union-attr]


def test_a_job_that_keeps_killing_its_worker_ends_failed_with_the_reason(store: ServiceStore, user_id: int) -> None:
    [job] = _enqueue(store, user_id, 1, max_attempts=2)
    for attempt in (1, 2):
        claimed = store.claim(f"w{attempt}", lease_s=30)
        assert claimed is not None and claimed.attempts == attempt
        store.note_error(job.id, f"w{attempt}", {"code": "JOB_TIMEOUT", "message": "too slow"}, expire=True)
    assert store.claim("w3", lease_s=30) is None
    failed = store.get_job(job.id)
    assert failed is not None and failed.status == "failed" and failed.attempts == 2
    assert failed.error is not None and failed.error["code"] == "JOB_ABANDONED"
    assert failed.error["last"]["code"] == "JOB_TIMEOUT"


def test_a_released_job_is_queued_again_without_using_an_attempt(store: ServiceStore, user_id: int) -> None:
    [job] = _enqueue(store, user_id, 1)
    assert store.claim("w1", lease_s=30) is not None
    assert store.release(job.id, "w1")
    again = store.get_job(job.id)
    assert again is not None and again.status == "queued" and again.attempts == 0 and again.lease_owner is None


def test_a_busy_database_sends_the_job_back_with_a_delay(store: ServiceStore, user_id: int) -> None:
    [job] = _enqueue(store, user_id, 1, max_attempts=2)
    store.claim("w1", lease_s=30)
    assert store.retry_later(job.id, "w1", {"code": "STORAGE_ERROR", "message": "locked"}, delay_s=60) == "queued"
    assert store.claim("w2", lease_s=30) is None  # not before its delay
    queued = store.get_job(job.id)
    assert queued is not None and queued.error == {"code": "STORAGE_ERROR", "message": "locked"}


def _token(settings: ServiceSettings) -> str:
    store = ServiceStore(Repository.open(settings=settings))
    try:
        return store.create_token("clerk")[0]
    finally:
        store.repo.close()


def _jobs(settings: ServiceSettings) -> list[JobInfo]:
    store = ServiceStore(Repository.open(settings=settings))
    try:
        return store.list_jobs()
    finally:
        store.repo.close()


def _upload(server: LiveServer, token: str, name: str, data: bytes) -> int:
    response = httpx.post(server.url + "/api/v1/uploads", headers={"Authorization": f"Bearer {token}"},
                          files=[("files", (name, data))], timeout=60)
    assert response.status_code == 202, response.text
    return int(response.json()["jobs"][0]["id"])


@pytest.mark.slow
def test_a_restarted_server_resumes_pending_jobs_and_hands_back_the_one_it_was_running(
        tmp_path: Path, sqlite_url: str) -> None:
    settings = make_settings(tmp_path / "data", sqlite_url)
    env = service_env(settings.data_dir, sqlite_url, EXTRACTOR_JOB_LEASE_S="30")
    token = _token(settings)
    with LiveServer(env, workers=0, log=tmp_path / "server1.log") as server:  # accepts, processes nothing
        queued = [_upload(server, token, f"{i}.txt", seed_variant(i)) for i in range(3)]
    assert [j.status for j in _jobs(settings)] == ["queued"] * 3  # the server is gone, the jobs are not

    with LiveServer(env, workers=1, log=tmp_path / "server2.log") as server:
        long_job = _upload(server, token, "long.txt", big_export(40))
        wait_for(lambda: all(j.status == "done" for j in _jobs(settings) if j.id in queued), timeout=120)
        wait_for(lambda: any(j.id == long_job and j.status == "running" for j in _jobs(settings)), timeout=60)
    # A graceful stop hands the running job back (not an attempt) instead of leaving it to its lease.
    [long] = [j for j in _jobs(settings) if j.id == long_job]
    assert long.status == "queued" and long.attempts == 0 and long.lease_owner is None

    with LiveServer(env, workers=1, log=tmp_path / "server3.log"):
        wait_for(lambda: all(j.status == "done" for j in _jobs(settings)), timeout=240)
    jobs = _jobs(settings)
    assert len(jobs) == 4 and all(j.status == "done" and j.attempts == 1 for j in jobs)
    assert len({j.document_id for j in jobs}) == 4


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "extractor.cli", "worker"], env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)


@pytest.mark.slow
def test_a_worker_killed_mid_job_is_retried_by_the_next_and_the_document_is_stored_once(
        tmp_path: Path, db_url: str) -> None:
    settings = make_settings(tmp_path / "data", db_url)
    store = ServiceStore(Repository.open(settings=settings))
    try:
        user = store.create_user("clerk")
        staged = receive(io.BytesIO(big_export(40)), "long.txt", settings)
        job = store.enqueue(user_id=user.id, filename="long.txt", stored_path=keep(staged, settings),
                            sha256=staged.sha256, size=staged.size, kind=staged.kind.value, max_attempts=3)
        env = service_env(settings.data_dir, db_url, EXTRACTOR_JOB_LEASE_S="3")
        first = _worker(env, tmp_path / "w1.log")
        try:
            wait_for(lambda: store.get_job(job.id).status == "running", timeout=60)  # type: ignore[union-attr]
            time.sleep(1.0)  # inside the pipeline now
            os.killpg(first.pid, signal.SIGKILL)  # no handler runs: a crash, not a shutdown
            first.wait(timeout=10)
        finally:
            if first.poll() is None:
                os.killpg(first.pid, signal.SIGKILL)
        crashed = store.get_job(job.id)
        assert crashed is not None and crashed.status == "running" and crashed.attempts == 1
        second = _worker(env, tmp_path / "w2.log")
        try:
            done = wait_for(lambda: (j := store.get_job(job.id)) is not None and j.status == "done" and j,
                            timeout=240)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(timeout=30)
        assert done.attempts == 2 and done.document_id is not None and done.error is None
        assert store.repo.totals().documents == 1 and store.repo.totals().forms == 400
    finally:
        store.repo.close()


@pytest.mark.slow
def test_a_document_that_outlives_the_timeout_every_time_ends_failed_after_max_attempts(
        tmp_path: Path, sqlite_url: str) -> None:
    # The CPU budget is set apart from the 1 s timeout: this test is about the wall clock (on an idle machine
    # both pass 1 s at the same heartbeat, and the CPU budget, checked first, ends the job at once).
    settings = make_settings(tmp_path / "data", sqlite_url, document_timeout_s=1.0, job_lease_s=1.5,
                             job_max_attempts=2, cpu_max_s=600.0, cpu_base_s=600.0)
    store = ServiceStore(Repository.open(settings=settings))
    try:
        user = store.create_user("clerk")
        staged = receive(io.BytesIO(big_export(120)), "poison.txt", settings)
        job = store.enqueue(user_id=user.id, filename="poison.txt", stored_path=keep(staged, settings),
                            sha256=staged.sha256, size=staged.size, kind=staged.kind.value, max_attempts=2)
        supervisor = Supervisor(settings, count=1)
        supervisor.start()
        try:
            failed = wait_for(lambda: (j := store.get_job(job.id)) is not None and j.status == "failed" and j,
                              timeout=180)
        finally:
            supervisor.stop()
        assert failed.attempts == 2 and failed.error is not None
        assert failed.error["code"] == "JOB_ABANDONED" and failed.error["last"]["code"] == "JOB_TIMEOUT"
        assert supervisor.restarts >= 2  # each timed-out worker left, and another took its place
        assert store.repo.totals().documents == 0  # nothing half-stored
    finally:
        store.repo.close()


@pytest.mark.slow
def test_workers_that_cannot_start_are_restarted_with_a_growing_pause(tmp_path: Path) -> None:
    # A database nobody listens on: every worker dies while opening it.
    settings = make_settings(tmp_path / "data", "postgresql+psycopg://nobody:x@127.0.0.1:9/none")
    supervisor = Supervisor(settings, count=1)
    supervisor.start()
    try:
        time.sleep(12)
    finally:
        supervisor.stop(grace_s=2)
    # Pauses of 2 s, 4 s, 8 s …: a handful of restarts in 12 s, not one a second.
    assert 1 <= supervisor.restarts <= 3
