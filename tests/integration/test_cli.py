"""The `extractor` command: run (table/json/jsonl) and check."""

import json
import os
import shutil
import subprocess
import sys

from typer.testing import CliRunner

from extractor.cli import app

runner = CliRunner()


def test_run_json_envelope(seed_export, tmp_path):
    out = tmp_path / "out.json"
    result = runner.invoke(app, ["run", str(seed_export), "--format", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    [doc] = data["documents"]
    assert doc["status"] == "ok" and len(doc["forms"]) == 10
    form3 = doc["forms"][2]
    assert form3["status"] == "needs_review" and form3["has_errors"] is True
    assert {f["code"] for f in form3["findings"]} >= {"WEIGHT_SUM", "SCORE_SUM", "OVER_EXECUTION"}
    # decimals are strings with their printed precision
    assert form3["record"]["funds"]["total"]["annual_budget"] == "22.2"
    assert form3["record"]["total_weight"] == "100.0"


def test_run_jsonl_one_document_per_line(seed_export, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = runner.invoke(app, ["run", str(seed_export), str(empty), "--format", "jsonl"])
    assert result.exit_code == 1  # one document failed: the batch went on and says so
    lines = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [d["status"] for d in lines] == ["ok", "failed"]
    assert lines[1]["error"]["code"] == "EMPTY_DOCUMENT"


def test_run_table_summary(seed_export):
    result = runner.invoke(app, ["run", str(seed_export)], env={"COLUMNS": "160"})
    assert result.exit_code == 0
    assert "风险防控治理" in result.stdout
    assert "WEIGHT_SUM" in result.stdout and "needs_review" in result.stdout
    assert "10 form(s): 7 ok, 3 needs review" in result.stdout


def test_run_directory(tmp_path, seed_export):
    (tmp_path / "a" / "b").mkdir(parents=True)
    shutil.copy(seed_export, tmp_path / "a" / "b" / "x.txt")
    (tmp_path / "a" / "notes.md").write_text("ignored")
    result = runner.invoke(app, ["run", str(tmp_path), "--format", "jsonl"])
    assert result.exit_code == 0
    assert len(result.stdout.strip().splitlines()) == 1


def test_no_input_is_a_usage_error(tmp_path):
    result = runner.invoke(app, ["run", str(tmp_path)])
    assert result.exit_code == 2


def _envelope(seed_export, tmp_path):
    out = tmp_path / "env.json"
    runner.invoke(app, ["run", str(seed_export), "--format", "json", "-o", str(out)])
    return out, json.loads(out.read_text(encoding="utf-8"))


def test_check_edited_envelope_rejects_an_invented_value(seed_export, tmp_path):
    out, data = _envelope(seed_export, tmp_path)
    form = data["documents"][0]["forms"][6]  # 社会消防治理, clean
    form["record"]["indicators"][0]["target"] = "≥95.00(%)"
    out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    checked = tmp_path / "checked.json"
    result = runner.invoke(app, ["check", str(out), "--format", "json", "-o", str(checked)])
    assert result.exit_code == 1
    forms = json.loads(checked.read_text(encoding="utf-8"))["documents"][0]["forms"]
    assert forms[6]["record"]["indicators"][0]["target"] is None
    assert any(f["code"] == "UNGROUNDED_VALUE" for f in forms[6]["findings"])
    assert forms[6]["status"] == "needs_review"
    assert forms[4]["status"] == "ok"


def test_check_fixing_an_arithmetic_error_by_hand(seed_export, tmp_path):
    out, data = _envelope(seed_export, tmp_path)
    form = data["documents"][0]["forms"][2]  # 风险防控治理: WEIGHT_SUM, SCORE_SUM
    form["record"]["indicators"] = form["record"]["indicators"][:-1]  # drop a row: sums now 100
    out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(app, ["check", str(out), "--format", "json"])
    forms = json.loads(result.stdout)["documents"][0]["forms"]
    assert not {"WEIGHT_SUM", "SCORE_SUM"} & {f["code"] for f in forms[2]["findings"]}


def test_check_gold_file_finds_its_source(tmp_path):
    from tests.conftest import SEED_DIR
    result = runner.invoke(app, ["check", str(SEED_DIR / "gold" / "form-10.json"), "--format", "json"])
    assert result.exit_code == 1  # FUND_COMPONENTS is an error of the form itself
    [form] = json.loads(result.stdout)["documents"][0]["forms"]
    codes = {f["code"] for f in form["findings"]}
    assert "FUND_COMPONENTS" in codes and "UNGROUNDED_VALUE" not in codes


def test_check_rejects_invalid_files(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"year": 2024, "indicators": [{"level1": "不是指标"}]}', encoding="utf-8")
    result = runner.invoke(app, ["check", str(bad)])
    assert result.exit_code == 2
    assert "not a valid record" in result.output
    floats = tmp_path / "float.json"
    floats.write_text('{"total_score": 99.5}', encoding="utf-8")
    assert runner.invoke(app, ["check", str(floats)]).exit_code == 2
    notjson = tmp_path / "x.json"
    notjson.write_text("{", encoding="utf-8")
    assert runner.invoke(app, ["check", str(notjson)]).exit_code == 2


def test_console_script_is_installed(seed_export):
    exe = shutil.which("extractor", path=os.path.dirname(sys.executable))
    assert exe is not None
    proc = subprocess.run([exe, "run", str(seed_export), "--format", "json"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)["documents"][0]["forms"]) == 10


def test_piped_table_does_not_wrap_codes_and_text_is_one_line_per_document(seed_export, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    exe = shutil.which("extractor", path=os.path.dirname(sys.executable))
    assert exe is not None
    piped = subprocess.run([exe, "run", str(seed_export)], capture_output=True, text=True, timeout=120, check=False,
                           env={**os.environ, "COLUMNS": "80"})
    assert piped.returncode == 0, piped.stderr
    assert "ACHIEVED_BUT_DEDUCTED" in piped.stdout and "\x1b[" not in piped.stdout  # whole codes, no colour codes
    result = runner.invoke(app, ["run", str(seed_export), str(empty), "--format", "text"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    ok, failed = (line.split("\t") for line in lines)
    assert ok[:5] == [str(seed_export), "ok", "10 forms", "7 ok", "3 needs_review"]
    assert {"WEIGHT_SUM", "SCORE_SUM", "FUND_COMPONENTS"} <= set(ok[5].split())
    assert failed[:3] == [str(empty), "failed", "EMPTY_DOCUMENT"] and len(failed) == 4
