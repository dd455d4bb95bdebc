"""Documents per owner and re-reads that merge (SQLite and PostgreSQL): the same bytes are one archive document
and one document per service user; reading a document again keeps every reviewed form and every form id."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, text

from extractor.records.models import DocumentResult, DocumentStatus
from extractor.storage import PathSeen, Repository
from extractor.storage.database import downgrade, upgrade
from extractor.storage.models import Correction, Document, Form
from extractor.storage.service_tables import Approval, Job, User


def _user(repo: Repository, name: str) -> int:
    with repo.transaction() as s:
        user = User(username=name, password_hash=None, disabled=False)
        s.add(user)
        s.flush()
        return user.id


def _save(repo: Repository, result: DocumentResult, owner: int | None, path: str = "upload:1/a.txt") -> int:
    return repo.save_result(result, sha256=str(result.sha256), size=1000, paths=[PathSeen(path=path)],
                            owner_id=owner)


def _form_ids(repo: Repository, document_id: int) -> dict[int, int]:
    with repo.transaction() as s:
        return dict(s.execute(select(Form.form_index, Form.id).where(Form.document_id == document_id)).all())


def test_the_same_bytes_are_one_document_per_owner(db_url, seed_result):
    with Repository.open(db_url) as repo:
        alice, bob = _user(repo, "alice"), _user(repo, "bob")
        archive = _save(repo, seed_result, None, "/archive/a.txt")
        mine = _save(repo, seed_result, alice)
        his = _save(repo, seed_result, bob)
        assert len({archive, mine, his}) == 3
        assert _save(repo, seed_result, alice) == mine  # the same owner's bytes again: the same document
        assert repo.document_state(str(seed_result.sha256), owner_id=bob).id == his  # type: ignore[union-attr]
        assert repo.document_state(str(seed_result.sha256)).id == archive  # type: ignore[union-attr]
        assert set(repo.known_documents()) == {seed_result.sha256}  # the back-fill sees the archive's only
        assert repo.known_documents()[str(seed_result.sha256)].id == archive
        assert repo.get_document(sha256=seed_result.sha256, owner_id=bob).owner_id == bob  # type: ignore[union-attr]
        assert repo.totals().forms == 30


def test_a_reread_keeps_corrected_and_approved_forms_and_every_form_id(db_url, seed_result):
    with Repository.open(db_url) as repo:
        alice = _user(repo, "alice")
        doc = _save(repo, seed_result, alice)
        ids = _form_ids(repo, doc)
        stored = repo.get_form(ids[10])
        assert stored is not None and stored.form.record.grade == "优"
        corrected = stored.form.model_copy(deep=True)
        corrected.record.grade = "良"
        repo.correct_form(ids[10], corrected, field_path="grade", old_value="优", new_value="良", author="alice")
        with repo.transaction() as s:
            s.add(Approval(form_id=ids[3], document_id=doc, user_id=alice, approved_by="alice", record={},
                           findings=[]))

        assert _save(repo, seed_result, alice, "upload:2/a.txt") == doc  # the second reading of the same bytes
        assert _form_ids(repo, doc) == ids  # no form deleted and re-created
        assert repo.get_form(ids[10]).form.record.grade == "良"  # type: ignore[union-attr]
        with repo.transaction() as s:
            assert s.scalar(select(func.count(Correction.id))) == 1
            assert s.scalar(select(func.count(Approval.id))) == 1
            assert s.get_one(Document, doc).form_count == 10

        # A failed reading of bytes read well before changes nothing.
        failed = DocumentResult(source="x", sha256=seed_result.sha256, status=DocumentStatus.FAILED,
                                error={"code": "TIMEOUT", "message": "slow"})
        assert _save(repo, failed, alice, "upload:3/a.txt") == doc
        assert _form_ids(repo, doc) == ids and repo.get_document(doc).status == "ok"  # type: ignore[union-attr]

        # A reading with fewer forms drops the forms nobody reviewed, never a reviewed one.
        shorter = seed_result.model_copy(update={"forms": seed_result.forms[:2]})
        _save(repo, shorter, alice, "upload:4/a.txt")
        assert _form_ids(repo, doc) == {1: ids[1], 2: ids[2], 3: ids[3], 10: ids[10]}
        assert repo.get_document(doc).form_count == 4  # type: ignore[union-attr]


def test_the_migration_gives_a_shared_document_to_its_first_uploader_and_queues_the_others(db_url, seed_result):
    with Repository.open(db_url) as repo:
        downgrade(repo.engine, "0003")
        now = datetime.now(UTC)
        with repo.engine.begin() as conn:
            for uid, name in ((1, "alice"), (2, "bob")):
                conn.execute(text("INSERT INTO users (id, username, disabled, created_at) VALUES (:i, :n, false, :t)"),
                             {"i": uid, "n": name, "t": now})
            conn.execute(text("INSERT INTO documents (id, sha256, status, form_count, timings, created_at, "
                              "processed_at) VALUES (7, 'abc', 'ok', 1, '{}', :t, :t), "
                              "(8, 'def', 'ok', 0, '{}', :t, :t)"), {"t": now})
            conn.execute(text("INSERT INTO forms (id, document_id, form_index, status, has_errors, record_version, "
                              "record, provenance, pages, created_at, updated_at) VALUES "
                              "(70, 7, 1, 'ok', false, '1.1', '{}', '{}', '[]', :t, :t)"), {"t": now})
            conn.execute(text("INSERT INTO corrections (form_id, document_id, field_path, author, created_at) "
                              "VALUES (70, 7, 'grade', 'alice', :t)"), {"t": now})
            for jid, uid in ((1, 1), (2, 2)):
                conn.execute(text("INSERT INTO jobs (id, user_id, filename, stored_path, sha256, size, kind, status, "
                                  "attempts, max_attempts, available_at, document_id, created_at) VALUES "
                                  "(:j, :u, 'a.txt', 'uploads/ab/abc.txt', 'abc', 1, 'text_export', 'done', 1, 3, "
                                  ":t, 7, :t)"), {"j": jid, "u": uid, "t": now})
        upgrade(repo.engine)
        with repo.transaction() as s:
            assert s.get_one(Document, 7).owner_id == 1 and s.get_one(Document, 8).owner_id is None
            assert s.get(Form, 70) is not None  # copying the table on SQLite cascaded to nothing
            assert s.scalar(select(func.count(Correction.id))) == 1
            bobs = s.get_one(Job, 2)
            assert (bobs.status, bobs.document_id, bobs.attempts) == ("queued", None, 0)
            assert s.get_one(Job, 1).status == "done"
