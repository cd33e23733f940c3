"""Stored pages for anonymous readers (forum/core/pagecache.py): the content version moves
with every committed write, stored pages are served only at their own version, and only
to visitors whose page is the same for all of them."""
import re

import pytest
import sqlalchemy as sa

from forum.core import pagecache
from forum.core.audit import record_audit
from forum.core.pagecache import ContentVersion, StalePage, writes_versioned_content
from forum.extensions import db
from forum.forums.models import Forum
from forum.proposals.models import Proposal
from forum.search.models import SearchOutbox
from tests.factories import make_comment, make_forum, make_proposal, make_support, make_user
from tests.helpers import AuthActions


@pytest.fixture
def app_overrides():
    return {"PAGE_CACHE": "on"}


def version(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(ContentVersion.version))


@pytest.fixture
def page(app):
    """A forum with one proposal and one comment; the paths of its three public pages."""
    with app.app_context():
        forum = make_forum(number=1, slug="d", phase="open")
        author = make_user(full_name="Trần Thị Tác Giả")
        proposal = make_proposal(forum, author, title="Hiến kế về nhà ở công nhân")
        make_comment(proposal, make_user(), body="Ý kiến đầu tiên")
        return {"forum": "/forums/d", "proposal": f"/proposals/{proposal.id}", "home": "/",
                "proposal_id": proposal.id, "author_id": author.id, "forum_id": forum.id}


def supports_shown(html: str) -> int:
    return int(re.search(r'data-support-count>(\d+)<', html).group(1))


# The version ------------------------------------------------------------------------------
@pytest.mark.parametrize("statement, writes", [
    ("SELECT proposals.id FROM proposals", False),
    ("  select 1", False),
    ("BEGIN IMMEDIATE", False),
    ("UPDATE proposals SET support_count=(proposals.support_count + ?)", True),
    ('INSERT INTO "supports" (proposal_id, user_id) VALUES (?, ?)', True),
    ("DELETE FROM comments WHERE comments.id = ?", True),
    ("INSERT OR REPLACE INTO users (id) VALUES (1)", True),
    ("INSERT INTO search_outbox (entity, entity_id) VALUES (?, ?)", False),
    ("DELETE FROM search_outbox WHERE search_outbox.id IN (?)", False),
    ("UPDATE search_entries SET support_count = %(c)s", False),
    ("INSERT INTO audit_entries (action) VALUES (?)", False),
    ("WITH moved AS (UPDATE proposals SET theme_id = 1 RETURNING id) SELECT * FROM moved", True),
    ("CREATE TABLE x (id INTEGER)", False),
])
def test_which_statements_write_page_content(statement, writes):
    assert writes_versioned_content(statement) is writes


def test_a_committed_write_moves_the_version_once(app, page):
    before = version(app)
    with app.app_context():
        proposal = db.session.get(Proposal, page["proposal_id"])
        proposal.title = "Tiêu đề mới"
        db.session.flush()
        db.session.execute(sa.update(Forum).values(venue="Đà Nẵng"))
        db.session.commit()
    assert version(app) == before + 1


def test_a_rollback_or_a_read_leaves_the_version(app, page):
    before = version(app)
    with app.app_context():
        db.session.get(Proposal, page["proposal_id"]).title = "Không lưu"
        db.session.flush()
        db.session.rollback()
        db.session.scalars(sa.select(Proposal)).all()
        db.session.commit()
    assert version(app) == before


def test_writes_that_no_page_shows_leave_the_version(app, page):
    before = version(app)
    with app.app_context():
        db.session.add(SearchOutbox(entity="proposal", entity_id=page["proposal_id"]))
        record_audit("test.nothing_shown", None, actor=None)
        db.session.commit()
    assert version(app) == before


def test_writes_through_a_plain_connection_of_the_engine_move_it_too(app, page):
    before = version(app)
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(sa.text("UPDATE users SET unit = 'Công đoàn Điện lực'"))
    assert version(app) == before + 1


# Stored pages ---------------------------------------------------------------------------------
@pytest.mark.parametrize("which", ["forum", "proposal", "home"])
def test_a_stored_page_costs_one_statement(app, page, count_queries, which):
    client = app.test_client()
    first = client.get(page[which])
    with count_queries() as counter:
        second = client.get(page[which])
    assert second.status_code == 200
    assert second.get_data() == first.get_data()
    assert counter.count == 1, counter.statements
    assert "content_version" in counter.statements[0]


def _support_through_the_app(app, page):
    client = app.test_client()
    with app.app_context():
        email = make_user().email
    AuthActions(client).login(email)
    assert client.post(f"/proposals/{page['proposal_id']}/support").status_code == 302


def _comment_through_the_app(app, page):
    client = app.test_client()
    with app.app_context():
        email = make_user().email
    AuthActions(client).login(email)
    client.post(f"/proposals/{page['proposal_id']}/comments", data={"body": "Ý kiến mới về nhà ở"})


def _rename_author(app, page):
    with app.app_context():
        db.session.execute(sa.text("UPDATE users SET full_name = 'Lê Văn Đổi Tên' WHERE id = :id"),
                           {"id": page["author_id"]})
        db.session.commit()


def _factory_support(app, page):
    with app.app_context():
        make_support(db.session.get(Proposal, page["proposal_id"]), make_user())


def _close_forum(app, page):
    with app.app_context():
        db.session.get(Forum, page["forum_id"]).phase = "closed"
        db.session.commit()


WRITES = {
    "support through the app": (_support_through_the_app, lambda html: "data-support-count>1<" in html),
    "comment through the app": (_comment_through_the_app, lambda html: "Ý kiến mới về nhà ở" in html),
    "author renamed by raw SQL": (_rename_author, lambda html: "Lê Văn Đổi Tên" in html),
    "support row written directly": (_factory_support, lambda html: "data-support-count>1<" in html),
    "forum closed": (_close_forum, lambda html: "support-login" not in html),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_every_write_shows_on_the_next_anonymous_read(app, page, write):
    change, shows = WRITES[write]
    reader = app.test_client()
    before = reader.get(page["proposal"]).get_data(as_text=True)
    assert not shows(before)
    assert reader.get(page["proposal"]).get_data(as_text=True) == before  # stored
    change(app, page)
    after = reader.get(page["proposal"]).get_data(as_text=True)
    assert shows(after)


def test_the_forum_page_shows_a_new_support_count_at_once(app, page):
    reader = app.test_client()
    before = reader.get("/forums/d").get_data(as_text=True)
    assert supports_shown(before) == 0
    _support_through_the_app(app, page)
    assert supports_shown(reader.get("/forums/d").get_data(as_text=True)) == 1


def test_two_processes_sharing_the_database_never_disagree(app, page):
    """Two apps stand for two gunicorn workers, each with its own memory."""
    second_worker = _second_app(app)
    try:
        first_reader, second_reader = app.test_client(), second_worker.test_client()
        assert supports_shown(first_reader.get(page["proposal"]).get_data(as_text=True)) == 0
        assert supports_shown(second_reader.get(page["proposal"]).get_data(as_text=True)) == 0
        _support_through_the_app(app, page)  # written through the first
        assert supports_shown(second_reader.get(page["proposal"]).get_data(as_text=True)) == 1
        assert supports_shown(first_reader.get(page["proposal"]).get_data(as_text=True)) == 1
    finally:
        with second_worker.app_context():
            db.session.remove()
            db.engine.dispose()


def _second_app(app):
    from config import TestingConfig
    from forum import create_app

    return create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                      SEARCH_INDEX_DIR=app.config["SEARCH_INDEX_DIR"], PAGE_CACHE="on")


def test_logged_in_readers_are_never_served_stored_pages(app, page, count_queries):
    client = app.test_client()
    with app.app_context():
        email = make_user().email
    AuthActions(client).login(email)
    client.get(page["forum"])
    with count_queries() as counter:
        html = client.get(page["forum"]).get_data(as_text=True)
    assert counter.count > 1
    assert 'name="csrf_token"' in html  # their support buttons carry their own token
    assert len(app.extensions["page_cache"]) == 0


def test_a_visitor_with_a_message_waiting_gets_it(app, page):
    client = app.test_client()
    client.get(page["forum"])  # stored
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Bạn đã đăng xuất.")]
    assert "Bạn đã đăng xuất." in client.get(page["forum"]).get_data(as_text=True)
    assert "Bạn đã đăng xuất." not in client.get(page["forum"]).get_data(as_text=True)


def test_pages_differ_by_language_and_address(app, page):
    client = app.test_client()
    vietnamese = client.get(page["forum"]).get_data(as_text=True)
    client.set_cookie("locale", "en")
    english = client.get(page["forum"]).get_data(as_text=True)
    assert "All forums" in english and "Tất cả diễn đàn" in vietnamese
    newest = client.get(page["forum"] + "?sort=newest").get_data(as_text=True)
    assert 'value="newest" selected' in newest and 'value="newest" selected' not in english


def test_a_page_that_asked_for_a_csrf_token_is_not_stored(app, page):
    from flask import render_template_string

    with app.test_request_context("/x"):
        html = pagecache.cached_page(version(app), lambda: render_template_string("{{ csrf_token() }}"))
        assert html
    assert len(app.extensions["page_cache"]) == 0


def test_a_request_that_wrote_does_not_store_its_page(app, page):
    with app.test_request_context("/x"):
        db.session.execute(sa.text("UPDATE forums SET venue = 'Huế'"))
        pagecache.cached_page(version(app), lambda: "trang")
        db.session.rollback()
    assert len(app.extensions["page_cache"]) == 0


@pytest.mark.parametrize("app_overrides", [{"PAGE_CACHE": "verify"}])
def test_verify_mode_catches_a_change_the_version_did_not_see(app, page, database_url):
    """What the tests run with: a write that bypasses the app (here a second engine with
    no listeners, like psql) would leave a stale page, and verify mode says so."""
    reader = app.test_client()
    reader.get(page["proposal"])
    outside = sa.create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with outside.begin() as connection:
            connection.execute(sa.text("UPDATE proposals SET title = 'Sửa ngoài ứng dụng'"))
    finally:
        outside.dispose()
    with pytest.raises(StalePage):
        reader.get(page["proposal"])


def test_the_cache_keeps_one_version_and_a_bounded_size():
    cache = pagecache.PageCache(max_entries=2, max_bytes=10)
    cache.put(1, ("a",), "1234")
    cache.put(1, ("b",), "5678")
    cache.put(1, ("c",), "90")
    assert cache.get(1, ("a",)) is None and cache.get(1, ("c",)) == "90"  # least recently used dropped
    cache.put(1, ("d",), "12345")
    assert len(cache) == 2  # 2 + 5 + 4 > 10 bytes: "b" dropped too
    cache.put(2, ("e",), "x")
    assert len(cache) == 1 and cache.get(1, ("c",)) is None  # a newer version empties it
    cache.put(1, ("f",), "old")
    assert cache.get(1, ("f",)) is None and cache.get(2, ("f",)) is None  # an older one is not stored
