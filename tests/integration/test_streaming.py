"""`extractor run` writes each result as soon as it is done (issue 12): a document, or a huge export's every form,
in bounded memory; Ctrl-C leaves every finished result written and the output valid; progress on stderr only."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from extractor import extract
from extractor.output import FORMS_HELD

EXTRACTOR = str(Path(sys.executable).parent / "extractor")


def _export(path: Path, seed_export: Path, forms: int) -> Path:
    """An export of `forms` forms: the ten seed forms over and over."""
    seed = seed_export.read_bytes()
    path.write_bytes(seed * (forms // 10))
    return path


class Lines:
    """A process's stdout read line by line in the background, each line with the time it arrived."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.lines: list[tuple[float, bytes]] = []
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line))

    def wait_for(self, count: int, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while len(self.lines) < count:
            if time.monotonic() > deadline or (self.proc.poll() is not None and not self._thread.is_alive()):
                raise AssertionError(f"{len(self.lines)} line(s) of {count} came")
            time.sleep(0.05)

    def parsed(self) -> list[dict]:
        self._thread.join(timeout=60)
        return [json.loads(line) for _, line in self.lines]


def _start(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([EXTRACTOR, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def test_run_jsonl_writes_each_document_as_soon_as_it_is_done(tmp_path, seed_export):
    first = shutil.copy(seed_export, tmp_path / "first.txt")
    big = _export(tmp_path / "big.txt", seed_export, 200)
    proc = _start("run", str(first), str(big), "--format", "jsonl")
    lines = Lines(proc)
    proc.wait(timeout=600)
    docs = lines.parsed()
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
    assert docs[0]["source"] == str(first)
    assert len(docs) == 1 + 200 + 1  # a document; 200 form lines and the closing line of the big one
    # The first document came out before the second's forms were checked; past the forms held (FORMS_HELD),
    # the second's came out one by one as they were done.
    arrived = [at for at, _ in lines.lines]
    assert arrived[1] - arrived[0] > 0.5
    assert arrived[-2] - arrived[FORMS_HELD + 10] > 0.5


def test_a_huge_export_is_written_as_one_jsonl_line_per_form_each_naming_its_document(tmp_path, seed_export):
    count = FORMS_HELD + 50
    big = _export(tmp_path / "big.txt", seed_export, count)
    proc = subprocess.run([EXTRACTOR, "run", str(big), "--format", "jsonl"], capture_output=True, timeout=600,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    *forms, closing = lines
    assert len(forms) == count
    sha = closing["sha256"]
    assert all(line["source"] == str(big) and line["sha256"] == sha and line["kind"] == "text_export"
               for line in forms)  # each line stands alone
    assert [line["form"]["index"] for line in forms] == list(range(1, count + 1))
    assert closing["status"] == "ok" and closing["forms"] == [] and closing["forms_streamed"] == count
    expected = extract(big)
    assert [line["form"]["record"] for line in forms] == [f.record.model_dump(mode="json") for f in expected.forms]


def test_the_json_envelope_of_a_huge_export_is_written_form_by_form_and_is_the_same_result(tmp_path, seed_export):
    big = _export(tmp_path / "big.txt", seed_export, FORMS_HELD + 20)
    small = shutil.copy(seed_export, tmp_path / "small.txt")
    out = tmp_path / "out.json"
    proc = subprocess.run([EXTRACTOR, "run", str(small), str(big), "--format", "json", "-o", str(out)],
                          capture_output=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    envelope = json.loads(out.read_text(encoding="utf-8"))
    assert envelope["version"] and [len(d["forms"]) for d in envelope["documents"]] == [10, FORMS_HELD + 20]
    big_doc = envelope["documents"][1]
    assert big_doc["status"] == "ok" and big_doc["sha256"] and big_doc["kind"] == "text_export"
    from extractor.records.models import ResultEnvelope

    ResultEnvelope.model_validate(envelope)  # the same shape as an envelope built in memory


def _interrupt_when(proc: subprocess.Popen[bytes], ready, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, "the run ended before it could be interrupted"
        assert time.monotonic() < deadline, "the run did not get far enough in time"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # the whole process group, as a terminal's Ctrl-C does


def test_ctrl_c_leaves_every_finished_result_written_and_the_jsonl_valid(tmp_path, seed_export):
    a = shutil.copy(seed_export, tmp_path / "a.txt")
    b = shutil.copy(seed_export, tmp_path / "b.txt")
    big = _export(tmp_path / "big.txt", seed_export, 3000)
    proc = _start("run", str(a), str(b), str(big), "--format", "jsonl")
    lines = Lines(proc)
    _interrupt_when(proc, lambda: len(lines.lines) >= 2 + FORMS_HELD + 30)
    proc.wait(timeout=120)
    err = proc.stderr.read()  # type: ignore[union-attr]
    assert proc.returncode == 130 and b"Traceback" not in err, err
    docs = lines.parsed()  # every line is whole JSON
    assert [d["status"] for d in docs[:2]] == ["ok", "ok"] and all(len(d["forms"]) == 10 for d in docs[:2])
    *forms, closing = docs[2:]
    assert len(forms) >= FORMS_HELD + 30 and all(line["source"] == str(big) for line in forms)
    assert closing["status"] == "partial" and closing["error"]["code"] == "INTERRUPTED"
    assert closing["forms_streamed"] == len(forms) < 3000


def test_ctrl_c_leaves_a_valid_json_envelope_up_to_the_last_finished_document(tmp_path, seed_export):
    a = shutil.copy(seed_export, tmp_path / "a.txt")
    big = _export(tmp_path / "big.txt", seed_export, 3000)
    out = tmp_path / "out.json"
    proc = _start("run", str(a), str(big), "--format", "json", "-o", str(out))

    def far_enough() -> bool:
        return out.exists() and out.read_text(encoding="utf-8").count('"index": ') >= 10 + FORMS_HELD + 20

    _interrupt_when(proc, far_enough)
    proc.wait(timeout=120)
    err = proc.stderr.read()  # type: ignore[union-attr]
    assert proc.returncode == 130 and b"Traceback" not in err, err
    envelope = json.loads(out.read_text(encoding="utf-8"))
    first, second = envelope["documents"]
    assert first["status"] == "ok" and len(first["forms"]) == 10
    assert second["status"] == "partial" and second["error"]["code"] == "INTERRUPTED"
    assert FORMS_HELD + 20 <= len(second["forms"]) < 3000
    assert [f["index"] for f in second["forms"]] == list(range(1, len(second["forms"]) + 1))


def test_progress_goes_to_stderr_naming_the_file_and_never_into_stdout(tmp_path, seed_export):
    big = _export(tmp_path / "big.txt", seed_export, 200)
    proc = subprocess.run([EXTRACTOR, "run", str(big), "--format", "jsonl", "--progress"], capture_output=True,
                          timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr
    err = proc.stderr.decode()
    assert f"reading {big}" in err and f"{big}: 200 forms" in err
    assert all(json.loads(line) for line in proc.stdout.decode().splitlines())  # stdout is results only


def test_ocr_progress_is_by_pages(tmp_path):
    pytest.importorskip("PIL")
    from PIL import Image

    frames = [Image.new("L", (300, 200), 255) for _ in range(3)]
    scan = tmp_path / "scan.tif"
    frames[0].save(scan, save_all=True, append_images=frames[1:])
    proc = subprocess.run([EXTRACTOR, "run", str(scan), "--format", "jsonl", "--progress"], capture_output=True,
                          timeout=900, check=False)
    err = proc.stderr.decode()
    assert f"{scan}: page 1" in err and f"{scan}: page 3" in err, err
    [doc] = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert doc["error"]["code"] == "NO_FORM_FOUND"  # blank pages: read, and nothing found


@pytest.mark.slow
def test_run_peak_memory_stays_bounded_on_a_huge_export(tmp_path, seed_export):
    if not Path("/usr/bin/time").exists():
        pytest.skip("needs GNU time for the peak RSS")
    big = _export(tmp_path / "big.txt", seed_export, 2000)
    out = tmp_path / "out.jsonl"
    peak = tmp_path / "peak.txt"
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", str(peak), EXTRACTOR, "run", str(big), "--format",
                           "jsonl", "-o", str(out)], capture_output=True, timeout=1800, check=False)
    assert proc.returncode == 0, proc.stderr
    assert sum(1 for _ in out.open(encoding="utf-8")) == 2001
    peak_mb = int(peak.read_text().split()[-1]) / 1024
    assert peak_mb < 400, f"peak RSS {peak_mb:.0f} MB"  # it held every result before: over 1 GB for 2,000 forms
