"""Documents per owner and one reading per (owner, bytes), on SQLite and PostgreSQL: another user's copy of the
same bytes is a document of its own; two jobs of the same bytes never wipe a review done in between."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from extractor.service import worker as worker_module
from extractor.service.settings import ServiceSettings
from extractor.service.store import ServiceStore
from extractor.service.worker import Worker
from extractor.storage.models import Correction, Document
from extractor.storage.repository import Repository
from extractor.storage.service_tables import Approval
from tests.service.helpers import Caller, big_export, seed_bytes


def _done(caller: Caller, worker: Worker, name: str, data: bytes) -> dict:
    job = caller.upload((name, data)).json()["jobs"][0]
    worker.drain()
    job = caller.get(f"/api/v1/jobs/{job['id']}").json()
    assert job["status"] == "done", job
    return job


def test_bobs_upload_of_alices_bytes_is_his_own_document(alice: Caller, bob: Caller, worker: Worker,
                                                         store: ServiceStore) -> None:
    first = _done(alice, worker, "alice.txt", seed_bytes())
    doc = alice.get(f"/api/v1/documents/{first['document_id']}").json()
    form = doc["forms"][9]
    url = f"/api/v1/forms/{form['id']}"
    assert alice.patch(url + "/fields/grade", json={"value": "良", "note": "私人备注"}).status_code == 200
    assert alice.post(url + "/approval").status_code == 200

    his = _done(bob, worker, "bob.txt", seed_bytes())
    assert his["document_id"] != doc["id"]  # his own document, not a link to hers
    assert bob.get(f"/api/v1/documents/{doc['id']}").status_code == 404
    mine = bob.get(f"/api/v1/documents/{his['document_id']}").json()
    assert mine["filenames"] == ["bob.txt"] and len(mine["forms"]) == 10
    bobs_form = mine["forms"][9]
    assert bobs_form["id"] != form["id"]
    assert bobs_form["record"]["grade"] == "优" and bobs_form["corrections"] == [] and bobs_form["approval"] is None
    assert "私人备注" not in bob.get(f"/api/v1/documents/{his['document_id']}").text
    # What he does to his copy stays on his copy; her form, correction and approval cannot be reached.
    assert bob.patch(f"/api/v1/forms/{bobs_form['id']}/fields/grade", json={"value": "差"}).status_code == 200
    assert bob.patch(url + "/fields/grade", json={"value": "差"}).status_code == 404
    assert bob.delete(url + "/approval").status_code == 404
    hers = alice.get(url).json()
    assert hers["record"]["grade"] == "良" and hers["approval"]["approved_by"] == "alice"
    assert [c["author"] for c in hers["corrections"]] == ["alice"]
    assert {d["id"] for d in bob.get("/api/v1/documents").json()} == {his["document_id"]}
    with store.repo.transaction() as s:
        assert s.scalar(select(func.count(Document.id))) == 2


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, threading.Event]]:
    """The pipeline of each worker thread waits at its start until the test lets it go."""
    events: dict[str, threading.Event] = {}
    real = worker_module.extract_bytes

    def gated_extract(*args, **kwargs):  # type: ignore[no-untyped-def]
        name = threading.current_thread().name
        events[f"{name}-entered"].set()
        assert events[f"{name}-go"].wait(120)
        return real(*args, **kwargs)

    for name in ("A", "B"):
        events[f"{name}-entered"], events[f"{name}-go"] = threading.Event(), threading.Event()
    monkeypatch.setattr(worker_module, "extract_bytes", gated_extract)
    yield events
    for event in events.values():
        event.set()


def test_the_same_bytes_twice_with_two_workers_keep_the_correction_and_the_approval(
        alice: Caller, store: ServiceStore, settings: ServiceSettings, gated: dict[str, threading.Event]) -> None:
    data = big_export(2)
    jobs = [j["id"] for j in alice.upload(("a.txt", data)).json()["jobs"] + alice.upload(("b.txt", data)).json()["jobs"]]
    workers = {name: Worker(settings, store=ServiceStore(Repository.open(settings=settings)), name=f"worker-{name}")
               for name in ("A", "B")}
    claimed: dict[str, object] = {}

    def run(name: str) -> None:
        claimed[name] = workers[name].run_once()

    a = threading.Thread(target=run, args=("A",), name="A")
    a.start()
    assert gated["A-entered"].wait(60)  # A is reading the first upload
    b = threading.Thread(target=run, args=("B",), name="B")
    b.start()
    # B either finds nothing to claim (the bytes are being read) or starts reading them a second time.
    while b.is_alive() and not gated["B-entered"].wait(0.05):
        pass
    gated["A-go"].set()
    a.join(120)
    first = alice.get(f"/api/v1/jobs/{jobs[0]}").json()
    assert first["status"] == "done"
    form = alice.get(f"/api/v1/documents/{first['document_id']}").json()["forms"][9]
    assert alice.patch(f"/api/v1/forms/{form['id']}/fields/grade", json={"value": "良"}).status_code == 200
    assert alice.post(f"/api/v1/forms/{form['id']}/approval").status_code == 200

    gated["B-go"].set()  # a second reading, if one started, saves only now
    b.join(120)
    workers["B"].drain()
    try:
        second = alice.get(f"/api/v1/jobs/{jobs[1]}").json()
        assert second["status"] == "done" and second["document_id"] == first["document_id"]
        after = alice.get(f"/api/v1/forms/{form['id']}")
        assert after.status_code == 200  # the form id the review page holds still exists
        assert after.json()["record"]["grade"] == "良" and after.json()["approval"]["approved_by"] == "alice"
        with store.repo.transaction() as s:
            assert s.scalar(select(func.count(Correction.id))) == 1
            assert s.scalar(select(func.count(Approval.id))) == 1
            assert s.scalar(select(func.count(Document.id))) == 1
    finally:
        for w in workers.values():
            w.store.repo.close()


def test_a_job_of_bytes_being_read_waits_and_other_owners_go_first(store: ServiceStore) -> None:
    heavy, light = store.create_user("heavy").id, store.create_user("light").id

    def enqueue(user: int, sha: str) -> int:
        return store.enqueue(user_id=user, filename="x.txt", stored_path="uploads/none/x.txt", sha256=sha, size=1,
                             kind="text_export", max_attempts=3).id

    same = [enqueue(heavy, "a" * 64) for _ in range(2)]
    others = [enqueue(heavy, f"{i:064d}") for i in range(3)]
    lights = enqueue(light, "b" * 64)
    first = store.claim("w1", lease_s=60)
    assert first is not None and first.id == same[0]
    # The light user's one job goes before the heavy user's queue; the copy of the bytes being read waits.
    second = store.claim("w2", lease_s=60)
    assert second is not None and second.id == lights
    third = store.claim("w3", lease_s=60)
    assert third is not None and third.id == others[0]
    assert store.finish(first.id, "w1", status="done", document_id=None, error=None, seconds=1.0)
    fourth = store.claim("w1", lease_s=60)
    assert fourth is not None and fourth.id == same[1]  # its bytes are no longer being read
