"""Test helpers: an API caller with a token, seed-export variants, a live server in a subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "eval" / "datasets" / "seed" / "000_f0d77478487422c7.txt"


def seed_bytes() -> bytes:
    """The bundled export: ten forms, three needing review (form 10: FUND_COMPONENTS)."""
    return SEED.read_bytes()


def seed_variant(n: int) -> bytes:
    """The seed export with every project name marked with n: distinct bytes, same forms and findings."""
    return SEED.read_text(encoding="utf-8").replace("巡查员工作经费", f"巡查员工作经费{n}").encode("utf-8")


def big_export(copies: int) -> bytes:
    """The seed export repeated: `copies` × 10 forms, slow enough (≈12 ms a form) to catch a job running."""
    return seed_bytes() * copies


class Caller:
    """A user of the API through the test client, with their token."""

    def __init__(self, client: TestClient, token: str, username: str) -> None:
        self.client, self.token, self.username = client, token, username
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.client.get(url, headers=self.headers, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.client.post(url, headers=self.headers, **kw)

    def patch(self, url: str, **kw: Any) -> httpx.Response:
        return self.client.patch(url, headers=self.headers, **kw)

    def delete(self, url: str, **kw: Any) -> httpx.Response:
        return self.client.delete(url, headers=self.headers, **kw)

    def upload(self, *files: tuple[str, bytes]) -> httpx.Response:
        """POST the files as one multipart request."""
        return self.post("/api/v1/uploads", files=[("files", (name, data, "application/octet-stream"))
                                                   for name, data in files])


def free_port() -> int:
    """A TCP port free on the loopback interface."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def service_env(data_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a server or worker subprocess for a test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXTRACTOR_")}
    env.update({"EXTRACTOR_DATA_DIR": str(data_dir), "EXTRACTOR_DATABASE_URL": database_url,
                "EXTRACTOR_SESSION_SECRET": "live-test-secret-0123456789", "EXTRACTOR_JOB_POLL_S": "0.1",
                "PYTHONUNBUFFERED": "1", **extra})
    return env


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `extractor ARGS` in a subprocess."""
    return subprocess.run([sys.executable, "-m", "extractor.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


class LiveServer:
    """`extractor serve` on a free loopback port, in its own process group."""

    def __init__(self, env: dict[str, str], workers: int, log: Path) -> None:
        self.env, self.workers, self.log_path = env, workers, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> LiveServer:
        self.log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "extractor.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--workers", str(self.workers), "--log-level", "warning"],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/api/v1/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not come up: {self.log_path.read_text()[-2000:]}")

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (a graceful shutdown that stops the workers), SIGKILL to the group after `timeout`."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()
        code = self.proc.returncode
        self.proc = None
        return code

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def wait_for(predicate: Any, timeout: float = 60.0, interval: float = 0.2) -> Any:
    """Poll until predicate() is truthy; returns its value or raises after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {getattr(predicate, '__name__', predicate)}")
        time.sleep(interval)
