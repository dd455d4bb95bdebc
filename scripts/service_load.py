"""A bounded load test of the upload service, on loopback only: N concurrent uploads, every job followed to
its end, then the database checked for lost or duplicated work. Used by `scripts/bench.py service` and by
tests/service/test_load.py (which asserts the counts, never the timings)."""

from __future__ import annotations

import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "eval" / "datasets" / "seed" / "000_f0d77478487422c7.txt"
HOST = "127.0.0.1"  # loopback only, whatever the caller passes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def variant(n: int) -> bytes:
    """The seed export (ten forms) with its first project renamed: distinct bytes per upload."""
    return SEED.read_text(encoding="utf-8").replace("巡查员工作经费", f"巡查员工作经费{n}").encode("utf-8")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def run_load(uploads: int = 50, workers: int = 2, database_url: str | None = None, timeout_s: float = 600.0,
             data_dir: Path | None = None) -> dict[str, Any]:
    """Start `extractor serve`, upload `uploads` files at once, wait for every job, check the database."""
    from extractor.service.settings import ServiceSettings
    from extractor.service.store import ServiceStore
    from extractor.storage.repository import Repository

    uploads = max(1, min(uploads, 500))  # bounded, whatever is asked
    workdir = Path(tempfile.mkdtemp(prefix="service-load-")) if data_dir is None else data_dir
    database_url = database_url or f"sqlite:///{workdir / 'load.db'}"
    settings = ServiceSettings(data_dir=workdir / "data", database_url=database_url,
                               session_secret="load-test-secret-0123456789")  # type: ignore[arg-type]
    store = ServiceStore(Repository.open(settings=settings))
    token = store.create_token(f"load-{os.getpid()}-{time.time_ns()}")[0]
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXTRACTOR_")}
    env.update({"EXTRACTOR_DATA_DIR": str(settings.data_dir), "EXTRACTOR_DATABASE_URL": database_url,
                "EXTRACTOR_SESSION_SECRET": "load-test-secret-0123456789", "EXTRACTOR_JOB_POLL_S": "0.1"})
    port = _free_port()
    url = f"http://{HOST}:{port}"
    log = (workdir / "server.log").open("ab")
    server = subprocess.Popen([sys.executable, "-m", "extractor.cli", "serve", "--host", HOST, "--port", str(port),
                               "--workers", str(workers), "--log-level", "warning"],
                              env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    headers = {"Authorization": f"Bearer {token}"}
    bodies = [variant(i) for i in range(uploads)]
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(url + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not start: see " + str(workdir / "server.log"))
            time.sleep(0.2)

        def upload(i: int) -> tuple[int, int | None, float]:
            start = time.perf_counter()
            with httpx.Client(timeout=120) as client:
                response = client.post(url + "/api/v1/uploads", headers=headers,
                                       files=[("files", (f"load-{i:03d}.txt", bodies[i], "text/plain"))])
            job = response.json()["jobs"][0]["id"] if response.status_code == 202 else None
            return response.status_code, job, time.perf_counter() - start

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=uploads) as pool:  # all at once: N connections in flight
            results = list(pool.map(upload, range(uploads)))
        upload_seconds = time.perf_counter() - started
        job_ids = [job for _, job, _ in results if job is not None]

        finished: dict[int, dict[str, Any]] = {}
        deadline = time.monotonic() + timeout_s
        with httpx.Client(timeout=30, headers=headers) as client:
            while len(finished) < len(job_ids) and time.monotonic() < deadline:
                for job in client.get(url + "/api/v1/jobs", params={"limit": 1000}).json():
                    if job["status"] in ("done", "failed"):
                        finished[job["id"]] = job
                time.sleep(0.25)
        total_seconds = time.perf_counter() - started
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        log.close()

    rows = store.list_jobs(limit=None)
    documents = store.repo.totals()
    store.repo.close()
    latencies = [(_parse(j["finished_at"]) - _parse(j["created_at"])).total_seconds()
                 for j in finished.values() if j["finished_at"]]
    return {
        "uploads": uploads, "workers": workers, "database": database_url.split(":", 1)[0],
        "accepted": sum(1 for status, _, _ in results if status == 202),
        "refused": [status for status, _, _ in results if status != 202],
        "job_rows": len(rows), "distinct_job_ids": len(set(job_ids)),
        "done": sum(1 for j in finished.values() if j["status"] == "done"),
        "failed": sum(1 for j in finished.values() if j["status"] == "failed"),
        "lost": len(set(job_ids) - set(finished)),
        "duplicated_jobs": len(job_ids) - len(set(job_ids)) + max(0, len(rows) - uploads),
        "retried": sum(1 for r in rows if r.attempts > 1),
        "documents": documents.documents, "forms": documents.forms,
        "distinct_documents": len({j["document_id"] for j in finished.values()}),
        "upload_seconds": round(upload_seconds, 3),
        "uploads_per_s": round(uploads / upload_seconds, 2),
        "upload_request_p50_s": round(_percentile([s for _, _, s in results], 0.5), 3),
        "upload_request_p95_s": round(_percentile([s for _, _, s in results], 0.95), 3),
        "job_latency_p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "job_latency_p95_s": round(_percentile(latencies, 0.95), 3) if latencies else None,
        "job_latency_max_s": round(max(latencies), 3) if latencies else None,
        "all_jobs_finished_s": round(total_seconds, 3),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }
