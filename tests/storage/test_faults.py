"""Faults: SIGKILL, Ctrl-C and SIGTERM mid-run, a worker killed under a document, a full disk under the database.

Each leaves a consistent database, and a re-run ends equal to a run that was never disturbed.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from extractor.storage import Repository
from tests.storage.helpers import (
    alive,
    backfill,
    cli,
    cpu_seconds,
    pool_workers,
    snap,
    start_cli,
    stored_documents,
    wait_for,
)
from tests.storage.variants import big_export, write_corpus


def _consistent(url: str) -> dict:
    """Every stored document has exactly the forms it says it has (no half-written document)."""
    content = snap(url)
    for doc in content.values():
        assert len(doc["forms"]) == doc["form_count"]
    return content


def _kill_midway_and_restart(folder: Path, url: str, documents: int) -> None:
    proc = start_cli("backfill", str(folder), "--db", url, "--workers", "2")
    wait_for(lambda: stored_documents(url) >= documents // 5)
    workers = pool_workers(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()
    midway = stored_documents(url)
    assert documents // 5 <= midway < documents, midway  # really cut in the middle
    _consistent(url)
    assert workers, "the pool had workers"
    wait_for(lambda: not any(alive(w) for w in workers), timeout=30)  # orphaned workers exit by themselves
    result = cli("backfill", str(folder), "--db", url, "--workers", "2")
    assert result.returncode == 1, result.stderr  # the broken files, reported again
    assert f"{documents - midway} processed" in result.stdout  # exactly the rest: nothing done twice


@pytest.mark.slow
@pytest.mark.postgres
def test_acceptance_sigkill_midway_then_restart_on_sqlite_and_postgresql_equals_an_uninterrupted_run(
        pg_url, tmp_path):
    """≥ 200 documents (a few broken, a few duplicated): killed and restarted, one row per document, the
    expected forms, and the same records on SQLite and PostgreSQL as a run that was never interrupted."""
    folder = tmp_path / "in"
    expected = write_corpus(folder, good=200, duplicates=4)
    assert expected["documents"] >= 200
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    backfill(reference, [folder])
    sqlite_url = f"sqlite:///{tmp_path / 'killed.db'}"
    for url in (sqlite_url, pg_url):
        _kill_midway_and_restart(folder, url, expected["documents"])
        with Repository.open(url) as repo:
            totals = repo.totals()
            assert (totals.documents, totals.forms, totals.paths) == (expected["documents"], expected["forms"],
                                                                      expected["files"])
            assert totals.documents_by_status == {"ok": 200, "failed": 4}
            assert [r.status for r in repo.list_runs()] == ["finished", "crashed"]  # newest first
    wanted = snap(reference)
    assert snap(sqlite_url) == wanted
    assert snap(pg_url) == wanted


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_the_next_run_continues(db_url, tmp_path):
    folder = tmp_path / "in"
    write_corpus(folder, good=50, broken=False)
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    backfill(reference, [folder])
    proc = start_cli("backfill", str(folder), "--db", db_url, "--workers", "2")
    wait_for(lambda: stored_documents(db_url) >= 10)
    os.killpg(proc.pid, signal.SIGINT)  # the whole process group, as a terminal's Ctrl-C does
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in out and "run again to continue" in err
    stopped_at = _consistent(db_url)
    assert 10 <= len(stopped_at) < 50
    with Repository.open(db_url) as repo:
        [run] = repo.list_runs()
        assert run.status == "interrupted" and run.finished_at is not None
    result = cli("backfill", str(folder), "--db", db_url)
    assert result.returncode == 0, result.stderr
    assert snap(db_url) == snap(reference)


def test_sigterm_is_a_clean_stop_too(tmp_path):
    folder = tmp_path / "in"
    write_corpus(folder, good=60, broken=False)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    proc = start_cli("backfill", str(folder), "--db", url, "--workers", "1")
    wait_for(lambda: stored_documents(url) >= 5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    _consistent(url)
    with Repository.open(url) as repo:
        assert repo.list_runs()[0].status == "interrupted"


@pytest.mark.slow
def test_a_worker_killed_under_a_document_is_recorded_and_the_next_run_retries_it(tmp_path):
    folder = tmp_path / "in"
    write_corpus(folder, good=2, broken=False)
    (folder / "000_long.txt").write_bytes(big_export(60))  # sorted first: the first document the worker takes
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    proc = start_cli("backfill", str(folder), "--db", url, "--workers", "1", "--timeout", "600")
    wait_for(lambda: len(pool_workers(proc.pid)) == 1, timeout=60)
    [worker] = pool_workers(proc.pid)
    # Start-up costs about a second of CPU and the long document about seven: at 2.5 s it is inside it.
    wait_for(lambda: cpu_seconds(worker) >= 2.5, timeout=120)
    os.kill(worker, signal.SIGKILL)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 1, err
    assert "WORKER_CRASHED" in out and "000_long.txt" in out
    with Repository.open(url) as repo:
        [failed] = repo.list_documents(status="failed")
        assert failed.error_code == "WORKER_CRASHED" and failed.paths[0].endswith("000_long.txt")
        assert repo.totals().documents_by_status == {"ok": 2, "failed": 1}
    report = backfill(url, [folder], workers=1)  # a crash says nothing of the document: tried again
    assert report.counts.processed == 1 and report.counts.documents_ok == 1
    with Repository.open(url) as repo:
        assert repo.totals().documents_by_status == {"ok": 3}


def _mount_small_tmpfs(where: Path, size: str) -> bool:
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    return done.returncode == 0


@pytest.mark.slow
def test_a_full_disk_stops_the_run_cleanly_and_a_rerun_completes(tmp_path):
    folder = tmp_path / "in"
    expected = write_corpus(folder, good=60)
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    backfill(reference, [folder])
    small = tmp_path / "small"
    if os.geteuid() != 0 or not _mount_small_tmpfs(small, "600k"):
        pytest.fail("this test needs root to mount a small tmpfs (CI runs as root)")
    try:
        url = f"sqlite:///{small / 'full.db'}"
        result = cli("backfill", str(folder), "--db", url, "--workers", "2")
        assert result.returncode == 3, result.stdout + result.stderr
        assert "aborted" in result.stdout
        assert "disk is full" in result.stderr
        engine = create_engine(url)
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        engine.dispose()
        stored = _consistent(url)
        assert 0 < len(stored) < expected["documents"]
        subprocess.run(["mount", "-o", "remount,size=64m", str(small)], check=True)
        result = cli("backfill", str(folder), "--db", url, "--workers", "2")
        assert result.returncode == 1, result.stderr  # the broken files, nothing else
        assert snap(url) == snap(reference)
    finally:
        subprocess.run(["umount", "-l", str(small)], check=False)
