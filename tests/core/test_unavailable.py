"""A database that cannot answer is a 503 with Retry-After, never a 500 (issue 11).

- SQLite's write lock held by another process: writes wait DATABASE_BUSY_WAIT_SECONDS,
  then 503 "busy" with what the user typed ready to send again; reads go on (WAL); the
  search update after a response never waits for the lock.
- No database at all (gone, refused): 503 for everyone, rendered without the database,
  logged-in users included; the app recovers by itself.
- One log line when a fault begins and one when it ends, per process.
"""
import logging
import sqlite3
import threading

import pytest
import sqlalchemy as sa
from flask import Flask

from forum.core import errors, outages
from forum.core.database import LOCK_OUTAGE_WAIT_MS, no_busy_wait
from forum.extensions import db
from forum.proposals.models import Comment, Proposal
from forum.votes.models import Support
from tests import factories
from tests.helpers import AuthActions, build_app, destroy_app

DELEGATE_PASSWORD = factories.DEFAULT_PASSWORD


@pytest.fixture(autouse=True)
def no_outage_left_over():
    """Outages are per process: each test starts and ends with none under way."""
    outages.reset()
    yield
    outages.reset()


def outage_lines(caplog, prefix: str) -> list[str]:
    return [record.getMessage() for record in caplog.records
            if record.name == "forum.outages" and record.getMessage().startswith(prefix)]


@pytest.fixture
def sqlite_app(tmp_path):
    app = build_app(f"sqlite:///{tmp_path / 'site.sqlite3'}", tmp_path, DATABASE_BUSY_WAIT_SECONDS=0.2)
    yield app
    destroy_app(app)


@pytest.fixture
def world(sqlite_app):
    with sqlite_app.app_context():
        forum = factories.make_forum(number=1)
        delegate = factories.make_user(email="daibieu@example.vn")
        author = factories.make_user(email="tacgia@example.vn")
        proposal = factories.make_proposal(forum, author, title="Tăng cường tuyên truyền pháp luật lao động")
        db.session.commit()
        return {"forum": forum.slug, "proposal": proposal.id, "delegate": delegate.email}


class WriteLockHolder:
    """Another process's transaction holding SQLite's write lock (a backup, a long CLI
    command), on its own sqlite3 connection."""

    def __init__(self, app: Flask):
        with app.app_context():
            path = db.engine.url.database
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def __enter__(self):
        self.connection.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *exc):
        self.connection.execute("ROLLBACK")
        self.connection.close()


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


class TestSqliteWriteLockHeld:
    def test_a_comment_answers_503_busy_and_keeps_what_was_typed(self, sqlite_app, world, caplog):
        client = sqlite_app.test_client()
        AuthActions(client).login(world["delegate"])
        typed = "Đề nghị tổ chức lớp tập huấn kỹ năng thương lượng tập thể\ncho chủ tịch công đoàn cơ sở."
        with caplog.at_level(logging.INFO, logger="forum.outages"), WriteLockHolder(sqlite_app):
            response = client.post(f"/proposals/{world['proposal']}/comments", data={"body": typed})
            second = client.post(f"/proposals/{world['proposal']}/comments", data={"body": typed})
        assert response.status_code == 503 and second.status_code == 503
        assert response.headers["Retry-After"] == str(errors.BUSY_RETRY_AFTER_SECONDS)
        page = response.get_data(as_text=True)
        assert "Hệ thống đang bận, vui lòng thử lại sau giây lát." in page
        # What the delegate typed comes back in a form that sends it again, to the same address.
        assert f'action="/proposals/{world["proposal"]}/comments"' in page
        assert "Đề nghị tổ chức lớp tập huấn kỹ năng thương lượng tập thể\ncho chủ tịch công đoàn cơ sở." in page
        assert "Gửi lại" in page
        assert page.count("<textarea") == 1  # the text; the CSRF token travels hidden
        assert count(sqlite_app, Comment) == 0
        assert len(outage_lines(caplog, "OUTAGE database-lock:")) == 1  # two refusals, one line
        # The lock is free: the same form goes through, and the recovery is one line.
        with caplog.at_level(logging.INFO, logger="forum.outages"):
            again = client.post(f"/proposals/{world['proposal']}/comments", data={"body": typed})
        assert again.status_code == 302
        assert count(sqlite_app, Comment) == 1
        assert len(outage_lines(caplog, "RECOVERED database-lock:")) == 1

    def test_a_new_proposal_form_comes_back_with_title_and_body(self, sqlite_app, world):
        client = sqlite_app.test_client()
        AuthActions(client).login(world["delegate"])
        data = {"title": "Ngày hội đoàn viên ở khu công nghiệp",
                "body": "Mỗi quý tổ chức một ngày hội để người lao động gặp gỡ cán bộ công đoàn.",
                "theme": "1"}
        with WriteLockHolder(sqlite_app):
            response = client.post(f"/forums/{world['forum']}/proposals/new", data=data)
        assert response.status_code == 503
        page = response.get_data(as_text=True)
        assert 'name="title" value="Ngày hội đoàn viên ở khu công nghiệp"' in page
        assert "Mỗi quý tổ chức một ngày hội để người lao động gặp gỡ cán bộ công đoàn.</textarea>" in page
        assert count(sqlite_app, Proposal) == 1

    def test_a_password_is_never_sent_back(self, sqlite_app, world):
        client = sqlite_app.test_client()
        with WriteLockHolder(sqlite_app):
            response = client.post("/login", data={"email": world["delegate"], "password": DELEGATE_PASSWORD})
        page = response.get_data(as_text=True)
        assert response.status_code == 503
        assert world["delegate"] in page
        assert DELEGATE_PASSWORD not in page and 'name="password"' not in page

    def test_a_support_by_script_gets_the_reason_in_json(self, sqlite_app, world):
        client = sqlite_app.test_client()
        AuthActions(client).login(world["delegate"])
        with WriteLockHolder(sqlite_app):
            response = client.post(f"/proposals/{world['proposal']}/support", headers={"Accept": "application/json"})
        assert response.status_code == 503
        assert response.headers["Retry-After"] == str(errors.BUSY_RETRY_AFTER_SECONDS)
        assert response.json["message"] == "Hệ thống đang bận, vui lòng thử lại sau giây lát."
        assert response.json["request_id"]
        assert count(sqlite_app, Support) == 0

    def test_pages_are_read_while_the_lock_is_held(self, sqlite_app, world):
        client = sqlite_app.test_client()
        AuthActions(client).login(world["delegate"])
        with WriteLockHolder(sqlite_app):
            for path in ("/", f"/forums/{world['forum']}", f"/proposals/{world['proposal']}", "/search?q=pháp+luật"):
                assert client.get(path).status_code == 200, path

    def test_the_search_update_after_a_response_never_waits_for_the_lock(self, tmp_path):
        """The background wait is ten minutes here: a drain that waited would still be
        waiting when the join gives up. (The drain after a response is what runs here.)"""
        app = build_app(f"sqlite:///{tmp_path / 'site.sqlite3'}", tmp_path,
                        SQLITE_BUSY_TIMEOUT_MS=600_000)
        try:
            with app.app_context():
                forum = factories.make_forum(number=1)
                factories.make_proposal(forum, factories.make_user(), title="Nhà ở cho công nhân")
                db.session.commit()
            from forum.search import indexer
            from forum.search.models import SearchOutbox

            assert count(app, SearchOutbox) > 0
            with WriteLockHolder(app):
                drain = threading.Thread(target=indexer.drain_after_response, args=(app,))
                drain.start()
                drain.join(timeout=60)
                assert not drain.is_alive()
            assert count(app, SearchOutbox) > 0  # left for the next drain
            indexer.drain_after_response(app)
            assert count(app, SearchOutbox) == 0
        finally:
            destroy_app(app)

    def test_once_the_lock_is_known_held_writes_fail_fast_until_one_gets_it(self, sqlite_app, world):
        """After one write waited the whole busy wait in vain, this process's writes wait
        only LOCK_OUTAGE_WAIT_MS: workers are not held while a backup holds the lock."""
        client = sqlite_app.test_client()
        AuthActions(client).login(world["delegate"])

        def write_wait_ms():
            with sqlite_app.test_request_context("/", method="POST"), db.engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")  # BEGIN IMMEDIATE: the lock is free here
                return connection.exec_driver_sql("PRAGMA busy_timeout").scalar()

        with WriteLockHolder(sqlite_app):
            assert client.post(f"/proposals/{world['proposal']}/support").status_code == 503
        assert write_wait_ms() == LOCK_OUTAGE_WAIT_MS  # the outage was on; this write ends it
        assert write_wait_ms() == 200  # back to the configured wait

    def test_no_busy_wait_sets_sqlite_to_give_up_at_once(self, sqlite_app):
        with sqlite_app.app_context():
            with db.engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
            with no_busy_wait(), db.engine.connect() as connection:
                connection.exec_driver_sql("SELECT 1")  # begins: the setting applies per transaction
                assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 0
        with sqlite_app.test_request_context("/"), db.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 200


class TestDatabaseGone:
    """The SQLite file's directory moved away: no database at all, as after a crash of
    its disk; the PostgreSQL variant (a server stopped and started) is in tests/faults."""

    @pytest.fixture
    def app_and_session(self, tmp_path):
        folder = tmp_path / "data"
        folder.mkdir()
        app = build_app(f"sqlite:///{folder / 'site.sqlite3'}", tmp_path)
        with app.app_context():
            forum = factories.make_forum(number=1)
            delegate = factories.make_user(email="daibieu@example.vn")
            db.session.commit()
            slug, email = forum.slug, delegate.email
        client = app.test_client()
        AuthActions(client).login(email)
        yield app, client, folder, slug
        if not folder.exists():
            (tmp_path / "away").rename(folder)
        destroy_app(app)

    def take_away(self, app, folder):
        with app.app_context():
            db.engine.dispose()
        folder.rename(folder.parent / "away")

    def test_everyone_gets_503_in_vietnamese_and_the_site_recovers(self, app_and_session, caplog):
        app, client, folder, slug = app_and_session
        anonymous = app.test_client()
        self.take_away(app, folder)
        with caplog.at_level(logging.INFO, logger="forum.outages"):
            for who in (client, anonymous):
                for path in ("/", f"/forums/{slug}", "/search?q=nhà+ở"):
                    response = who.get(path)
                    assert response.status_code == 503, path
                    assert response.headers["Retry-After"] == str(errors.DOWN_RETRY_AFTER_SECONDS)
                    page = response.get_data(as_text=True)
                    assert "Hệ thống tạm thời gián đoạn" in page
                    # Nobody is loaded: neither the logged-in user's links nor a login button.
                    assert "Đăng xuất" not in page and "Đăng nhập</a>" not in page
            as_json = client.get("/", headers={"Accept": "application/json"})
            assert as_json.status_code == 503 and as_json.json["error"] == "Hệ thống tạm thời gián đoạn"
            api = anonymous.get("/api/v1/forums")
            assert api.status_code == 503 and api.is_json and api.headers["Retry-After"]
        assert len(outage_lines(caplog, "OUTAGE database:")) == 1
        (folder.parent / "away").rename(folder)
        with caplog.at_level(logging.INFO, logger="forum.outages"):
            page = client.get("/")
        assert page.status_code == 200 and "Đăng xuất" in page.get_data(as_text=True)  # still logged in
        assert len(outage_lines(caplog, "RECOVERED database:")) == 1

    def test_english_readers_get_it_in_english(self, app_and_session):
        app, client, folder, slug = app_and_session
        client.get("/language/en")
        self.take_away(app, folder)
        response = client.get("/")
        assert response.status_code == 503
        assert "Service temporarily interrupted" in response.get_data(as_text=True)


class TestClassification:
    def test_a_missing_table_is_a_fault_to_fix_not_an_outage(self, sqlite_app):
        with sqlite_app.app_context():
            try:
                db.session.execute(sa.text("SELECT * FROM no_such_table"))
            except sa.exc.OperationalError as error:
                assert errors.classify_database_error(error) is None
            else:
                pytest.fail("expected an OperationalError")

    @pytest.mark.parametrize("sqlstate, kind", [
        (None, errors.DOWN),  # refused, unreachable: no code
        ("08006", errors.DOWN),  # connection failure
        ("57P01", errors.DOWN),  # admin shutdown (server stopping)
        ("57P03", errors.DOWN),  # cannot connect now (server starting)
        ("40P01", errors.BUSY),  # deadlock detected
        ("57014", errors.BUSY),  # statement cancelled
        ("53300", errors.BUSY),  # too many connections
    ])
    def test_postgresql_codes(self, sqlstate, kind):
        class DriverError(Exception):
            pass

        original = DriverError("message")
        original.sqlstate = sqlstate
        error = sa.exc.OperationalError("SELECT 1", {}, original)
        assert errors.classify_database_error(error) == kind


def test_a_connection_dropped_at_the_end_of_a_request_does_not_undo_its_answer(sqlite_app, world, monkeypatch, caplog):
    """PostgreSQL shutting down between the answer and the session's final rollback: the
    answer stands (no bare 500 from the teardown), one log line says what happened."""
    client = sqlite_app.test_client()
    real_close = sa.orm.Session.close

    def dropped(session):
        real_close(session)
        raise sa.exc.OperationalError("ROLLBACK", {}, Exception("terminating connection due to administrator command"))

    monkeypatch.setattr(sa.orm.Session, "close", dropped)
    with caplog.at_level(logging.WARNING, logger="forum.core.database"):
        response = client.get(f"/proposals/{world['proposal']}")
    monkeypatch.setattr(sa.orm.Session, "close", real_close)
    assert response.status_code == 200
    assert any("database session ended with an error" in record.getMessage() for record in caplog.records)
    assert client.get("/").status_code == 200

