"""Workers die with their server: `kill -9` of `serve` leaves no worker behind (each restart used to add two
more, ~1.3 GB each, under pid 1)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.service.conftest import make_settings
from tests.service.helpers import LiveServer, service_env, wait_for


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` and that are multiprocessing workers."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == pid and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie waiting for pid 1 to reap it is gone


@pytest.mark.slow
def test_workers_die_with_a_killed_server(tmp_path: Path, sqlite_url: str) -> None:
    settings = make_settings(tmp_path / "data", sqlite_url)
    server = LiveServer(service_env(settings.data_dir, sqlite_url), workers=2, log=tmp_path / "server.log").start()
    workers: list[int] = []
    try:
        assert server.proc is not None
        workers = wait_for(lambda: len(found := _children(server.proc.pid)) == 2 and found, timeout=60)
        os.kill(server.proc.pid, signal.SIGKILL)  # no handler, no lifespan shutdown, no supervisor.stop()
        server.proc.wait(timeout=10)
        wait_for(lambda: not any(_alive(pid) for pid in workers), timeout=30)
    finally:
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        server.stop()
