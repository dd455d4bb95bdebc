"""50 concurrent uploads against a real server on loopback: every job finishes, none lost, none duplicated.
The timings are reported (scripts/bench.py service, README), never asserted."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.service_load import run_load


@pytest.mark.slow
def test_fifty_concurrent_uploads_all_finish_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    figures = run_load(uploads=50, workers=2, data_dir=tmp_path, timeout_s=900)
    assert figures["accepted"] == 50 and figures["refused"] == []
    assert figures["job_rows"] == 50 and figures["distinct_job_ids"] == 50  # one job per upload, no more
    assert figures["lost"] == 0 and figures["duplicated_jobs"] == 0
    assert figures["done"] == 50 and figures["failed"] == 0
    assert figures["documents"] == 50 and figures["distinct_documents"] == 50 and figures["forms"] == 500
    with capsys.disabled():
        print(f"\nload: {figures['uploads_per_s']} uploads/s, job latency p95 {figures['job_latency_p95_s']} s, "
              f"all {figures['uploads']} done in {figures['all_jobs_finished_s']} s "
              f"(load average {figures['load_average']})")
