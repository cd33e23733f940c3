"""``flask search sync|worker|reindex|verify``."""
import os
import signal
import threading
import time
from dataclasses import replace

import pytest
import sqlalchemy as sa

from config import TestingConfig
from forum import create_app
from forum.extensions import db
from forum.proposals.models import Proposal
from forum.search import cli as search_cli
from forum.search import engines, indexer
from forum.search.documents import build_documents
from tests.search.integration import (  # noqa: F401  (fixtures)
    assert_in_step,
    backend_of,
    drain,
    engine_app,
    make_world,
    memory_app,
    outbox_rows,
)


def first_proposal_key(app) -> str:
    with app.app_context():
        return f"proposal:{db.session.scalar(sa.select(Proposal.id).order_by(Proposal.id))}"


def retitle_first_proposal(app, title: str) -> str:
    with app.app_context():
        proposal = db.session.scalar(sa.select(Proposal).order_by(Proposal.id))
        proposal.title = title
        db.session.commit()
        return f"proposal:{proposal.id}"


def test_sync_applies_everything_and_says_how_much(engine_app):
    app = engine_app
    make_world(app, proposals=3, comments=2)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["search", "sync"])
    assert result.exit_code == 0, result.output
    assert "Đã cập nhật chỉ mục tìm kiếm: 5 thay đổi." in result.output
    assert_in_step(app)
    again = runner.invoke(args=["search", "sync"])
    assert "0 thay đổi" in again.output


def test_sync_reports_rows_left_to_a_busy_drainer(memory_app):
    app = memory_app
    make_world(app, proposals=1, comments=0)
    with app.app_context():
        lock = indexer.drain_lock_for(engines.get_backend())
    assert lock.acquire()
    try:
        result = app.test_cli_runner().invoke(args=["search", "sync", "--wait", "0"])
    finally:
        lock.release()
    assert result.exit_code == 0, result.output
    assert "0 thay đổi" in result.output
    assert "Còn 1 thay đổi đang chờ" in result.output


def test_reindex_rebuilds_from_the_database_with_a_progress_bar(engine_app):
    app = engine_app
    make_world(app, proposals=4, comments=3)
    with app.app_context():
        backend = engines.get_backend()
        backend.remove_documents(list(build_documents([f"proposal:{n}" for n in range(1, 5)])))
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "Đang dựng chỉ mục" in result.output
    assert "Đã dựng lại chỉ mục: 7 tài liệu" in result.output
    assert_in_step(app)  # the outbox rows were applied after the swap


def test_changes_made_during_a_reindex_are_not_lost(engine_app, monkeypatch):
    app = engine_app
    make_world(app, proposals=4, comments=3)
    drain(app)
    original = search_cli.iter_all_documents
    changed = []

    def stream_with_a_concurrent_edit():
        for n, document in enumerate(original(chunk_size=2)):
            if n == 5:  # the first proposals were already streamed
                changed.append(retitle_first_proposal(app, "Sửa trong lúc dựng lại"))
            yield document

    monkeypatch.setattr(search_cli, "iter_all_documents", stream_with_a_concurrent_edit)
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert changed
    assert_in_step(app)


def test_reindex_waits_for_a_running_drain_then_gives_up(memory_app):
    app = memory_app
    with app.app_context():
        lock = indexer.drain_lock_for(engines.get_backend())
    assert lock.acquire()
    try:
        result = app.test_cli_runner().invoke(args=["search", "reindex", "--wait", "0.1"])
    finally:
        lock.release()
    assert result.exit_code == 1
    assert "Một tiến trình khác đang cập nhật chỉ mục" in result.output


def test_verify_is_clean_when_in_step(engine_app):
    app = engine_app
    make_world(app, proposals=3, comments=3)
    drain(app)
    result = app.test_cli_runner().invoke(args=["search", "verify"])
    assert result.exit_code == 0, result.output
    assert "Chỉ mục khớp với cơ sở dữ liệu." in result.output


def test_verify_finds_missing_stale_and_extra_documents_and_repairs_them(engine_app):
    app = engine_app
    make_world(app, proposals=3, comments=3)
    drain(app)
    with app.app_context():
        documents = build_documents(["proposal:1", "proposal:2", "comment:1"])
        backend = engines.get_backend()
        backend.remove_documents(["comment:1"])  # missing
        backend.index_documents([replace(documents["proposal:1"], title="Tiêu đề cũ")])  # stale
        backend.index_documents([replace(documents["proposal:2"], entity_id=999, proposal_id=999)])  # extra
    runner = app.test_cli_runner()
    result = runner.invoke(args=["search", "verify"])
    assert result.exit_code == 1, result.output
    assert "Thiếu trong chỉ mục (1):\n  comment:1" in result.output
    assert "Chỉ mục chứa nội dung cũ (1):\n  proposal:1" in result.output
    assert "Thừa trong chỉ mục (1):\n  proposal:999" in result.output
    assert "flask search verify --repair" in result.output

    repaired = runner.invoke(args=["search", "verify", "--repair"])
    assert repaired.exit_code == 0, repaired.output
    assert "Đã sửa 3 tài liệu." in repaired.output
    assert_in_step(app)
    assert runner.invoke(args=["search", "verify"]).exit_code == 0


def test_verify_counts_pending_changes_apart_from_drift(engine_app):
    app = engine_app
    make_world(app, proposals=2, comments=1)
    drain(app)
    key = retitle_first_proposal(app, "Chưa kịp cập nhật")
    assert outbox_rows(app)
    result = app.test_cli_runner().invoke(args=["search", "verify"])
    assert result.exit_code == 0, result.output
    assert "1 tài liệu đang chờ cập nhật" in result.output
    assert key not in result.output
    assert_in_step(app)  # verify drains what it found pending once it lets the lock go


def test_verify_lists_at_most_twenty_keys_per_kind(memory_app):
    app = memory_app
    make_world(app, proposals=25, comments=0)
    drain(app)
    backend_of(app).documents.clear()
    result = app.test_cli_runner().invoke(args=["search", "verify"])
    assert result.exit_code == 1
    assert "Thiếu trong chỉ mục (25):" in result.output
    assert result.output.count("\n  proposal:") == 20
    assert "  …" in result.output


def test_worker_drains_until_sigterm_and_survives_errors(memory_app, monkeypatch, caplog):
    app = memory_app
    make_world(app, proposals=2, comments=1)
    backend = backend_of(app)
    failures = []
    real_index = backend.index_documents

    def flaky(documents):
        if not failures:
            failures.append(True)
            raise OSError("index is busy")
        real_index(documents)

    monkeypatch.setattr(backend, "index_documents", flaky)

    def stop_when_drained():
        deadline = time.monotonic() + 20
        while outbox_rows(app) and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGTERM)  # handled by the worker: the loop ends cleanly

    stopper = threading.Thread(target=stop_when_drained)
    stopper.start()
    result = app.test_cli_runner().invoke(args=["search", "worker", "--poll", "0.02"])
    stopper.join()
    assert result.exit_code == 0, result.output
    assert "Tiến trình cập nhật chỉ mục đã chạy" in result.output
    assert "Tiến trình cập nhật chỉ mục đã dừng." in result.output
    assert "Đã cập nhật chỉ mục tìm kiếm: 3 thay đổi." in result.output
    assert failures and "drain failed" in caplog.text
    assert_in_step(app)
    assert signal.getsignal(signal.SIGTERM) is not None  # the previous handler is back


def test_unknown_backend_fails_at_startup(tmp_path):
    with pytest.raises(RuntimeError, match="SEARCH_BACKEND 'elastic'"):
        create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'x.db'}", SEARCH_BACKEND="elastic")


def test_help_lists_the_commands(app):
    result = app.test_cli_runner().invoke(args=["search", "--help"])
    for command in ("sync", "worker", "reindex", "verify"):
        assert command in result.output
