"""Build eval/datasets/realworld/manifest.json from the family folders' entries.json (run after adding a form)."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "eval" / "datasets" / "realworld"
KEEP = ("path", "kind", "family", "layout", "forms", "expect", "source_url", "region", "published")


def build(root: Path = ROOT) -> dict[str, object]:
    """The manifest: every family's documents, in family then file order."""
    documents = []
    for entries in sorted(root.glob("*/entries.json")):
        for entry in json.loads(entries.read_text(encoding="utf-8")):
            documents.append({k: entry[k] for k in KEEP if k in entry})
    return {"version": 1, "name": "realworld",
            "description": "Real 绩效自评表 as districts and counties published them, text kept as the page gave it, "
                           "with hand-checked gold (README.md of this folder).",
            "documents": documents}


if __name__ == "__main__":
    manifest = build()
    (ROOT / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"{ROOT / 'manifest.json'}: {len(manifest['documents'])} documents")  # type: ignore[arg-type]
