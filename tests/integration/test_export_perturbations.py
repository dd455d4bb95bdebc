"""Property test: the seed, perturbed the way exports perturb forms, still maps to its gold records."""

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractor import extract_bytes
from extractor.records.compare import diff_records
from extractor.records.models import Record
from tests.conftest import SEED_EXPORT, load_gold

SEED_LINES = SEED_EXPORT.read_text(encoding="utf-8").splitlines()
GOLD = [Record.model_validate(load_gold(n)["record"]) for n in range(1, 11)]
LABELS = ("服务对象满意度指标", "可持续影响指标", "经济效益指标", "社会效益指标", "生态效益指标")
INDICATOR_ROW_PREFIXES = ("\t产出指标", "\t效益指标", "\t满意度指标", "\t\t")


def perturb(lines: list[str], rng: random.Random) -> list[str]:
    """Shift some indicator rows by one cell, scatter spaces in labels, vary dashes, cut labels short."""
    out = []
    for line in lines:
        cells = line.split("\t")
        is_indicator = line.startswith(INDICATOR_ROW_PREFIXES) and any(c.endswith("(%)") or c == "无" for c in cells)
        if is_indicator and rng.random() < 0.3:
            if cells[0] == "" and rng.random() < 0.5:
                cells = cells[1:]  # shifted left: the block cell dropped
            else:
                cells = ["", *cells]  # shifted right
        for i, cell in enumerate(cells):
            if cell in LABELS and rng.random() < 0.4:
                cut = rng.choice([len(cell) - 1, len(cell) - 1, len(cell) - 2])
                cells[i] = cell[:cut] if cut >= 4 else cell
            elif cell in ("—", "-") and rng.random() < 0.5:
                cells[i] = rng.choice(["—", "-", "－", ""])
            elif cell in LABELS and rng.random() < 0.3:
                k = rng.randrange(1, len(cell))
                cells[i] = cell[:k] + " " + cell[k:]
        out.append("\t".join(cells))
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_perturbed_seed_maps_to_gold(seed):
    rng = random.Random(seed)
    data = "\n".join(perturb(SEED_LINES, rng)).encode("utf-8")
    result = extract_bytes(data, "perturbed.txt")
    assert len(result.forms) == 10
    for form, gold in zip(result.forms, GOLD, strict=True):
        diffs = diff_records(form.record, gold)
        assert diffs == [], (seed, form.index, [d.model_dump() for d in diffs])
