"""Finding and reading files (issue 12): one reader and one discovery for run, backfill and the service; FIFOs,
sockets and devices refused unread; the size learnt by reading under the cap; sniffing on real evidence (a `BM`
text is text, an HTML page is refused by name); file names that are not UTF-8; -o checked before any work."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor import extract
from extractor.cli import app
from extractor.ingest.loader import DocumentKind, sniff
from extractor.pipeline import extract_bytes
from extractor.settings import get_settings

runner = CliRunner()
EXTRACTOR = str(Path(sys.executable).parent / "extractor")
NOT_UTF8 = b"\xc4\xea\xb6\xc8"  # 年度 in GBK, as a Windows archive unzipped on Linux names it


def _run(*args: str | bytes, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    """The real `extractor` command (bytes arguments pass a file name that is not UTF-8 as it is)."""
    return subprocess.run([EXTRACTOR, *args], capture_output=True, timeout=timeout, check=False)


def _jsonl(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode("utf-8").splitlines() if line.strip()]


# --- 1. one reader: regular files only, before any read -------------------------------------------------------


def test_fifo_is_a_file_access_error_not_a_hang(tmp_path, seed_export):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)  # nobody writes: opening it for reading would wait for ever
    after = shutil.copy(seed_export, tmp_path / "after.txt")
    result = _run("run", str(seed_export), str(fifo), str(after), "--format", "jsonl", timeout=120)
    docs = _jsonl(result.stdout)
    assert result.returncode == 1, result.stderr
    assert [d["status"] for d in docs] == ["ok", "failed", "ok"]  # the batch went on past it
    assert docs[1]["error"]["code"] == "FILE_ACCESS" and "FIFO" in docs[1]["error"]["message"]


def test_dev_zero_behind_a_symlink_is_a_file_access_error_not_an_endless_read(tmp_path):
    link = tmp_path / "export.txt"
    link.symlink_to("/dev/zero")  # stat of /dev/zero says 0 bytes; reading it never ends
    result = _run("run", str(link), "--format", "jsonl", timeout=60)
    [doc] = _jsonl(result.stdout)
    assert doc["error"]["code"] == "FILE_ACCESS"
    assert "character device" in doc["error"]["message"] and "/dev/zero" in doc["error"]["message"]
    # The same through the Python API and the back-fill's reader: one reader for all.
    assert extract(link).error["code"] == "FILE_ACCESS"


def test_a_socket_is_a_file_access_error(tmp_path):
    path = tmp_path / "s.txt"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        result = extract(path)
    assert result.error["code"] == "FILE_ACCESS" and "socket" in result.error["message"]


def test_a_directory_or_a_missing_file_is_a_file_access_error(tmp_path):
    assert extract(tmp_path).error["code"] == "FILE_ACCESS"
    assert "directory" in extract(tmp_path).error["message"]
    assert extract(tmp_path / "missing.txt").error["code"] == "FILE_ACCESS"


def test_size_is_found_by_reading_under_the_cap_not_by_stat(tmp_path, monkeypatch):
    # /proc files are regular files whose stat says 0 bytes: only reading tells their size.
    link = tmp_path / "maps.txt"
    link.symlink_to("/proc/self/maps")
    assert os.stat(link).st_size == 0
    monkeypatch.setenv("EXTRACTOR_MAX_FILE_BYTES", "100")
    result = extract(link, get_settings())
    assert result.error["code"] == "RESOURCE_LIMIT"


def test_unreadable_file_named_on_the_command_line_is_a_failed_document_and_the_batch_goes_on(tmp_path, seed_export):
    locked = tmp_path / "locked.txt"
    shutil.copy(seed_export, locked)
    locked.chmod(0)
    # As root, chmod 000 blocks nothing: drop the capabilities that override file permissions.
    prefix = ["setpriv", "--inh-caps", "-dac_override,-dac_read_search", "--bounding-set",
              "-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    try:
        proc = subprocess.run([*prefix, EXTRACTOR, "run", str(locked), str(tmp_path / "missing.txt"),
                               str(seed_export), "--format", "jsonl"], capture_output=True, timeout=120, check=False)
    finally:
        locked.chmod(0o644)
    docs = _jsonl(proc.stdout)
    assert proc.returncode == 1, proc.stderr  # failed documents, not a usage error (2)
    assert [d["status"] for d in docs] == ["failed", "failed", "ok"]
    assert [d["error"]["code"] for d in docs[:2]] == ["FILE_ACCESS", "FILE_ACCESS"]
    assert "permission" in docs[0]["error"]["message"]


def test_one_reader_and_one_discovery_for_run_backfill_and_service():
    import extractor.ingest.files as files
    import extractor.pipeline as pipeline
    import extractor.runner.backfill as backfill
    import extractor.service.uploads as uploads

    assert pipeline.read_document is files.read_document
    assert backfill.read_document is files.read_document
    assert uploads.read_document is files.read_document
    import extractor.cli as cli
    import extractor.runner.commands  # noqa: F401 - backfill imports discovery when it runs

    assert cli.discover is files.discover
    for gone in ("extractor.runner.reading", "extractor.runner.discovery"):
        with pytest.raises(ImportError):
            __import__(gone)


# --- 2. sniffing on real evidence -------------------------------------------------------------------------------


def _bmp() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (40, 30), 255).save(out, format="BMP")
    return out.getvalue()


def test_a_text_export_starting_with_BM_is_text(tmp_path, seed_text):
    path = tmp_path / "bm.txt"
    path.write_text("BM\t编号\n" + seed_text, encoding="utf-8")
    result = extract(path)
    assert result.status.value == "ok", result.error
    assert result.kind == "text_export" and len(result.forms) == 10


def test_a_real_bmp_header_is_still_an_image():
    data = _bmp()
    assert sniff(data) is DocumentKind.IMAGE
    assert sniff(data[:4096], size=len(data)) is DocumentKind.IMAGE  # the head only, with the file's size
    assert sniff("BM\t编号\t项目".encode()) is DocumentKind.TEXT_EXPORT  # two letters are not a header
    # Binary header fields that do not hold together: a broken BMP (reported CORRUPT_DOCUMENT), not text.
    assert sniff(b"BM" + b"\x00" * 40) is DocumentKind.IMAGE
    broken = bytearray(data)
    struct.pack_into("<I", broken, 14, 7)  # no DIB header is 7 bytes long
    assert sniff(bytes(broken)) is DocumentKind.IMAGE
    assert extract_bytes(bytes(broken), "broken.bmp").error["code"] == "CORRUPT_DOCUMENT"


@pytest.mark.parametrize(("name", "content"), [
    ("page.html", "<!DOCTYPE html>\n<html><head><title>x</title></head><body>项目名称</body></html>".encode()),
    ("saved.xls", '<html xmlns:o="urn:schemas-microsoft-com:office:office">\r\n<body><table><tr><td>项目名称</td>'
                  '<td>巡查员工作经费</td></tr></table></body></html>'.encode()),
    ("saved.doc", b"\xef\xbb\xbf  <table border=1><tr><td>\xe9\xa1\xb9\xe7\x9b\xae</td></tr></table>"),
    ("gbk.xls", '<HTML>\n<META http-equiv="Content-Type" content="text/html; charset=gb2312">项目名称\t一级指标'
                .encode("gbk")),
])
def test_an_html_page_is_read_as_a_web_page_never_as_a_text_export(tmp_path, name, content):
    # Before the web page reader an HTML page went to the text export reader: one junk form named by markup.
    path = tmp_path / name
    path.write_bytes(content)
    result = extract(path)
    assert result.kind == "html" or result.error["code"] == "NO_FORM_FOUND", result.error
    assert all("<" not in (form.record.project_name or "") for form in result.forms)
    # A fragment holding a label or two is no form to trust: never ok.
    assert [form.status.value for form in result.forms if form.status.value == "ok"] == []


# --- 3. file names that are not UTF-8 ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_a_file_name_that_is_not_utf8_does_not_crash_run(tmp_path, seed_export, fmt):
    folder = os.fsencode(tmp_path)
    name = folder + b"/" + NOT_UTF8 + b".txt"
    shutil.copy(seed_export, name)
    result = _run("run", name, str(seed_export), "--format", fmt)
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode("utf-8")
    docs = json.loads(text)["documents"] if fmt == "json" else _jsonl(result.stdout)
    assert [d["status"] for d in docs] == ["ok", "ok"]
    assert docs[0]["source"] == os.fsdecode(folder) + "/\\xc4\\xea\\xb6\\xc8.txt"  # the bytes, escaped
    assert len(docs[0]["forms"]) == 10


def test_a_file_name_that_is_not_utf8_in_a_folder_and_in_the_table(tmp_path, seed_export):
    shutil.copy(seed_export, os.fsencode(tmp_path) + b"/" + NOT_UTF8 + b".txt")
    result = _run("run", str(tmp_path), "--format", "table")
    assert result.returncode == 0, result.stderr
    assert b"\\xc4\\xea\\xb6\\xc8" in result.stdout


# --- 4. -o checked before any work ------------------------------------------------------------------------------


def _no_work(monkeypatch):
    def refuse(*_args, **_kwargs):
        raise AssertionError("work started before -o was checked")

    monkeypatch.setattr("extractor.ingest.text_export.decode_bytes", refuse)


def test_run_output_in_a_missing_folder_is_a_usage_error_before_any_work(tmp_path, seed_export, monkeypatch):
    _no_work(monkeypatch)
    target = tmp_path / "nonexistent-dir" / "out.json"
    result = runner.invoke(app, ["run", str(seed_export), "--format", "json", "-o", str(target)])
    assert result.exit_code == 2, result.output
    assert "does not exist" in result.output
    assert not target.parent.exists()  # never created


def test_run_output_that_is_a_folder_is_a_usage_error_before_any_work(tmp_path, seed_export, monkeypatch):
    _no_work(monkeypatch)
    result = runner.invoke(app, ["run", str(seed_export), "--format", "json", "-o", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "is a folder" in result.output


def test_export_output_is_checked_before_the_database_is_read(tmp_path):
    db = f"sqlite:///{tmp_path / 'x.db'}"
    assert runner.invoke(app, ["export", "-o", str(tmp_path / "missing" / "f.xlsx"), "--db", db]).exit_code == 2
    assert runner.invoke(app, ["export", "-o", str(tmp_path), "--format", "jsonl", "--db", db]).exit_code == 2
    a_file = tmp_path / "f.txt"
    a_file.write_text("x")
    assert runner.invoke(app, ["export", "-o", str(a_file), "--format", "csv", "--db", db]).exit_code == 2
    assert not (tmp_path / "x.db").exists()  # refused before the database was opened


def test_run_output_that_is_one_of_the_inputs_is_a_usage_error_and_the_input_is_kept(tmp_path, seed_export):
    export = shutil.copy(seed_export, tmp_path / "export.txt")
    result = runner.invoke(app, ["run", str(tmp_path), "--format", "jsonl", "-o", str(export)])
    assert result.exit_code == 2, result.output
    assert "one of the inputs" in result.output
    assert Path(export).read_bytes() == seed_export.read_bytes()  # not emptied
