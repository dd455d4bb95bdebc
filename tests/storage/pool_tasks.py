"""Functions the pool tests run in spawned workers (importable by name, as spawn requires)."""

from __future__ import annotations

import os
import signal
import time


def square(x: int) -> int:
    """x²."""
    return x * x


def nap(seconds: float) -> float:
    """Sleep, then return how long."""
    time.sleep(seconds)
    return seconds


def die() -> None:
    """Kill the worker running this, as the OOM killer would."""
    os.kill(os.getpid(), signal.SIGKILL)


def fail(message: str) -> None:
    """Raise."""
    raise ValueError(message)


def pid() -> int:
    """The worker's pid."""
    return os.getpid()
