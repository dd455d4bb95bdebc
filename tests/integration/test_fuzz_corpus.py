"""The committed fuzz corpus (tests/data/bad/): it is exactly what `scripts/fuzz_inputs.py make` writes, and every
text-like input reads to an acceptable outcome in-process (the harness, `scripts/fuzz_inputs.py run`, runs all
of them, images, PDFs and run-time inputs included, in child processes with a timeout and a memory watchdog).

Inputs that fail today because of known reader bugs (issue 12) are strict xfails naming the bug.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extractor import extract
from extractor.records.models import DocumentResult
from scripts.fuzzing.harness import accepts
from scripts.fuzzing.inputs import make_inputs
from scripts.fuzzing.known import INPUTS
from scripts.fuzzing.mutate import Baseline, Edit, apply_all, judge
from tests.conftest import ROOT

BAD = ROOT / "tests" / "data" / "bad"
MANIFEST = json.loads((BAD / "manifest.json").read_text(encoding="utf-8"))
SEED = MANIFEST["seed"]
# pymupdf draws a fresh file key for every encryption: the one input whose bytes differ from run to run.
UNREPRODUCIBLE = {"pdf/encrypted.pdf"}
# Read in-process here; images and PDFs need OCR and rasters (the harness runs them under a memory watchdog).
IN_PROCESS = {"encoding", "quotes", "tabs", "numbers", "lines", "layouts", "sizes", "junk", "magic", "html", "office",
              "mutations"}

KNOWN = INPUTS  # scripts/fuzzing/known.py: the failing inputs and the bug behind each


def test_the_committed_corpus_is_what_make_writes():
    made = {i.name: i for i in make_inputs(SEED)}
    committed = [e for e in MANIFEST["inputs"] if not e.get("runtime")]
    assert [e["name"] for e in committed] == list(made)
    for entry in committed:
        item = made[entry["name"]]
        assert entry == {**item.manifest()} or entry["name"] in UNREPRODUCIBLE, entry["name"]
        if entry["name"] not in UNREPRODUCIBLE:
            assert (BAD / entry["name"]).read_bytes() == item.data, entry["name"]
    on_disk = {p.relative_to(BAD).as_posix() for p in BAD.rglob("*") if p.is_file()} - {"manifest.json"}
    assert on_disk == set(made)


def test_the_corpus_is_big_enough_and_small():
    committed = [e for e in MANIFEST["inputs"] if not e.get("runtime")]
    assert len(committed) >= 300
    assert sum((BAD / e["name"]).stat().st_size for e in committed) < 8_000_000  # the whole set well under 10 MB
    assert {e["runtime"] for e in MANIFEST["inputs"] if e.get("runtime")} >= {
        "fifo", "dev_zero_link", "over_limit", "non_utf8_name", "titles", "many_forms"}


_BASELINES: dict[str, Baseline] = {}


def _baseline(base: str) -> Baseline:
    if base not in _BASELINES:
        from scripts.fuzzing.harness import Harness

        _BASELINES[base] = Harness().baseline(base)
    return _BASELINES[base]


def _cases() -> list:
    entries = [e for e in MANIFEST["inputs"] if not e.get("runtime") and e["category"] in IN_PROCESS]
    return [pytest.param(e, id=e["name"], marks=[pytest.mark.xfail(strict=True, reason=KNOWN[e["name"]])]
                         if e["name"] in KNOWN else []) for e in entries]


@pytest.mark.slow
@pytest.mark.parametrize("entry", _cases())
def test_bad_input_reads_to_an_acceptable_outcome(entry):
    result: DocumentResult = extract(Path(BAD / entry["name"]))
    doc = json.loads(result.model_dump_json())
    error = doc.get("error") or {}
    internal = [e for e in [error, *error.get("forms", [])] if e.get("code") == "INTERNAL_ERROR"]
    assert not internal, internal
    assert accepts(doc, entry["accept"]), (result.status.value, error.get("code"), len(result.forms))
    if entry.get("gold") and result.status.value != "failed":
        base = _baseline(entry["gold"]["base"])
        lines = apply_all(base.lines, [Edit.from_dict(e) for e in entry["gold"]["edits"]])
        assert judge(base, lines, result) == []
