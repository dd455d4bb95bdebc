"""Datasets: the manifest, folders of gold files without one, sub-folders per kind, and clear errors."""

import json
import shutil

import pytest

from extractor.evaluate.datasets import DatasetError, load_dataset, resolve_dataset, write_manifest
from tests.conftest import SEED_DIR


def test_seed_by_name():
    data = load_dataset("seed")
    assert data.name == "seed"
    assert data.kinds == ["text_export"]
    assert len(data.documents) == 1 and data.forms == 10
    doc = data.documents[0]
    assert doc.path.name == "000_f0d77478487422c7.txt"
    assert [g.form_index for g in doc.gold] == list(range(1, 11))
    assert [c.value for c in doc.gold[2].expected_findings] == ["WEIGHT_SUM", "SCORE_SUM", "OVER_EXECUTION"]


def test_a_path_works_too():
    assert resolve_dataset(SEED_DIR) == SEED_DIR
    assert load_dataset(SEED_DIR / "manifest.json").forms == 10


def test_folder_without_manifest_pairs_gold_files_by_source(tmp_path):
    shutil.copytree(SEED_DIR, tmp_path / "archive")
    (tmp_path / "archive" / "manifest.json").unlink()
    data = load_dataset(tmp_path / "archive")
    assert data.name == "archive" and data.forms == 10
    written = write_manifest(tmp_path / "archive", name="my-archive")
    manifest = json.loads(written.read_text(encoding="utf-8"))
    assert manifest["version"] == 1
    assert manifest["documents"][0]["forms"][0] == "gold/form-01.json"
    assert load_dataset(tmp_path / "archive").name == "my-archive"


def test_sub_folders_with_manifests_become_kinds(tmp_path):
    for kind in ("scanned", "text_export"):
        shutil.copytree(SEED_DIR, tmp_path / "corpus" / kind)
        manifest = json.loads((tmp_path / "corpus" / kind / "manifest.json").read_text(encoding="utf-8"))
        for doc in manifest["documents"]:
            doc.pop("kind")
        (tmp_path / "corpus" / kind / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    data = load_dataset(tmp_path / "corpus")
    assert data.kinds == ["scanned", "text_export"] and data.forms == 20


def test_inline_gold_and_an_empty_gold_list(tmp_path):
    gold = json.loads((SEED_DIR / "gold" / "form-01.json").read_text(encoding="utf-8"))
    shutil.copy(SEED_DIR / "000_f0d77478487422c7.txt", tmp_path / "a.txt")
    (tmp_path / "letter.txt").write_text("致各单位的一封信", encoding="utf-8")
    (tmp_path / "manifest.json").write_text(json.dumps({"documents": [
        {"path": "a.txt", "gold": [gold]}, {"path": "letter.txt", "gold": []}]}), encoding="utf-8")
    data = load_dataset(tmp_path)
    assert [len(d.gold) for d in data.documents] == [1, 0]
    assert data.documents[0].kind == "text_export"


@pytest.mark.parametrize("manifest, message", [
    ({"documents": [{"path": "missing.txt"}]}, "does not exist"),
    ({"docs": []}, "'documents' list"),
    ({"documents": [{"path": "a.txt", "gold": [{"record": {"year": "soon"}}]}]}, "year"),
    ({"documents": [{"path": "a.txt", "gold": [{"record": {}, "expected_findings": ["NOPE"]}]}]},
     "expected_findings"),
])
def test_bad_manifests_say_what_is_wrong(tmp_path, manifest, message):
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(DatasetError, match=message):
        load_dataset(tmp_path)


def test_unknown_name_and_empty_folder(tmp_path):
    with pytest.raises(DatasetError, match="no dataset 'no-such-set'"):
        load_dataset("no-such-set")
    with pytest.raises(DatasetError, match="no documents with gold"):
        load_dataset(tmp_path)
