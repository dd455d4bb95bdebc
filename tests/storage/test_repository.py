"""The repository on SQLite and PostgreSQL: one row per document, exact decimals, round trips, queries."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select, text

from extractor.records.models import DocumentResult, FormStatus
from extractor.storage import FormQuery, PathSeen, Repository, StorageError
from extractor.storage.database import downgrade, head_revision, schema_revision, upgrade
from extractor.storage.models import Base, Document, DocumentPath, Form, IndicatorRow
from extractor.storage.snapshot import snapshot
from extractor.storage.types import ExactDecimal


def _save(repo: Repository, result: DocumentResult, *paths: str) -> int:
    return repo.save_result(result, sha256=result.sha256, size=1000,
                            paths=[PathSeen(path=p, size=1000, mtime_ns=1) for p in paths])


def test_migrations_build_the_models_schema_and_go_back_down(db_url):
    repo = Repository.open(db_url)
    try:
        assert schema_revision(repo.engine) == head_revision()
        with repo.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        assert diff == []  # the shipped migration creates exactly what the models declare
        downgrade(repo.engine, "base")
        assert set(inspect(repo.engine).get_table_names()) <= {"alembic_version"}
        upgrade(repo.engine)
        assert {"documents", "document_paths", "forms", "indicators", "findings", "corrections", "runs"} <= set(
            inspect(repo.engine).get_table_names())
    finally:
        repo.close()


def test_one_document_seen_under_two_paths_is_one_row(db_url, seed_result):
    with Repository.open(db_url) as repo:
        first = _save(repo, seed_result, "/archive/2024/a.txt")
        second = _save(repo, seed_result, "/archive/copies/b.txt")
        assert first == second
        totals = repo.totals()
        assert (totals.documents, totals.forms, totals.paths) == (1, 10, 2)
        assert repo.get_document(sha256=seed_result.sha256).paths == ["/archive/2024/a.txt", "/archive/copies/b.txt"]
        assert repo.add_paths(seed_result.sha256, [PathSeen(path="/archive/copies/b.txt")]) == 0
        assert repo.add_paths(seed_result.sha256, [PathSeen(path="/elsewhere/c.txt")]) == 1
        with repo.transaction() as s:
            assert s.scalar(select(func.count(Form.id))) == 10
            assert s.scalar(select(func.count(IndicatorRow.id))) == sum(len(f.record.indicators)
                                                                         for f in seed_result.forms)


def test_a_form_comes_back_exactly_as_stored(db_url, seed_result):
    with Repository.open(db_url) as repo:
        _save(repo, seed_result, "/a.txt")
        forms = repo.list_forms()
        assert [f.form_index for f in forms] == list(range(1, 11))
        for summary, original in zip(forms, seed_result.forms, strict=True):
            stored = repo.get_form(summary.id)
            assert stored.form.record == original.record
            assert stored.form.findings == original.findings
            assert stored.form.provenance == original.provenance
            assert (stored.form.status, stored.form.lines, stored.form.index) == (original.status, original.lines,
                                                                                  original.index)
            assert summary.total_score == original.record.total_score
            assert isinstance(summary.total_score, Decimal)
            assert stored.paths == ["/a.txt"] and stored.sha256 == seed_result.sha256


def test_decimals_are_stored_exactly_and_compare_in_sql(db_url, seed_result):
    form = seed_result.forms[0]
    record = form.record.model_copy(deep=True)
    weights = [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    record.indicators = [ind.model_copy(update={"weight": w}) for ind, w in zip(record.indicators, weights,
                                                                                strict=False)]
    record.total_score = Decimal("89.995")
    result = seed_result.model_copy(update={"forms": [form.model_copy(update={"record": record})],
                                            "sha256": "f" * 64})
    with Repository.open(db_url) as repo:
        _save(repo, result, "/d.txt")
        with repo.transaction() as s:
            # 0.1-style binary rounding would make this sum 99.99999…; exact storage gives 100.
            assert s.scalar(select(func.sum(IndicatorRow.weight))) == Decimal("100.0000")
            assert s.scalar(select(Form.total_score)) == Decimal("89.9950")
            assert s.scalar(select(func.count()).where(Form.total_score > Decimal("89.99"))) == 1
            assert s.scalar(select(func.count()).where(Form.total_score >= Decimal("89.996"))) == 0
            if repo.engine.dialect.name == "sqlite":
                assert s.execute(text("SELECT typeof(total_score) FROM forms")).scalar() == "integer"
            else:
                assert s.execute(text("SELECT pg_typeof(total_score)::text FROM forms")).scalar() == "numeric"
        with pytest.raises(Exception, match="never float"):
            ExactDecimal().process_bind_param(0.1, repo.engine.dialect)


def test_an_unreadable_file_is_recorded_then_replaced_once_it_can_be_read(db_url, seed_result):
    with Repository.open(db_url) as repo:
        error = {"code": "FILE_ACCESS", "message": "no permission to read /a.txt"}
        assert repo.save_unreadable(PathSeen(path="/a.txt"), error)
        assert repo.save_unreadable(PathSeen(path="/a.txt"), error)  # again: the same row, not a second one
        [doc] = repo.list_documents()
        assert (doc.sha256, doc.status, doc.error_code, doc.paths) == (None, "failed", "FILE_ACCESS", ["/a.txt"])
        _save(repo, seed_result, "/a.txt")
        [doc] = repo.list_documents()
        assert (doc.sha256, doc.status, doc.paths) == (seed_result.sha256, "ok", ["/a.txt"])
        # Unreadable today but stored before: reported by the run, the stored content stays.
        assert not repo.save_unreadable(PathSeen(path="/a.txt"), error)
        assert repo.totals().documents == 1


def test_form_queries_filter_count_and_page(db_url, seed_result):
    with Repository.open(db_url) as repo:
        _save(repo, seed_result, "/a.txt")
        review = repo.list_forms(FormQuery(status="needs_review"))
        assert len(review) == repo.count_forms(FormQuery(status="needs_review")) == 3
        assert all(f.status == "needs_review" and f.has_errors for f in review)
        assert repo.count_forms(FormQuery(year=2024)) == 10
        assert repo.count_forms(FormQuery(year=2023)) == 0
        assert [f.project_name for f in repo.list_forms(FormQuery(project="巡查员"))] == ["巡查员工作经费"]
        assert repo.count_forms(FormQuery(project="%")) == 0  # LIKE wildcards are escaped
        assert repo.count_forms(FormQuery(grade="优")) == sum(1 for f in seed_result.forms if f.record.grade == "优")
        page = repo.list_forms(FormQuery(limit=4, offset=4))
        assert [f.form_index for f in page] == [5, 6, 7, 8]
        streamed = list(repo.iter_forms(FormQuery(), batch=3))
        assert [s.form.index for s in streamed] == list(range(1, 11))
        assert [s.form.index for s in repo.iter_forms(FormQuery(offset=2, limit=3), batch=2)] == [3, 4, 5]


def test_a_reviewed_form_replaces_its_columns_and_rows_and_corrections_are_kept(db_url, seed_result):
    with Repository.open(db_url) as repo:
        _save(repo, seed_result, "/a.txt")
        target = repo.list_forms(FormQuery(status="needs_review"))[0]
        stored = repo.get_form(target.id)
        record = stored.form.record.model_copy(update={"total_score": Decimal("88.50"), "grade": "良",
                                                       "indicators": stored.form.record.indicators[:2]})
        fixed = stored.form.model_copy(update={"record": record, "findings": [], "status": FormStatus.OK})
        cid = repo.add_correction(target.id, "total_score", stored.form.record.total_score, Decimal("88.50"),
                                  author="clerk@district", note="printed total misread")
        repo.replace_form(target.id, fixed)
        again = repo.get_form(target.id)
        assert again.form.record == record and again.form.findings == [] and again.form.status is FormStatus.OK
        summary = [f for f in repo.list_forms() if f.id == target.id][0]
        assert (summary.total_score, summary.grade, summary.status) == (Decimal("88.5000"), "良", "ok")
        with repo.transaction() as s:
            assert s.scalar(select(func.count()).where(IndicatorRow.form_id == target.id)) == 2
        [correction] = repo.list_corrections(form_id=target.id)
        assert correction.id == cid and correction.new_value == "88.50" and correction.author == "clerk@district"
        assert repo.list_corrections(document_id=target.document_id) == [correction]
        with pytest.raises(KeyError):
            repo.add_correction(999_999, "year", 1, 2, author="x")


def test_runs_are_recorded_and_a_dead_process_run_is_marked_crashed(db_url):
    with Repository.open(db_url) as repo:
        done = repo.start_run(engine="local", workers=2, inputs=["/in"], settings={"mapper": "rules"})
        repo.finish_run(done, status="finished", counts={"processed": 3}, failures=[])
        dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
        killed = repo.start_run(engine="local", workers=1, inputs=[], settings={"pid": int(dead.stdout)})
        assert repo.close_stale_runs() == 1
        runs = {r.id: r for r in repo.list_runs()}
        assert runs[done].status == "finished" and runs[done].counts == {"processed": 3}
        assert runs[killed].status == "crashed"


def test_the_same_content_gives_the_same_snapshot_on_sqlite_and_postgresql(pg_url, tmp_path, seed_result):
    snaps = []
    for url in (f"sqlite:///{tmp_path / 'same.db'}", pg_url):
        with Repository.open(url) as repo:
            _save(repo, seed_result, "/a.txt", "/b.txt")
            repo.save_unreadable(PathSeen(path="/fifo.txt"), {"code": "FILE_ACCESS", "message": "not regular"})
            snaps.append(snapshot(repo))
    assert snaps[0] == snaps[1]
    assert len(snaps[0]) == 2


def test_an_unusable_database_is_a_storage_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError) as info:
        Repository.open(f"sqlite:///{blocker}/sub/x.db")
    assert info.value.code == "STORAGE_ERROR"


def test_document_rows_and_paths_cascade(db_url, seed_result):
    with Repository.open(db_url) as repo:
        _save(repo, seed_result, "/a.txt")
        with repo.transaction() as s:
            s.execute(Document.__table__.delete())
        with repo.transaction() as s:
            assert s.scalar(select(func.count(DocumentPath.id))) == 0
            assert s.scalar(select(func.count(Form.id))) == 0
            assert s.scalar(select(func.count(IndicatorRow.id))) == 0


def test_the_database_comes_from_the_flag_the_environment_or_the_data_dir(tmp_path, pg_url):
    from tests.storage.helpers import cli

    env = {k: v for k, v in os.environ.items() if not k.startswith("EXTRACTOR_")}
    data_dir = tmp_path / "data"
    default = cli("db", "upgrade", env={**env, "EXTRACTOR_DATA_DIR": str(data_dir)})
    assert default.returncode == 0 and f"revision {head_revision()}" in default.stdout
    assert (data_dir / "extractor.db").is_file()  # SQLite in EXTRACTOR_DATA_DIR unless told otherwise
    bare = pg_url.replace("postgresql+psycopg://", "postgresql://")  # a plain URL uses psycopg 3 too
    from_env = cli("db", "status", env={**env, "EXTRACTOR_DATABASE_URL": bare, "EXTRACTOR_DATA_DIR": str(tmp_path)})
    assert from_env.returncode == 0 and "documents: 0" in from_env.stdout
    with Repository.open(pg_url) as repo:
        assert schema_revision(repo.engine) == head_revision()  # migrated on first use by `db status`
    broken = cli("db", "status", "--db", "mysql://nobody@localhost/x", env=env)
    assert broken.returncode == 3 and "unsupported database" in broken.stderr
