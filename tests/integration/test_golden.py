"""Golden snapshot of the seed's full result (records, findings, provenance); rewrite with --regen-golden."""

import json
import os

from extractor import extract
from tests.conftest import GOLDEN_DIR, SEED_EXPORT


def _snapshot() -> dict:
    result = extract(SEED_EXPORT)
    data = json.loads(result.model_dump_json(exclude={"timings"}))
    data["source"] = SEED_EXPORT.name
    return data


def test_seed_result_matches_golden(regen_golden):
    path = GOLDEN_DIR / "seed_result.json"
    current = _snapshot()
    if regen_golden:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(current, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert current == expected, "the seed's output changed: inspect, then rerun with --regen-golden if intended"


def test_golden_regeneration_is_off_in_ci(regen_golden):
    if os.environ.get("CI"):
        assert not regen_golden, "golden files must never be regenerated in CI"
