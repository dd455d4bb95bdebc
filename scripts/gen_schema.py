#!/usr/bin/env python3
"""Regenerate schemas/*.schema.json from the pydantic models (tests fail when they are stale)."""

from pathlib import Path

from extractor.records.schema import write_schemas

if __name__ == "__main__":
    for path in write_schemas(Path(__file__).resolve().parent.parent / "schemas"):
        print(f"wrote {path}")
