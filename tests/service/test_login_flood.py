"""64 concurrent bad logins against a real server on loopback: normal requests stay fast (p95 under 1 s) and
the server's memory stays small, with the default limits and with the per-address limit lifted (many
addresses: then only the bound on concurrent Argon2 checks protects the server)."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import httpx
import pytest

from extractor.service.store import ServiceStore
from extractor.storage.repository import Repository
from tests.service.conftest import make_settings
from tests.service.helpers import LiveServer, service_env

ATTACKERS = 64


def _peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


@pytest.mark.slow
@pytest.mark.parametrize("limits", ["default", "argon2-bound-only"])
def test_sixty_four_concurrent_bad_logins_leave_normal_requests_fast(tmp_path: Path, sqlite_url: str, limits: str,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    settings = make_settings(tmp_path / "data", sqlite_url)
    store = ServiceStore(Repository.open(settings=settings))
    store.create_user("alice", "alice-password")
    token = store.create_token("reader")[0]
    store.repo.close()
    extra = {} if limits == "default" else {"EXTRACTOR_LOGIN_PER_ADDRESS": "100000/minute",
                                            "EXTRACTOR_LOGIN_PER_ACCOUNT": "100000/minute"}
    env = service_env(settings.data_dir, sqlite_url, **extra)
    statuses: list[int] = []
    with LiveServer(env, workers=0, log=tmp_path / "server.log") as server:
        assert server.proc is not None
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=60) as reader:
            for _ in range(5):
                reader.get("/api/v1/documents")  # warm
            rss_before = _peak_rss_mb(server.proc.pid)
            ready = threading.Barrier(ATTACKERS + 1)

            def attack() -> None:
                with httpx.Client(base_url=server.url, timeout=120) as client:
                    page = client.get("/login")
                    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
                    ready.wait(60)
                    response = client.post("/login", data={"username": "alice", "password": "wrong-password",
                                                           "csrf": csrf})
                    statuses.append(response.status_code)

            threads = [threading.Thread(target=attack) for _ in range(ATTACKERS)]
            for thread in threads:
                thread.start()
            ready.wait(60)
            latencies: list[float] = []
            while len(latencies) < 40 or any(t.is_alive() for t in threads):
                start = time.perf_counter()
                assert reader.get("/api/v1/documents").status_code == 200
                latencies.append(time.perf_counter() - start)
                if len(latencies) > 2000:
                    break
            for thread in threads:
                thread.join(120)
        peak = _peak_rss_mb(server.proc.pid)
    p95 = _p95(latencies)
    with capsys.disabled():
        print(f"\nlogin flood ({limits}): normal request p50 {sorted(latencies)[len(latencies) // 2]:.3f} s, "
              f"p95 {p95:.3f} s over {len(latencies)} requests; answers {sorted(set(statuses))}; "
              f"server peak RSS {rss_before:.0f} → {peak:.0f} MB")
    assert len(statuses) == ATTACKERS and 200 not in statuses and 303 not in statuses
    assert p95 < 1.0
    assert peak - rss_before < 400  # at most a few 64 MiB Argon2 checks at a time
