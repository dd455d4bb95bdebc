"""Subprocess entry point: `python -m extractor.evaluate.worker JOB.json OUT.json` runs one configuration."""

from __future__ import annotations

import sys
from pathlib import Path

from extractor.evaluate.runner import run_job

if __name__ == "__main__":
    run_job(Path(sys.argv[1]), Path(sys.argv[2]))
