"""Back-fill on SQLite and PostgreSQL: each file ends stored once, failures carry reasons, re-runs resume."""

from __future__ import annotations

import os
import shutil

import pytest

from extractor.storage import Repository
from tests.storage.helpers import backfill, cli, drop_read_permission_prefix, snap
from tests.storage.variants import big_export, write_corpus


def test_every_file_is_stored_once_and_a_rerun_skips_them_all(db_url, tmp_path):
    expected = write_corpus(tmp_path / "in", good=12, duplicates=2)
    report = backfill(db_url, [tmp_path / "in"])
    c = report.counts
    assert report.status == "finished"
    assert c.files == expected["files"] == c.done
    assert c.processed == expected["documents"]
    assert (c.documents_ok, c.documents_failed, c.forms, c.new_paths) == (12, 4, expected["forms"], 2)
    assert c.forms_ok + c.forms_review == c.forms
    codes = {f["path"].rsplit("/", 1)[1]: f["code"] for f in c.failures}
    # The broken PDF reads as UNSUPPORTED_FORMAT until PDF support lands, CORRUPT_DOCUMENT after.
    assert codes.pop("truncated.pdf") in ("UNSUPPORTED_FORMAT", "CORRUPT_DOCUMENT")
    assert codes == {"empty.txt": "EMPTY_DOCUMENT", "binary.txt": "BINARY_CONTENT", "letter.txt": "NO_FORM_FOUND"}
    with Repository.open(db_url) as repo:
        totals = repo.totals()
        assert (totals.documents, totals.forms, totals.paths) == (expected["documents"], expected["forms"],
                                                                  expected["files"])
        assert {d.error_code for d in repo.list_documents(status="failed")} == {f["code"] for f in c.failures}
        copies = [d for d in repo.list_documents() if len(d.paths) == 2]
        assert len(copies) == 2 and all(any("/copies/" in p for p in d.paths) for d in copies)
        run = repo.get_run(report.run_id)
        assert run.status == "finished" and run.counts["processed"] == expected["documents"]
        assert len(run.failures) == 4
    before = snap(db_url)
    again = backfill(db_url, [tmp_path / "in"])
    assert (again.counts.skipped, again.counts.processed, again.counts.failures) == (expected["files"], 0, [])
    assert snap(db_url) == before


def test_a_new_name_or_new_content_is_noticed_and_nothing_is_duplicated(db_url, tmp_path):
    write_corpus(tmp_path / "in", good=4, broken=False)
    backfill(db_url, [tmp_path / "in"], workers=1)
    first = sorted((tmp_path / "in").rglob("*.txt"))[0]
    shutil.copy(first, tmp_path / "in" / "renamed_copy.txt")  # same content, another name
    report = backfill(db_url, [tmp_path / "in"], workers=1)
    assert (report.counts.processed, report.counts.new_paths, report.counts.skipped) == (0, 1, 4)
    first.write_bytes(first.read_bytes().replace(b"\t", b"\t", 1) + b"\n")  # new content under an old name
    report = backfill(db_url, [tmp_path / "in"], workers=1)
    assert report.counts.processed == 1
    with Repository.open(db_url) as repo:
        docs = repo.list_documents()
        assert len(docs) == 5  # the old content stays stored (with its history of paths), the new one joins it
        assert len({d.sha256 for d in docs}) == 5
        assert sum(str(first.absolute()) in d.paths for d in docs) == 2


def test_fifos_broken_links_and_vanished_files_are_recorded_without_hanging(db_url, tmp_path):
    folder = tmp_path / "in"
    write_corpus(folder, good=3, broken=False)
    os.mkfifo(folder / "pipe.txt")  # opening it for reading would block forever
    (folder / "dangling.pdf").symlink_to(folder / "nowhere.pdf")
    (folder / "folder.pdf").mkdir()  # a folder named like a document is searched, not read
    (folder / "folder.pdf" / "inner.txt").write_bytes((folder / "2015" / "batch0" / "export_0000.txt").read_bytes()
                                                      + b"\n")
    from extractor.ingest.files import discover
    from extractor.runner.backfill import Backfill, BackfillOptions
    from extractor.settings import get_settings

    found = discover([folder])
    vanished = folder / "2016" / "batch1" / "export_0001.txt"
    vanished.unlink()  # listed, then gone before it is read
    with Repository.open(db_url) as repo:
        report = Backfill(repo, get_settings(), BackfillOptions(workers=1, timeout_s=60)).run(found, [str(folder)])
        failures = {os.path.basename(f["path"]): f for f in report.counts.failures}
        assert set(failures) == {"pipe.txt", "dangling.pdf", "export_0001.txt"}
        assert all(f["code"] == "FILE_ACCESS" for f in failures.values())
        assert "not a regular file" in failures["pipe.txt"]["message"]
        assert "vanished" in failures["export_0001.txt"]["message"]
        assert report.counts.documents_ok == 3  # two left of the corpus and the one inside folder.pdf
        stored = {os.path.basename(p): d for d in repo.list_documents() for p in d.paths}
        assert stored["pipe.txt"].status == "failed" and stored["pipe.txt"].sha256 is None
        assert stored["inner.txt"].status == "ok"


def test_an_unreadable_file_is_a_failure_with_its_reason_and_is_retried_once_readable(db_url, tmp_path):
    folder = tmp_path / "in"
    write_corpus(folder, good=3, broken=False)
    locked = folder / "2015" / "batch0" / "export_0000.txt"
    closed = folder / "closed"
    closed.mkdir()
    (closed / "inside.txt").write_bytes(locked.read_bytes() + b"\n")
    locked.chmod(0)
    closed.chmod(0)
    try:
        # As root, chmod 000 blocks nothing: run without the capabilities that override file permissions.
        result = cli("backfill", str(folder), "--db", db_url, "--workers", "1", prefix=drop_read_permission_prefix())
    finally:
        locked.chmod(0o644)
        closed.chmod(0o755)
    assert result.returncode == 1, result.stderr
    assert "FILE_ACCESS" in result.stdout and "no permission" in result.stdout
    assert "cannot list folder" in result.stdout and "closed" in result.stdout  # its files were never seen: said so
    with Repository.open(db_url) as repo:
        [failed] = repo.list_documents(status="failed")  # the file; a folder is reported, not a document
        assert failed.error_code == "FILE_ACCESS" and failed.paths == [str(locked)]
        assert {f["path"] for f in repo.list_runs()[0].failures} == {str(locked), str(closed)}
    report = backfill(db_url, [folder], workers=1)  # readable now: FILE_ACCESS says nothing of the content
    assert report.counts.processed == 2 and report.counts.failures == []
    with Repository.open(db_url) as repo:
        assert repo.list_documents(status="failed") == []
        assert repo.totals().documents == 4


@pytest.mark.slow
def test_a_document_over_the_timeout_is_killed_and_recorded_while_the_rest_goes_on(db_url, tmp_path):
    folder = tmp_path / "in"
    write_corpus(folder, good=4, broken=False)
    (folder / "huge.txt").write_bytes(big_export(400))  # ~50 s of work
    report = backfill(db_url, [folder], workers=2, timeout_s=4)
    [failure] = report.counts.failures
    assert failure["code"] == "TIMEOUT" and failure["path"].endswith("huge.txt")
    assert report.counts.documents_ok == 4
    with Repository.open(db_url) as repo:
        [doc] = repo.list_documents(status="failed")
        assert doc.error_code == "TIMEOUT" and doc.sha256 and doc.form_count == 0
    again = backfill(db_url, [folder], workers=1, timeout_s=4)
    assert again.counts.processed == 0  # a timeout is kept; only --retry-failed tries it again
    retried = backfill(db_url, [folder], workers=1, timeout_s=2, retry_failed=True)
    assert retried.counts.processed == 1 and retried.counts.failures[0]["code"] == "TIMEOUT"
    with Repository.open(db_url) as repo:
        assert repo.totals().documents == 5


def test_the_command_prints_a_summary_and_lists_failures(db_url, tmp_path):
    expected = write_corpus(tmp_path / "in", good=3)
    result = cli("backfill", str(tmp_path / "in"), "--db", db_url, "--workers", "2")
    assert result.returncode == 1  # some documents failed
    assert f"{expected['documents']} processed" in result.stdout
    assert f"{expected['forms']}:" in result.stdout and "documents/min" in result.stdout
    for name in ("empty.txt", "binary.txt", "letter.txt", "truncated.pdf"):
        assert name in result.stdout
    assert "[pdf]" in result.stdout or "CORRUPT_DOCUMENT" in result.stdout  # messages are not eaten as markup
    listed = cli("db", "failures", "--db", db_url)
    assert listed.returncode == 0 and listed.stdout.count("\n") == 4
    status = cli("db", "status", "--db", db_url)
    assert f"documents: {expected['documents']}" in status.stdout
    again = cli("backfill", str(tmp_path / "in"), "--db", db_url)
    assert again.returncode == 0 and f"{expected['files']} already stored" in again.stdout
    assert cli("backfill", str(tmp_path / "nothing-here"), "--db", db_url).returncode == 1  # reported, not silent
    assert cli("backfill", str(tmp_path / "in"), "--db", db_url, "--engine", "spark").returncode == 2


def test_two_copies_met_while_the_first_is_still_processing_make_one_document(db_url, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    data = big_export(3)
    (folder / "a.txt").write_bytes(data)
    (folder / "b.txt").write_bytes(data)  # read while a.txt is still in the worker
    report = backfill(db_url, [folder], workers=1)
    assert (report.counts.processed, report.counts.new_paths, report.counts.done) == (1, 1, 2)
    with Repository.open(db_url) as repo:
        [doc] = repo.list_documents()
        assert sorted(os.path.basename(p) for p in doc.paths) == ["a.txt", "b.txt"]
        assert doc.form_count == 30


def test_a_file_name_that_is_not_utf8_is_stored_and_the_run_finishes(db_url, tmp_path):
    from tests.storage.variants import variant

    folder = tmp_path / "in"
    write_corpus(folder, good=2, broken=False)
    raw = os.fsencode(folder)
    with open(raw + b"/\xc4\xea\xb6\xc8.txt", "wb") as fh:  # 年度.txt in GBK, as unzipped from a Windows archive
        fh.write(variant(7)[0].encode("utf-8"))
    os.mkfifo(raw + b"/\xb1\xa8\xb8\xe6.txt")  # unreadable too: its failure is stored under the same text form
    report = backfill(db_url, [folder], workers=1)
    assert report.status == "finished", report.message
    assert report.counts.documents_ok == 3
    shown = os.fsdecode(raw)
    assert [f["path"] for f in report.counts.failures] == [shown + "/\\xb1\\xa8\\xb8\\xe6.txt"]
    with Repository.open(db_url) as repo:
        paths = {p: d for d in repo.list_documents() for p in d.paths}
        assert paths[shown + "/\\xc4\\xea\\xb6\\xc8.txt"].status == "ok"
        assert paths[shown + "/\\xb1\\xa8\\xb8\\xe6.txt"].error_code == "FILE_ACCESS"
        assert repo.list_runs(limit=1)[0].status == "finished"
    again = backfill(db_url, [folder], workers=1)  # the stored text finds the file again: nothing re-read
    assert (again.status, again.counts.skipped, again.counts.processed) == ("finished", 3, 0)
