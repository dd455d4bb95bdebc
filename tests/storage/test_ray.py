"""The Ray engine on a local Ray instance: the same records as the local process pool, timeouts enforced."""

from __future__ import annotations

import pytest

from tests.storage.helpers import backfill, cli, snap
from tests.storage.variants import big_export, write_corpus


@pytest.mark.slow
def test_ray_stores_the_same_records_as_the_local_engine(tmp_path):
    pytest.importorskip("ray", reason="the ray extra is part of `setup.sh dev`")
    folder = tmp_path / "in"
    expected = write_corpus(folder, good=6, duplicates=1)
    (folder / "huge.txt").write_bytes(big_export(400))  # outlasts the timeout on either engine
    local = f"sqlite:///{tmp_path / 'local.db'}"
    report = backfill(local, [folder], engine="local", workers=2, timeout_s=8)
    assert [f["code"] for f in report.counts.failures].count("TIMEOUT") == 1
    on_ray = f"sqlite:///{tmp_path / 'ray.db'}"
    result = cli("backfill", str(folder), "--db", on_ray, "--engine", "ray", "--workers", "2", "--timeout", "8")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{expected['documents'] + 1} processed" in result.stdout
    assert "TIMEOUT" in result.stdout and "huge.txt" in result.stdout
    assert snap(on_ray) == snap(local)
