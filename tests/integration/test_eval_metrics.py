"""The harness's measures, each provoked on purpose: planted gold errors, spoiled mappers, failed documents."""

import json
import shutil
from pathlib import Path

import pytest

from extractor import extract
from extractor.evaluate import Configuration, evaluate, load_dataset
from extractor.evaluate.metrics import FIELD_GROUPS, Scores, field_group
from tests.conftest import SEED_DIR, SEED_EXPORT
from tests.support import mappers

SEED_FIELDS = 892  # 10 forms × (4 header + money_unit + 24 funds + 2 goals + 3 totals) + 69 rows × 8


def _scores(dataset, factory=None) -> Scores:
    config = Configuration(ocr="rapid", mapper=factory.__name__ if factory else "rules", factory=factory)
    report = evaluate(dataset, [config], isolate=False)
    result = report.results[0]
    assert result.error is None, result.error
    return result.overall


@pytest.fixture(scope="module")
def baseline() -> Scores:
    return _scores(load_dataset("seed"))


def _seed_copy(tmp_path: Path) -> Path:
    shutil.copytree(SEED_DIR, tmp_path / "seed")
    return tmp_path / "seed"


def _plant(root: Path, form: int, path: str, value) -> None:
    file = root / "gold" / f"form-{form:02d}.json"
    gold = json.loads(file.read_text(encoding="utf-8"))
    obj = gold["record"]
    parts = path.replace("]", "").replace("[", ".").split(".")
    for part in parts[:-1]:
        obj = obj[int(part)] if part.isdigit() else obj[part]
    obj[parts[-1]] = value
    file.write_text(json.dumps(gold, ensure_ascii=False), encoding="utf-8")


def test_seed_baseline_is_exact(baseline):
    assert baseline.fields.total == SEED_FIELDS and baseline.fields.correct == SEED_FIELDS
    assert baseline.rows_gold == baseline.rows_output == baseline.rows_matched == 69
    assert baseline.findings_found == baseline.findings_expected == 8
    assert baseline.false_errors == 0 and baseline.hallucinations == 0
    assert baseline.label_repair_accuracy == 1.0 and sum(t.total for t in baseline.label_repairs.values()) == 11
    assert baseline.cost.pages == 10 and baseline.cost.seconds > 0 and baseline.cost.llm_requests == 0


@pytest.mark.parametrize("form, path, value", [
    (1, "project_name", "巡查员工作经费（改）"),
    (3, "funds.total.executed", "22.25"),
    (5, "goals.actual", "另一段文字"),
    (2, "indicators[0].level2", "质量指标"),
    (7, "indicators[3].name", "不存在的指标"),
    (10, "indicators[5].target", ">95.00(%)"),
    (4, "indicators[1].score", "1.00"),
    (9, "grade", "良"),
    (6, "funds.carryover.weight", "5"),  # a null in gold made a value: the output's null is now wrong
])
def test_a_planted_gold_error_costs_exactly_that_field(tmp_path, baseline, form, path, value):
    root = _seed_copy(tmp_path)
    _plant(root, form, path, value)
    scores = _scores(load_dataset(root))
    group = field_group(path)
    assert scores.fields.total == baseline.fields.total
    assert scores.fields.correct == baseline.fields.correct - 1
    for g in FIELD_GROUPS:
        drop = 1 if g == group else 0
        assert scores.groups[g].correct == baseline.groups[g].correct - drop, g
    assert scores.rows_matched == baseline.rows_matched  # one changed value never unpairs a row


def test_a_missed_row_costs_its_fields_and_recall(baseline):
    scores = _scores(load_dataset("seed"), mappers.drop_third_row)
    assert scores.rows_gold == 69 and scores.rows_output == 59 and scores.rows_matched == 59
    assert scores.row_precision == 1.0 and scores.row_recall == pytest.approx(59 / 69, abs=1e-6)
    assert scores.fields.omitted == 80 and scores.fields.wrong == 0
    assert scores.fields.correct == SEED_FIELDS - 80
    # Dropping a row breaks the form's sums: the checker says so, and those errors were not expected.
    assert scores.false_error_codes.get("WEIGHT_SUM", 0) >= 8


def test_an_invented_row_costs_precision_not_recall():
    scores = _scores(load_dataset("seed"), mappers.duplicate_first_row)
    assert scores.rows_output == 79 and scores.rows_matched == 69
    assert scores.row_recall == 1.0 and scores.row_precision == pytest.approx(69 / 79, abs=1e-6)
    assert scores.invented_fields > 0 and scores.fields.correct == SEED_FIELDS


def test_a_corrupted_group_shows_in_that_group_only(baseline):
    scores = _scores(load_dataset("seed"), mappers.corrupt_scores)
    assert scores.groups["indicator_score"].accuracy < 1.0
    untouched = [g for g in FIELD_GROUPS if g != "indicator_score" and scores.groups[g].total]  # the seed prints no 评价结论
    assert len(untouched) == len(FIELD_GROUPS) - 2 and all(scores.groups[g].accuracy == 1.0 for g in untouched)


def test_hallucination_caught_by_the_checker():
    scores = _scores(load_dataset("seed"), mappers.invent_weight)
    assert scores.hallucinations == 10 and scores.hallucinations_caught == 10
    assert scores.hallucinations_slipped == 0
    assert scores.false_error_codes.get("UNGROUNDED_VALUE") == 10


def test_hallucination_that_slips_through_is_counted():
    scores = _scores(load_dataset("seed"), mappers.invent_name_as_human)
    assert scores.hallucinations == 10 and scores.hallucinations_caught == 0
    assert scores.hallucinations_slipped == 10
    # Seed forms with no expected error pass as ok, yet hold the invented name.
    ok_forms = sum(1 for g in load_dataset("seed").documents[0].gold
                   if not {"WEIGHT_SUM", "SCORE_SUM", "FUND_COMPONENTS"} & {c.value for c in g.expected_findings})
    assert ok_forms == 7
    assert scores.silent_wrong_fields == ok_forms and scores.silent_wrong_forms == ok_forms


def test_a_correct_value_rejected_is_a_false_rejection():
    scores = _scores(load_dataset("seed"), mappers.miscite_project)
    assert scores.false_rejections == 10 and scores.hallucinations == 0
    assert scores.groups["header"].omitted == 10


def test_wrong_label_repairs_lower_repair_accuracy(baseline):
    scores = _scores(load_dataset("seed"), mappers.wrong_repair)
    repaired = scores.label_repairs["repaired"]
    rules = extract(SEED_EXPORT)
    forms_with_level2_repair = sum(1 for f in rules.forms if any(
        p.endswith(".level2") and s.method.value == "repaired" for p, s in f.provenance.fields.items()))
    assert forms_with_level2_repair >= 2
    assert repaired.total == baseline.label_repairs["repaired"].total
    assert repaired.correct == repaired.total - forms_with_level2_repair


def test_finding_recall_and_false_errors_follow_expected_findings(tmp_path, baseline):
    root = _seed_copy(tmp_path)
    f1 = json.loads((root / "gold" / "form-01.json").read_text(encoding="utf-8"))
    f1["expected_findings"].append("OVER_EXECUTION")  # the checker rightly does not report it
    (root / "gold" / "form-01.json").write_text(json.dumps(f1, ensure_ascii=False), encoding="utf-8")
    f4 = json.loads((root / "gold" / "form-04.json").read_text(encoding="utf-8"))
    f4["expected_findings"] = []  # the checker reports WEIGHT_SUM and SCORE_SUM: now "false" errors
    (root / "gold" / "form-04.json").write_text(json.dumps(f4, ensure_ascii=False), encoding="utf-8")
    scores = _scores(load_dataset(root))
    assert (scores.findings_expected, scores.findings_found) == (8 + 1 - 2, 8 - 2)
    assert scores.false_error_codes == {"WEIGHT_SUM": 1, "SCORE_SUM": 1}
    assert scores.forms_false_review == 1


def test_llm_usage_is_summed_from_provenance():
    scores = _scores(load_dataset("seed"), mappers.with_llm_usage)
    gold = load_dataset("seed").documents[0].gold
    cached = sum(1 for g in gold if len(g.record.indicators) % 2 == 0)
    assert 0 < cached < 10 and scores.cost.llm_cached_forms == cached
    assert scores.cost.llm_requests == 2 * (10 - cached)
    assert scores.cost.llm_prompt_tokens == 10000 and scores.cost.llm_tokens == 12500


def test_a_failed_document_counts_its_forms_as_missed(tmp_path):
    root = _seed_copy(tmp_path)
    (root / "broken.txt").write_bytes(b"\x00\x01\x02 not a form" * 10)
    gold = json.loads((root / "gold" / "form-01.json").read_text(encoding="utf-8"))
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    manifest["documents"].append({"path": "broken.txt", "gold": [gold]})
    (root / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    scores = _scores(load_dataset(root))
    assert scores.documents == 2 and scores.documents_failed == 1
    assert scores.failures == {"BINARY_CONTENT": 1}
    assert scores.forms == 11 and scores.forms_missed == 1
    assert scores.fields.total == SEED_FIELDS + 98 and scores.fields.omitted == 98


def test_a_mapper_that_cannot_be_built_is_reported_not_raised():
    report = evaluate(load_dataset("seed"), [Configuration(ocr="rapid", mapper="broken", factory=mappers.broken)],
                      isolate=False)
    assert report.results[0].error["code"] == "CONFIGURATION_ERROR"
    assert "cannot be built" in report.results[0].error["message"]
    assert report.results[0].overall is None


def test_scores_add_up(baseline):
    twice = baseline.add(baseline)
    assert twice.fields.total == 2 * SEED_FIELDS and twice.field_accuracy == 1.0
    assert twice.label_repairs["repaired"].total == 2 * baseline.label_repairs["repaired"].total
    assert twice.cost.pages == 20


def _rewrite_gold(root: Path, change) -> None:
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    golds = [json.loads((root / g).read_text(encoding="utf-8")) for g in manifest["documents"][0]["forms"]]
    manifest["documents"][0]["forms"] = change(golds)
    (root / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def test_a_missed_form_does_not_shift_the_others(tmp_path, baseline):
    root = _seed_copy(tmp_path)

    def add_unknown_first(golds):
        for g in golds:
            g["form_index"] += 1
        return [{"form_index": 1, "record": {"year": 2023, "project_name": "不存在的项目"}}, *golds]

    _rewrite_gold(root, add_unknown_first)
    scores = _scores(load_dataset(root))
    assert (scores.forms, scores.forms_matched, scores.forms_missed, scores.forms_extra) == (11, 10, 1, 0)
    assert scores.fields.correct == SEED_FIELDS and scores.fields.omitted == 4 + 24 + 2 + 3  # no rows


def test_an_extra_form_is_counted_not_scored_as_wrong(tmp_path):
    root = _seed_copy(tmp_path)
    _rewrite_gold(root, lambda golds: [g for g in golds if g["form_index"] != 10])  # 1–9: complete gold
    scores = _scores(load_dataset(root))
    assert (scores.forms, scores.forms_matched, scores.forms_missed, scores.forms_extra) == (9, 9, 0, 1)
    assert scores.fields.correct == scores.fields.total and scores.invented_fields > 0
    assert scores.rows_output > scores.rows_gold == scores.rows_matched


def _add_document(root: Path, name: str, data: bytes, entry: dict) -> None:
    (root / name).write_bytes(data)
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    manifest["documents"].append({"path": name, **entry})
    (root / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def test_broken_inputs_are_scored_by_their_expectation(tmp_path, baseline):
    """The generator's format: a broken document with no forms and what reading it must give."""
    root = _seed_copy(tmp_path)
    _add_document(root, "garbage.txt", b"\x00\x01\x02\x03" * 50, {
        "kind": "text_export", "forms": [], "broken": "garbage",
        "expect": {"status": "failed", "error_code": ["BINARY_CONTENT", "UNKNOWN_ENCODING"]}})
    lines = SEED_EXPORT.read_text(encoding="utf-8").splitlines()
    cut = "\n".join(lines[:lines.index(next(x for x in lines if x.strip().startswith("总分")))])
    _add_document(root, "cut.txt", cut.encode("utf-8"), {
        "kind": "text_export", "forms": [], "broken": "cut_form",
        "expect": {"status": "ok", "forms": 1, "form_status": "needs_review",
                   "missing_fields": ["total_weight", "total_score", "grade"]}})
    _add_document(root, "wrongly-expected.txt", cut.encode("utf-8"), {
        "kind": "text_export", "forms": [], "broken": "cut_form", "expect": {"status": "failed"}})
    dataset = load_dataset(root)
    assert dataset.kinds == ["text_export", "broken"]
    report = evaluate(dataset, [Configuration(ocr="rapid", mapper="rules")], isolate=False)
    overall, broken = report.results[0].overall, report.results[0].by_kind["broken"]
    assert (broken.expectations.total, broken.expectations.correct) == (3, 2)
    assert overall.flat()["expectations_failed"] == 1
    assert overall.documents_failed == 0 and overall.failures == {"BINARY_CONTENT": 1}
    # Forms read from broken inputs have no gold: they are neither invented nor scored as fields.
    assert overall.fields.total == SEED_FIELDS and overall.forms_extra == 0 and overall.invented_fields == 0
    unmet = [d for d in report.results[0].differences if "expectation" in d]
    assert [d["document"] for d in unmet] == ["wrongly-expected.txt"]
    assert unmet[0]["expectation"] == ["status ok, expected failed"]


def test_partial_gold_leaves_unreviewed_forms_unscored(tmp_path, baseline):
    root = _seed_copy(tmp_path)
    _rewrite_gold(root, lambda golds: [g for g in golds if g["form_index"] in (1, 3, 10)])  # gaps: partial
    gapped = _scores(load_dataset(root))
    assert load_dataset(root).documents[0].partial
    assert (gapped.forms, gapped.forms_matched, gapped.forms_extra, gapped.invented_fields) == (3, 3, 0, 0)
    assert gapped.fields.correct == gapped.fields.total and gapped.rows_output == gapped.rows_gold

    root2 = _seed_copy(tmp_path / "two")
    _rewrite_gold(root2, lambda golds: golds[:3])  # forms 1–3: looks complete unless the manifest says so
    assert _scores(load_dataset(root2)).forms_extra == 7
    manifest = json.loads((root2 / "manifest.json").read_text(encoding="utf-8"))
    manifest["documents"][0]["partial"] = True
    (root2 / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    assert _scores(load_dataset(root2)).forms_extra == 0
