"""The Ray engine on a local Ray instance: the same records as the local process pool, timeouts enforced."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from extractor.storage import Repository
from tests.storage.helpers import EXTRACTOR, backfill, cli, snap, wait_for
from tests.storage.variants import SEED, big_export, write_corpus


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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))
        return sock.getsockname()[1]


def _backfill_on(address: str, tmp_path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EXTRACTOR, "backfill", str(SEED), "--db", f"sqlite:///{tmp_path / 'ray.db'}",
                           "--engine", "ray", "--address", address], capture_output=True, text=True, timeout=240,
                          env=env, check=False)


def test_ray_cluster_that_cannot_be_reached_is_a_typed_error_naming_the_address(tmp_path):
    pytest.importorskip("ray", reason="the ray extra is part of `setup.sh dev`")
    address = f"127.0.0.1:{_free_port()}"  # nothing listens there
    started = time.monotonic()
    result = _backfill_on(address, tmp_path)
    assert result.returncode == 4, result.stdout + result.stderr
    assert "ENGINE_UNAVAILABLE" in result.stderr and address in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert time.monotonic() - started < 120  # not the minutes ray.init spends retrying
    with Repository.open(f"sqlite:///{tmp_path / 'ray.db'}") as repo:
        [run] = repo.list_runs()
        assert run.status == "aborted" and address in (run.message or "")


@pytest.mark.slow
def test_ray_cluster_that_refuses_the_auth_token_is_a_typed_error_naming_the_address(tmp_path):
    pytest.importorskip("ray", reason="the ray extra is part of `setup.sh dev`")
    port = _free_port()
    temp = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))  # short: Ray's socket paths must fit 107 bytes
    head_env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(16)}
    head = subprocess.Popen([str(Path(EXTRACTOR).parent / "ray"), "start", "--head", f"--port={port}",
                             "--num-cpus=1", "--include-dashboard=false", f"--temp-dir={temp}", "--block"],
                            env=head_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        from ray._private.services import canonicalize_bootstrap_address

        host, _, _ = canonicalize_bootstrap_address(f"127.0.0.1:{port}").rpartition(":")

        def listening() -> bool:
            with socket.socket() as sock:
                sock.settimeout(1)
                return sock.connect_ex((host, port)) == 0

        wait_for(listening, timeout=180, every=0.5)
        client_env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_AUTH")}
        client_env["RAY_AUTH_MODE"], client_env["RAY_AUTH_TOKEN"] = "token", secrets.token_hex(16)  # not its token
        address = f"127.0.0.1:{port}"
        result = _backfill_on(address, tmp_path, env=client_env)
        assert result.returncode == 4, result.stdout + result.stderr
        assert "ENGINE_UNAVAILABLE" in result.stderr and address in result.stderr
        assert "auth token" in result.stderr
        assert "Traceback" not in result.stderr + result.stdout
    finally:
        head.send_signal(signal.SIGTERM)  # `ray start --block` stops the processes it started
        try:
            head.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait(timeout=30)
        shutil.rmtree(temp, ignore_errors=True)
