"""Distinct text exports made from the seed (forms picked, project names and years varied) plus broken files.

Not a corpus generator (scripts/make_corpus.py is): just enough different documents to back-fill.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "eval" / "datasets" / "seed" / "000_f0d77478487422c7.txt"
GOLD = ROOT / "eval" / "datasets" / "seed" / "gold"
TITLE = "财政项目支出绩效自评表"


def seed_forms() -> list[str]:
    """The seed export cut into its ten forms (each chunk starts at a title)."""
    text = SEED.read_text(encoding="utf-8")
    starts = [m.start() for m in re.finditer(TITLE, text)]
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]


def project_names() -> list[str]:
    """The gold project name of each seed form."""
    return [json.loads((GOLD / f"form-{n:02d}.json").read_text(encoding="utf-8"))["record"]["project_name"]
            for n in range(1, 11)]


def variant(i: int, forms_per_doc: int = 2) -> tuple[str, int]:
    """Document i: `forms_per_doc` seed forms with the project names suffixed by i and the year shifted."""
    forms, names = seed_forms(), project_names()
    chunks = []
    for k in range(forms_per_doc):
        n = (i * forms_per_doc + k) % len(forms)
        chunk = forms[n]
        lines = []
        for line in chunk.split("\n"):
            cells = line.split("\t")
            cells = [f"{c}{i:04d}" if c.strip() == names[n] else c for c in cells]
            lines.append("\t".join(cells))
        chunk = "\n".join(lines).replace("(2024 年度)", f"({2015 + i % 10} 年度)")
        chunks.append(chunk)
    return "".join(chunks), forms_per_doc


def write_corpus(folder: Path, good: int, broken: bool = True, duplicates: int = 0) -> dict[str, int]:
    """Write `good` distinct exports (nested folders), broken files and duplicate copies; returns expectations."""
    expected_forms = 0
    for i in range(good):
        text, count = variant(i, forms_per_doc=1 + i % 3)
        sub = folder / f"{2015 + i % 10}" / f"batch{i % 4}"
        sub.mkdir(parents=True, exist_ok=True)
        # A third of them GBK-encoded, as older systems export.
        data = text.encode("gbk") if i % 3 == 2 else text.encode("utf-8")
        (sub / f"export_{i:04d}.txt").write_bytes(data)
        expected_forms += count
    failed = 0
    if broken:
        bad = folder / "broken"
        bad.mkdir(parents=True, exist_ok=True)
        (bad / "empty.txt").write_bytes(b"")
        (bad / "binary.txt").write_bytes(b"\x00\x01\x02garbage\xff" * 200)
        (bad / "letter.txt").write_text("这是一封普通的信。\n谢谢。\n", encoding="utf-8")
        (bad / "truncated.pdf").write_bytes(b"%PDF-1.7\n%broken and cut off")
        failed = 4
    for d in range(duplicates):
        src = folder / f"{2015 + d % 10}" / f"batch{d % 4}" / f"export_{d:04d}.txt"
        (folder / "copies").mkdir(exist_ok=True)
        (folder / "copies" / f"copy_of_{d:04d}.txt").write_bytes(src.read_bytes())
    return {"documents": good + failed, "files": good + failed + duplicates, "forms": expected_forms,
            "failed": failed}


def big_export(copies: int) -> bytes:
    """The seed repeated `copies` times: a document slow enough (≈ copies × 0.12 s) to outlast a short timeout."""
    return ("\n".join([SEED.read_text(encoding="utf-8")] * copies)).encode("utf-8")
