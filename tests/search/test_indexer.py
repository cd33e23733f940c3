"""The drain: applies the outbox to the backend, one drainer at a time, and converges."""
import logging
import random
import threading
import time

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.forums.models import Forum
from forum.proposals.models import Comment, Proposal
from forum.search import engines, indexer
from forum.search.models import SearchOutbox
from tests.factories import make_comment, make_forum, make_proposal, make_user
from tests.search.integration import (  # noqa: F401  (fixtures)
    assert_in_step,
    backend_of,
    clear_outbox,
    drain,
    drift,
    engine_app,
    make_world,
    memory_app,
    outbox_rows,
    random_change,
)


@pytest.fixture
def thread(memory_app):
    """A proposal with a comment and a reply, already drained into the memory backend."""
    app = memory_app
    with app.app_context():
        author = make_user()
        forum = make_forum(number=1, phase="open")
        proposal = make_proposal(forum, author, title="Phát triển đoàn viên")
        comment = make_comment(proposal, author)
        reply = make_comment(proposal, author, parent=comment)
        ids = {"forum": forum.id, "proposal": proposal.id, "comment": comment.id, "reply": reply.id}
    drain(app)
    backend_of(app).calls.clear()
    return ids


def keys(ids):
    return {f"proposal:{ids['proposal']}", f"comment:{ids['comment']}", f"comment:{ids['reply']}"}


def change(app, model, id_, **values):
    with app.app_context():
        row = db.session.get(model, id_)
        for name, value in values.items():
            setattr(row, name, value)
        db.session.commit()


def test_drain_indexes_every_pending_change_then_empties_the_outbox(memory_app):
    app = memory_app
    with app.app_context():
        author = make_user()
        proposal = make_proposal(make_forum(number=1, phase="open"), author, title="Nhà ở cho công nhân")
        make_comment(proposal, author)
        key = f"proposal:{proposal.id}"
    assert len(outbox_rows(app)) == 2
    assert drain(app) == 2
    assert outbox_rows(app) == []
    assert backend_of(app).documents[key].title == "Nhà ở cho công nhân"
    assert drain(app) == 0
    assert_in_step(app)


def test_rows_for_one_document_are_coalesced(memory_app, thread):
    app = memory_app
    for n in range(30):
        change(app, Proposal, thread["proposal"], title=f"Tiêu đề lần {n}")
    assert len(outbox_rows(app)) == 30
    assert drain(app, batch_size=500) == 30
    assert backend_of(app).calls == [("index", [f"proposal:{thread['proposal']}"])]
    assert backend_of(app).documents[f"proposal:{thread['proposal']}"].title == "Tiêu đề lần 29"


def test_a_support_updates_only_the_counts(memory_app, thread):
    app = memory_app
    key = f"proposal:{thread['proposal']}"
    change(app, Proposal, thread["proposal"], support_count=4)
    drain(app)
    assert backend_of(app).calls == [("counts", [key])]
    assert backend_of(app).documents[key].support_count == 4
    assert_in_step(app)
    backend_of(app).calls.clear()
    change(app, Proposal, thread["proposal"], support_count=5)
    change(app, Proposal, thread["proposal"], title="Tiêu đề mới")
    drain(app)  # the whole document is written anyway: no separate count update
    assert backend_of(app).calls == [("index", [key])]
    assert backend_of(app).documents[key].support_count == 5
    assert_in_step(app)


def test_batches_are_bounded(memory_app, thread):
    app = memory_app
    for n in range(7):
        change(app, Proposal, thread["proposal"], title=f"Tiêu đề {n}")
    assert drain(app, batch_size=3) == 7
    assert len(backend_of(app).calls) == 3  # 3 + 3 + 1 rows


def test_a_short_batch_is_the_last_one_read(memory_app, thread, count_queries):
    """Fewer rows than a batch: the outbox is read once, then checked once after the lock
    is released (the check that strands no row), with no empty batch in between."""
    app = memory_app
    change(app, Proposal, thread["proposal"], support_count=4)
    with count_queries() as counter:
        assert drain(app, batch_size=3) == 1
    reads = [s for s in counter.statements if "FROM search_outbox" in s and s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 2, reads
    assert_in_step(app)


def test_hiding_a_proposal_reindexes_its_comments(memory_app, thread):
    app = memory_app
    change(app, Proposal, thread["proposal"], is_hidden=True)
    drain(app)
    assert {k: d.visibility for k, d in backend_of(app).documents.items()} == dict.fromkeys(keys(thread), "staff")
    assert_in_step(app)


def test_hiding_a_comment_reindexes_its_replies(memory_app, thread):
    app = memory_app
    change(app, Comment, thread["comment"], is_hidden=True)
    drain(app)
    documents = backend_of(app).documents
    assert documents[f"comment:{thread['reply']}"].visibility == "staff"
    assert documents[f"proposal:{thread['proposal']}"].visibility == "public"
    assert_in_step(app)


def test_a_forum_phase_change_reindexes_the_whole_forum(memory_app, thread):
    app = memory_app
    change(app, Forum, thread["forum"], phase="draft")
    drain(app)
    assert {d.visibility for d in backend_of(app).documents.values()} == {"organizer"}
    assert_in_step(app)


def test_large_expansions_are_committed_in_slices(memory_app, thread, monkeypatch):
    app = memory_app
    monkeypatch.setattr(indexer, "DOCUMENTS_PER_COMMIT", 2)
    change(app, Forum, thread["forum"], phase="closed")
    assert drain(app) == 1  # one outbox row, three documents
    assert [len(keys) for call, keys in backend_of(app).calls] == [2, 1]
    assert_in_step(app)


def test_deleted_rows_leave_the_index(memory_app, thread):
    app = memory_app
    with app.app_context():
        db.session.delete(db.session.get(Proposal, thread["proposal"]))
        db.session.commit()
    drain(app)
    assert backend_of(app).documents == {}
    assert ("remove", sorted(keys(thread))) in backend_of(app).calls
    assert_in_step(app)


def test_only_the_rows_read_are_deleted(memory_app, thread, monkeypatch):
    """A row with a lower id that commits after the batch was read must survive it
    (deleting ``id <= max(read)`` would lose the change it carries)."""
    app = memory_app
    with app.app_context():
        other = make_proposal(db.session.get(Forum, thread["forum"]), make_user(), title="Trước")
        other_id = other.id
        db.session.execute(sa.delete(SearchOutbox))
        db.session.execute(sa.insert(SearchOutbox), [
            {"id": 100, "entity": "proposal", "entity_id": thread["proposal"]},
            {"id": 101, "entity": "proposal", "entity_id": thread["proposal"]},
        ])
        db.session.commit()
    drain(app)  # "Trước" is indexed, so was other's first version
    late = []

    def commit_a_late_lower_row(point):
        if point == "before_backend" and not late:
            late.append(True)
            with app.app_context():
                db.session.execute(sa.update(Proposal).where(Proposal.id == other_id).values(title="Sau"))
                db.session.execute(sa.delete(SearchOutbox).where(SearchOutbox.entity_id == other_id))
                db.session.execute(sa.insert(SearchOutbox), [{"id": 50, "entity": "proposal", "entity_id": other_id}])
                db.session.commit()

    clear_outbox(app)
    with app.app_context():
        db.session.execute(sa.insert(SearchOutbox), [
            {"id": 100, "entity": "proposal", "entity_id": thread["proposal"]},
            {"id": 101, "entity": "proposal", "entity_id": thread["proposal"]},
        ])
        db.session.commit()
    monkeypatch.setattr(indexer, "checkpoint_hook", commit_a_late_lower_row)
    assert drain(app) == 3  # 100 and 101, then 50 in the next batch
    assert backend_of(app).documents[f"proposal:{other_id}"].title == "Sau"
    assert_in_step(app)


def test_a_busy_lock_leaves_the_rows_for_its_holder(memory_app, thread):
    app = memory_app
    change(app, Proposal, thread["proposal"], title="Chờ khóa")
    with app.app_context():
        lock = indexer.drain_lock_for(engines.get_backend())
    assert lock.acquire()
    try:
        assert drain(app) == 0
        assert len(outbox_rows(app)) == 1
    finally:
        lock.release()
    assert drain(app) == 1


def test_drain_can_wait_for_the_lock(memory_app, thread):
    app = memory_app
    change(app, Proposal, thread["proposal"], title="Chờ một chút")
    with app.app_context():
        lock = indexer.drain_lock_for(engines.get_backend())
    assert lock.acquire()
    released = threading.Event()

    def release():
        released.set()
        lock.release()

    releaser = threading.Timer(0.2, release)
    releaser.start()
    assert drain(app, wait=30) == 1  # without waiting it would have drained nothing
    assert released.is_set()
    releaser.join()


def test_a_row_committed_while_the_lock_is_held_is_drained_by_the_holder(memory_app, thread, monkeypatch):
    """The holder re-checks the outbox after releasing the lock: an inline drain that
    found the lock busy never strands its row."""
    app = memory_app
    nested = []

    def write_and_try_to_drain(point):
        if point == "before_release" and not nested:
            with app.app_context():
                proposal = make_proposal(db.session.get(Forum, thread["forum"]), make_user(), title="Viết muộn")
                nested.append(proposal.id)
            nested.append(drain(app))  # the lock is busy: gives up at once

    change(app, Proposal, thread["proposal"], title="Trước khi khóa")
    monkeypatch.setattr(indexer, "checkpoint_hook", write_and_try_to_drain)
    drain(app)
    assert nested[1] == 0
    assert backend_of(app).documents[f"proposal:{nested[0]}"].title == "Viết muộn"
    assert_in_step(app)


def test_a_backend_failure_keeps_the_rows_and_frees_the_lock(memory_app, thread, monkeypatch):
    app = memory_app
    change(app, Proposal, thread["proposal"], title="Lỗi tạm thời")
    backend = backend_of(app)

    def broken(documents):
        raise OSError("disk full")

    monkeypatch.setattr(backend, "index_documents", broken)
    with pytest.raises(OSError):
        drain(app)
    assert len(outbox_rows(app)) == 1
    monkeypatch.undo()
    assert drain(app) == 1
    assert_in_step(app)


def test_file_lock_is_exclusive_between_threads(memory_app):
    with memory_app.app_context():
        first = indexer.drain_lock_for(engines.get_backend())
        second = indexer.drain_lock_for(engines.get_backend())
    results = []
    assert first.acquire()
    worker = threading.Thread(target=lambda: results.append(second.acquire()))
    worker.start()
    worker.join()
    assert results == [False]
    first.release()
    assert second.acquire()
    second.release()


def test_advisory_lock_is_exclusive_between_connections(postgres_database):
    engine = sa.create_engine(sa.make_url(postgres_database))
    try:
        first, second = indexer.AdvisoryDrainLock(engine), indexer.AdvisoryDrainLock(engine)
        assert first.acquire()
        assert not second.acquire()
        first.release()
        assert second.acquire()
        second.release()
    finally:
        engine.dispose()


# Inline drains after a request's commit ----------------------------------------------------
@pytest.fixture
def web(memory_app, thread):
    app = memory_app
    app.config["SEARCH_INLINE_DRAIN"] = True
    with app.app_context():
        email = make_user().email
    client = app.test_client()
    client.post("/login", data={"email": email, "password": "mat-khau-thu-nghiem"})
    clear_outbox(app)
    return client


def test_a_request_drains_after_its_response_is_closed(memory_app, thread, web):
    app = memory_app
    response = web.post(f"/proposals/{thread['proposal']}/comments", data={"body": "Ý kiến tìm được ngay"})
    assert response.status_code == 302
    assert len(outbox_rows(app)) == 1  # the user did not wait for the index
    response.close()
    assert outbox_rows(app) == []
    assert any(d.body == "Ý kiến tìm được ngay" for d in backend_of(app).documents.values())
    assert_in_step(app)


def test_inline_drain_failures_never_reach_the_user(memory_app, thread, web, monkeypatch, caplog):
    app = memory_app

    def broken(documents):
        raise OSError("index is read-only")

    monkeypatch.setattr(backend_of(app), "index_documents", broken)
    with caplog.at_level(logging.ERROR, logger="forum.search.indexer"):
        response = web.post(f"/proposals/{thread['proposal']}/comments", data={"body": "Vẫn lưu được"})
        response.close()
    assert response.status_code == 302
    assert len(outbox_rows(app)) == 1  # kept for the next drain
    assert "inline drain failed" in caplog.text
    monkeypatch.undo()
    assert drain(app) == 1


def test_requests_that_write_nothing_do_not_drain(memory_app, thread, web):
    app = memory_app
    backend_of(app).calls.clear()
    web.get(f"/proposals/{thread['proposal']}").close()
    web.post(f"/proposals/{thread['proposal']}/comments", data={"body": ""}).close()  # refused: 422
    assert backend_of(app).calls == []


def test_inline_drain_can_be_switched_off(memory_app, thread, web):
    app = memory_app
    app.config["SEARCH_INLINE_DRAIN"] = False
    web.post(f"/proposals/{thread['proposal']}/comments", data={"body": "Để tiến trình nền làm"}).close()
    assert len(outbox_rows(app)) == 1


def test_commits_outside_requests_drain_when_their_context_ends(memory_app, thread):
    app = memory_app
    app.config["SEARCH_INLINE_DRAIN"] = True
    with app.app_context():
        proposal = db.session.get(Proposal, thread["proposal"])
        proposal.title = "Sửa từ dòng lệnh"
        db.session.commit()
        assert len(outbox_rows(app)) == 1  # still pending inside the context
    assert outbox_rows(app) == []
    assert backend_of(app).documents[f"proposal:{thread['proposal']}"].title == "Sửa từ dòng lệnh"


# Convergence on the real engines -----------------------------------------------------------
@pytest.mark.slow
def test_random_changes_converge(engine_app):
    app = engine_app
    world = make_world(app)
    rng = random.Random(20231130)
    for step in range(1, 81):
        random_change(app, world, rng)
        if rng.random() < 0.2:
            drain(app, batch_size=rng.choice([1, 5, 100]))
        if step % 8 == 0:  # often, so that a missed change cannot hide behind a later refresh
            drain(app)
            assert_in_step(app)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Proposal)) > 0


def _writers_and_drainers(app, *, writers: int, drainers: int, changes: int) -> list[int]:
    """Run writer threads and drainer threads together; returns the peak number of
    drainers seen inside the lock at once."""
    world = make_world(app)
    stop = threading.Event()
    inside, peak, guard = [0], [0], threading.Lock()
    errors = []

    def hook(point):
        if point == "after_read":
            with guard:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
            time.sleep(0.002)
        elif point == "after_outbox_delete":
            with guard:
                inside[0] -= 1

    def write(seed):
        rng = random.Random(seed)
        try:
            for _ in range(changes):
                random_change(app, world, rng)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    def drain_until_stopped():
        try:
            while not stop.is_set():
                drain(app, batch_size=7)
                time.sleep(0.005)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    indexer.checkpoint_hook = hook
    try:
        writer_threads = [threading.Thread(target=write, args=(seed,)) for seed in range(writers)]
        drainer_threads = [threading.Thread(target=drain_until_stopped) for _ in range(drainers)]
        for t in writer_threads + drainer_threads:
            t.start()
        for t in writer_threads:
            t.join()
        stop.set()
        for t in drainer_threads:
            t.join()
    finally:
        indexer.checkpoint_hook = None
    assert errors == []
    return peak


@pytest.mark.slow
def test_writers_and_a_drainer_running_together_converge(engine_app):
    _writers_and_drainers(engine_app, writers=3, drainers=1, changes=20)
    drain(engine_app)
    assert_in_step(engine_app)


@pytest.mark.slow
def test_two_drainers_never_overlap_and_converge(engine_app):
    peak = _writers_and_drainers(engine_app, writers=2, drainers=2, changes=20)
    assert peak == [1]
    drain(engine_app)
    assert_in_step(engine_app)


def test_drift_is_detected_by_the_helper(engine_app):
    """The convergence assertions can fail: a change applied behind the outbox's back shows."""
    app = engine_app
    make_world(app, proposals=2, comments=1)
    drain(app)
    with app.app_context():
        db.session.execute(sa.delete(SearchOutbox))
        proposal = db.session.scalars(sa.select(Proposal)).first()
        proposal.title = "Đổi mà không ghi hàng đợi"
        db.session.flush()
        db.session.execute(sa.delete(SearchOutbox))
        db.session.commit()
        key = f"proposal:{proposal.id}"
    assert drift(app)["stale"] == [key]
