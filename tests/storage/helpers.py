"""Running back-fills from tests: in-process through the API, or as the real `extractor` command."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text

from extractor.ingest.files import discover
from extractor.runner.backfill import Backfill, BackfillOptions, BackfillReport
from extractor.settings import Settings, get_settings
from extractor.storage import Repository
from extractor.storage.snapshot import snapshot

EXTRACTOR = str(Path(sys.executable).parent / "extractor")


def backfill(url: str, roots: list[Path], settings: Settings | None = None, **options: object) -> BackfillReport:
    """One back-fill through the Python API (workers default to 2, a short timeout)."""
    opts = BackfillOptions(**{"workers": 2, "timeout_s": 120.0, **options})
    with Repository.open(url) as repo:
        return Backfill(repo, settings or get_settings(), opts).run(discover(roots), [str(r) for r in roots])


def snap(url: str) -> dict:
    """The database's content without ids and timestamps."""
    with Repository.open(url) as repo:
        return snapshot(repo)


def cli(*args: str, prefix: list[str] | None = None, **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Run the `extractor` command to completion."""
    return subprocess.run([*(prefix or []), EXTRACTOR, *args], capture_output=True, text=True, timeout=600,
                          **kwargs)  # type: ignore[call-overload]


def start_cli(*args: str) -> subprocess.Popen[str]:
    """Start the `extractor` command in its own process group (so a test can signal it like a terminal would)."""
    return subprocess.Popen([EXTRACTOR, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def stored_documents(url: str) -> int:
    """Documents committed so far (read while a back-fill is writing)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM documents")).scalar() or 0
    except Exception:  # the schema may not exist yet
        return 0
    finally:
        engine.dispose()


def wait_for(condition: Callable[[], bool], timeout: float = 120.0, every: float = 0.05) -> None:
    """Poll until condition() holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(every)


def children(pid: int) -> list[int]:
    """Direct child processes of pid (from /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def cmdline(pid: int) -> str:
    """A process's command line, '' when it is gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def pool_workers(pid: int) -> list[int]:
    """The spawned pool workers of a back-fill process (not multiprocessing's resource tracker)."""
    return [c for c in children(pid) if "spawn_main" in cmdline(c) and "resource_tracker" not in cmdline(c)]


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def drop_read_permission_prefix() -> list[str]:
    """A command prefix under which chmod 000 really blocks reading: root loses its override capabilities."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--inh-caps", "-dac_override,-dac_read_search",
            "--bounding-set", "-dac_override,-dac_read_search"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
