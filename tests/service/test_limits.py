"""Limits before work: page size and pixel budgets per page and per document, the size of a text export, a CPU
budget that scales with pages (exceeded: failed at once, not retried), a per-user cap on running jobs."""

from __future__ import annotations

import contextlib
import io
import json
import resource
import subprocess
import sys
from pathlib import Path

import pymupdf
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from extractor.service.app import create_app
from extractor.service.budgets import cpu_budget_s
from extractor.service.settings import ServiceSettings
from extractor.service.store import ServiceStore
from extractor.service.uploads import keep, receive
from extractor.service.worker import Supervisor
from extractor.storage.repository import Repository
from tests.service.conftest import make_settings
from tests.service.helpers import Caller, big_export, service_env, wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def db_url(sqlite_url: str) -> str:  # the refusals happen before the database is asked anything
    return sqlite_url


def page_bomb() -> bytes:
    """A few KB: one page of 14400 × 14400 pt (5 m a side) holding a tiny image, so the reader would OCR it."""
    doc = pymupdf.open()
    page = doc.new_page(width=14400, height=14400)
    png = io.BytesIO()
    Image.new("L", (8, 8), 0).save(png, format="PNG")
    page.insert_image(pymupdf.Rect(0, 0, 14400, 14400), stream=png.getvalue())
    return bytes(doc.tobytes(garbage=4, deflate=True))


def _pdf(*sizes: tuple[float, float]) -> bytes:
    doc = pymupdf.open()
    for width, height in sizes:
        doc.new_page(width=width, height=height)
    return bytes(doc.tobytes())


def _tiff(*sizes: tuple[int, int]) -> bytes:
    frames = [Image.new("L", size, 255) for size in sizes]
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")
    return out.getvalue()


def test_the_page_bomb_is_refused_at_upload_from_its_page_size(alice: Caller, settings: ServiceSettings) -> None:
    data = page_bomb()
    assert len(data) < 10_000
    response = alice.upload(("bomb.pdf", data))
    assert response.status_code == 413 and response.json()["detail"]["code"] == "PAGE_TOO_LARGE"
    assert alice.get("/api/v1/jobs").json() == []  # it never reaches a worker


def test_checking_the_page_bomb_costs_little_memory(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(page_bomb())
    code = ("import io, json, resource, sys; from pathlib import Path\n"
            "from extractor.service.settings import ServiceSettings\n"
            "from extractor.service.uploads import UploadRejected, receive\n"
            f"s = ServiceSettings(data_dir=Path({str(tmp_path / 'd')!r}))\n"
            "try:\n    receive(io.BytesIO(Path(sys.argv[1]).read_bytes()), 'bomb.pdf', s); code = None\n"
            "except UploadRejected as e:\n    code = e.code\n"
            # VmHWM, not ru_maxrss: Linux carries the forking parent's peak into a child's ru_maxrss across exec,
            # so a pytest process grown by earlier tests would be measured instead of this one.
            "hwm = next(int(line.split()[1]) for line in open('/proc/self/status') if line.startswith('VmHWM'))\n"
            "print(json.dumps({'code': code, 'rss_mb': hwm / 1024}))")
    done = subprocess.run([sys.executable, "-c", code, str(bomb)], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, check=True)
    figures = json.loads(done.stdout)
    assert figures["code"] == "PAGE_TOO_LARGE" and figures["rss_mb"] < 1536
    print(f"\npage bomb: refused with {figures['code']}, checking process peak RSS {figures['rss_mb']:.0f} MB")


@pytest.fixture
def tight(tmp_path: Path) -> Caller:
    settings = make_settings(tmp_path / "tight", f"sqlite:///{tmp_path / 'tight.db'}", max_image_pixels=2_000_000,
                             max_document_pixels=5_000_000, max_text_bytes=100_000)
    app = create_app(settings)
    token, _ = app.state.store.create_token("alice")
    return Caller(TestClient(app), token, "alice")


@pytest.mark.parametrize(("name", "data", "code"), [
    ("big-page.pdf", _pdf((612, 792), (1000, 1000)), "TOO_MANY_PIXELS"),  # page 2: 2777² px at 200 dpi
    ("many-pages.pdf", _pdf(*[(500, 500)] * 4), "TOO_MANY_PIXELS"),  # 1.9 M px each, 7.7 M in all
    ("late-frame.tif", _tiff((100, 100), (2000, 2000)), "TOO_MANY_PIXELS"),  # the second frame, not the first
    ("frames.tif", _tiff(*[(1200, 1200)] * 4), "TOO_MANY_PIXELS"),  # 5.8 M px in all
    ("long.txt", big_export(7), "TEXT_TOO_LARGE"),
])
def test_pixel_budgets_per_page_and_per_document_and_the_text_size(tight: Caller, name: str, data: bytes,
                                                                   code: str) -> None:
    response = tight.upload((name, data))
    assert response.status_code == 413, response.text
    assert response.json()["detail"]["code"] == code
    assert tight.get("/api/v1/jobs").json() == []


def test_a_forty_megabyte_text_export_is_refused_before_it_is_decoded(alice: Caller) -> None:
    data = big_export(2500)  # 41 MB: reading it took a worker to 11.9 GB
    assert len(data) > 40_000_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    response = alice.upload(("province.txt", data))
    assert response.status_code == 413 and response.json()["detail"]["code"] == "TEXT_TOO_LARGE"
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 400  # the request and its spooled copy, not a decoded text
    assert alice.get("/api/v1/jobs").json() == []


def _run_measured(args: list[str], env: dict[str, str], timeout: float) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run a child, sampling its own peak RSS (VmHWM, in MiB) until it ends: RUSAGE_CHILDREN would hold every
    earlier child's peak, and a child's ru_maxrss starts at the forking pytest's."""
    import time

    child = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak_kb = 0
    started = time.monotonic()
    while child.poll() is None and time.monotonic() - started < timeout:
        with contextlib.suppress(OSError, StopIteration, ValueError), open(f"/proc/{child.pid}/status") as status:
            peak_kb = max(peak_kb, next(int(line.split()[1]) for line in status if line.startswith("VmHWM")))
        time.sleep(0.1)
    if child.poll() is None:
        child.kill()
    out, err = child.communicate()
    return subprocess.CompletedProcess(args, child.returncode, out, err), peak_kb / 1024


@pytest.mark.slow
def test_a_text_export_at_the_size_limit_is_read_within_a_small_memory(tmp_path: Path, sqlite_url: str) -> None:
    settings = make_settings(tmp_path / "data", sqlite_url)
    store = ServiceStore(Repository.open(settings=settings))
    copies = settings.max_text_bytes // len(big_export(1))
    staged = receive(io.BytesIO(big_export(copies)), "limit.txt", settings)
    user = store.create_user("clerk")
    job = store.enqueue(user_id=user.id, filename="limit.txt", stored_path=keep(staged, settings),
                        sha256=staged.sha256, size=staged.size, kind=staged.kind.value, max_attempts=1)
    env = service_env(settings.data_dir, sqlite_url)
    done, peak_mb = _run_measured([sys.executable, "-m", "extractor.cli", "worker", "--drain"], env, timeout=900)
    finished = store.get_job(job.id)
    store.repo.close()
    assert done.returncode == 0, done.stderr[-2000:]
    assert finished is not None and finished.status == "done"
    print(f"\ntext export at the limit ({staged.size} bytes, {copies * 10} forms): worker peak RSS {peak_mb:.0f} MB")
    assert peak_mb < 1536


@pytest.mark.slow
def test_a_document_over_its_cpu_budget_fails_at_once_without_retries(tmp_path: Path, sqlite_url: str) -> None:
    settings = make_settings(tmp_path / "data", sqlite_url, cpu_base_s=0.5, cpu_per_text_mb_s=0.0, job_lease_s=1.5,
                             job_max_attempts=3)
    store = ServiceStore(Repository.open(settings=settings))
    try:
        user = store.create_user("clerk")
        staged = receive(io.BytesIO(big_export(100)), "slow.txt", settings)
        job = store.enqueue(user_id=user.id, filename="slow.txt", stored_path=keep(staged, settings),
                            sha256=staged.sha256, size=staged.size, kind=staged.kind.value, max_attempts=3)
        supervisor = Supervisor(settings, count=1)
        supervisor.start()
        try:
            failed = wait_for(lambda: (j := store.get_job(job.id)) is not None and j.status == "failed" and j,
                              timeout=300)
        finally:
            supervisor.stop()
        assert failed.attempts == 1  # CPU seconds do not depend on the machine's load: no second try
        assert failed.error is not None and failed.error["code"] == "CPU_BUDGET_EXCEEDED"
        assert store.repo.totals().documents == 0  # nothing half-stored
    finally:
        store.repo.close()


def test_a_cap_on_running_jobs_per_user(store: ServiceStore) -> None:
    user = store.create_user("busy").id
    for i in range(3):
        store.enqueue(user_id=user, filename="x.txt", stored_path="uploads/none/x.txt", sha256=f"{i:064d}", size=1,
                      kind="text_export", max_attempts=3)
    assert store.claim("w1", lease_s=60, max_per_user=2) is not None
    assert store.claim("w2", lease_s=60, max_per_user=2) is not None
    assert store.claim("w3", lease_s=60, max_per_user=2) is None  # two of hers run: the third waits
    assert store.claim("w3", lease_s=60) is not None


def test_the_cpu_budget_scales_with_pages_up_to_a_cap() -> None:
    settings = ServiceSettings(cpu_base_s=20, cpu_per_page_s=6, cpu_per_text_mb_s=60, document_timeout_s=600)
    assert cpu_budget_s("pdf", 1, 10_000, settings) == 26
    assert cpu_budget_s("image", 10, 10_000, settings) == 80
    assert cpu_budget_s("text_export", None, 1024 * 1024, settings) == 80
    # 300 blank scanned pages: at most the cap, once (they cost 3 × 600 s of worker time before).
    assert cpu_budget_s("pdf", 300, 102_000, settings) == 600
    assert cpu_budget_s("pdf", 300, 102_000, settings.model_copy(update={"cpu_max_s": 120.0})) == 120
